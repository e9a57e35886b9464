import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { EnvelopeError } from '../envelope.error.js';
import { assertBlobKey, type BlobPutOptions, type BlobPutResult, type BlobStore } from './blob-store.js';

/**
 * Blob store on the local filesystem (embedded mode). Objects are files under `root`; writes go to a `.tmp-*` file in
 * the same directory, are fsynced, then renamed into place (atomic on POSIX), so readers see all or nothing.
 * Temporary names start with a dot, which valid keys never do, so they can never collide with or be read as blobs.
 */
export class LocalFsBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  async put(key: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable, options: BlobPutOptions = {}): Promise<BlobPutResult> {
    const target = this.#path(key);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const temporary = join(dirname(target), `.tmp-${randomUUID()}`);
    const handle = await open(temporary, 'wx', 0o600);
    let bytes = 0;
    let committed = false;
    try {
      for await (const chunk of source as AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
        bytes += chunk.length;
        if (options.maxBytes !== undefined && bytes > options.maxBytes) {
          throw new EnvelopeError('blob_size_limit_exceeded', `blob larger than ${options.maxBytes} bytes`);
        }
        await handle.write(chunk);
      }
      await handle.sync();
      await handle.close();
      await rename(temporary, target);
      committed = true;
      return { key, bytes };
    } catch (error) {
      if (error instanceof EnvelopeError) throw error;
      throw new EnvelopeError('blob_write_failed', 'could not write the blob', undefined, (error as Error).message);
    } finally {
      if (!committed) {
        await handle.close().catch(() => undefined);
        await rm(temporary, { force: true });
      }
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.#path(key);
    if (!(await this.exists(key))) throw new EnvelopeError('blob_not_found', 'no blob with this key');
    return createReadStream(path);
  }

  async delete(key: string): Promise<boolean> {
    const path = this.#path(key);
    const existed = await this.exists(key);
    await rm(path, { force: true });
    return existed;
  }

  async exists(key: string): Promise<boolean> {
    const path = this.#path(key);
    try {
      return (await stat(path)).isFile();
    } catch {
      return false;
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    const dir = this.#path(prefix);
    let entries: string[];
    try {
      entries = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name);
    } catch {
      return 0;
    }
    await rm(dir, { recursive: true, force: true });
    return entries.length;
  }

  #path(key: string): string {
    assertBlobKey(key);
    return join(this.root, ...key.split('/'));
  }
}
