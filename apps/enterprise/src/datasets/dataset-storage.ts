import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeStaleSpills } from '@confide/datasets';
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
  /** Scratch space of uploads in progress (CONFIDE_DATA_DIR/tmp, 0700): the encrypted duplicate-row spill. */
  readonly tempDir: string;
}

/** A spill nothing was written to for this long belonged to a process that died mid-upload. */
const STALE_SPILL_MS = 60 * 60 * 1000;

/**
 * Embedded mode: blobs are files under CONFIDE_DATA_DIR/blobs; the keyring is the process's one keyring (CoreModule),
 * shared with the key broker. An S3 store plugs in here.
 */
export function createDatasetStorage(config: AppConfig, keyring: Keyring): DatasetStorage {
  let analyzer: PiiAnalyzer | undefined;
  // On the data disk, not in the OS temp dir (often a RAM-backed tmpfs), and kept to this user.
  const tempDir = join(config.dataDir, 'tmp');
  mkdirSync(tempDir, { recursive: true, mode: 0o700 });
  removeStaleSpills(tempDir, STALE_SPILL_MS);
  return {
    tempDir,
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
