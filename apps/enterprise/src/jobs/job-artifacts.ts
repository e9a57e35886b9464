import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LocalFsBlobStore, type BlobStore } from '@confide/envelope';
import type { AppConfig } from '@confide/platform';

export const JOB_BLOBS = Symbol('JOB_BLOBS');

/** The blob store jobs' outputs live in (the datasets' store: local files in embedded mode, S3 later). */
export function createJobBlobStore(config: AppConfig): BlobStore {
  return new LocalFsBlobStore(join(config.dataDir, 'blobs'));
}

/**
 * Where an attempt's output lives: the sealed model, the KEK-wrapped output DEK next to it (envelope encryption:
 * only the enterprise's keyring unwraps it), the upload manifest and the verification result.
 */
export const jobBlobKeys = (jobId: string, epoch: number) => {
  const base = `jobs/${jobId}/e${epoch}`;
  return { model: `${base}/model.sealed`, outputDek: `${base}/output.dek`, manifest: `${base}/output.json`, verification: `${base}/verification.json` };
};

/** The DEK binding of a job's output: tenant + a dataset id no real dataset can have. */
export const outputBinding = (tenantId: string, jobId: string) => ({ tenantId, datasetId: `${jobId}#output` });
export const outputKeyId = (jobId: string, epoch: number) => `job.${jobId}.e${epoch}.output`;

export interface OutputManifest {
  readonly lease_epoch: number;
  readonly sha256: string;
  readonly bytes: number;
  readonly key_id: string;
  readonly format: string;
  readonly model_sha256: string;
  readonly uploaded_by: string;
}

export async function readJson<T>(blobs: BlobStore, key: string): Promise<T | null> {
  if (!(await blobs.exists(key))) return null;
  return JSON.parse((await readAll(blobs, key)).toString('utf8')) as T;
}

export async function readAll(blobs: BlobStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await blobs.get(key)) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** Stores an uploaded output under `key`, hashing it on the way (SHA-256 hex of exactly the bytes stored). */
export async function putHashed(blobs: BlobStore, key: string, body: Readable, maxBytes: number): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const c of body) {
      const b = Buffer.from(c as Uint8Array);
      hash.update(b);
      yield b;
    }
  }
  const put = await blobs.put(key, hashed(), { maxBytes });
  return { sha256: hash.digest('hex'), bytes: put.bytes };
}
