import { join } from 'node:path';
import { EnvelopeError, Keyring, LocalFileKekProvider, LocalFsBlobStore, type BlobStore } from '@confide/envelope';
import { PiiAnalyzer } from '@confide/pii';
import type { AppConfig } from '@confide/platform';
import { z } from 'zod';

export const DATASET_STORAGE = Symbol('DATASET_STORAGE');

/** Where datasets' keys and blobs live, and the limits an upload runs under. */
export interface DatasetStorage {
  readonly keyring: Keyring;
  readonly blobs: BlobStore;
  readonly analyzer: PiiAnalyzer;
  readonly maxUploadBytes: number;
}

const DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024 ** 3;

/**
 * Embedded mode: the KEK is a 0600 file under CONFIDE_DATA_DIR/keys/kek.json (shared with the key broker), blobs are
 * files under CONFIDE_DATA_DIR/blobs. A production KMS/HSM provider and an S3 store plug in here.
 */
export async function createDatasetStorage(config: AppConfig, env: NodeJS.ProcessEnv = process.env): Promise<DatasetStorage> {
  // TODO(platform): move CONFIDE_MAX_UPLOAD_BYTES into AppConfig (libs/platform owns process.env).
  const limit = z.coerce.number().int().min(1024).max(1024 ** 4).default(DEFAULT_MAX_UPLOAD_BYTES).parse(env.CONFIDE_MAX_UPLOAD_BYTES);
  return {
    keyring: new Keyring(await loadKek(join(config.dataDir, 'keys', 'kek.json'))),
    blobs: new LocalFsBlobStore(join(config.dataDir, 'blobs')),
    analyzer: new PiiAnalyzer(),
    maxUploadBytes: limit,
  };
}

/**
 * The key broker (attestation module) loads or creates the same file at boot, concurrently with us, and
 * LocalFileKekProvider.loadOrCreate does not survive losing that race (O_EXCL create fails). So we only load for
 * a moment, leaving creation to the broker when it is hosted, and create the file ourselves only when nobody did.
 */
async function loadKek(path: string): Promise<LocalFileKekProvider> {
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      return await LocalFileKekProvider.load(path);
    } catch (e) {
      if (!(e instanceof EnvelopeError) || e.code !== 'kek_file_missing') {
        // Being written right now by the other loader: give it a moment.
        if (attempt >= 9) throw e;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    return await LocalFileKekProvider.loadOrCreate(path);
  } catch {
    await new Promise((r) => setTimeout(r, 100));
    return LocalFileKekProvider.load(path);
  }
}
