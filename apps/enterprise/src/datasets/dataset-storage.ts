import { join } from 'node:path';
import { Keyring, LocalFsBlobStore, type BlobStore } from '@confide/envelope';
import { PiiAnalyzer } from '@confide/pii';
import type { AppConfig } from '@confide/platform';

export const DATASET_STORAGE = Symbol('DATASET_STORAGE');

/** Where datasets' keys and blobs live, and the limits an upload runs under. */
export interface DatasetStorage {
  readonly keyring: Keyring;
  readonly blobs: BlobStore;
  readonly analyzer: PiiAnalyzer;
  readonly maxUploadBytes: number;
}

/**
 * Embedded mode: blobs are files under CONFIDE_DATA_DIR/blobs; the keyring is the process's one keyring (CoreModule),
 * shared with the key broker. An S3 store plugs in here.
 */
export function createDatasetStorage(config: AppConfig, keyring: Keyring): DatasetStorage {
  let analyzer: PiiAnalyzer | undefined;
  return {
    keyring,
    blobs: new LocalFsBlobStore(join(config.dataDir, 'blobs')),
    // Built on the first upload, not at boot: its name and word lists are ~16 MiB of heap (and ~40 MiB of V8 heap
    // reserved around them) that a server which never takes an upload should not carry.
    get analyzer(): PiiAnalyzer {
      analyzer ??= new PiiAnalyzer();
      return analyzer;
    },
    maxUploadBytes: config.datasets.maxUploadBytes,
  };
}
