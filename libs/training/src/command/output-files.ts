import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { OutputFile } from '../trainer.js';
import { TrainingError } from '../training.error.js';

export interface FileSnapshot {
  /** Relative path → identity of the file's content version (size, mtime in ns, inode). */
  readonly files: ReadonlyMap<string, string>;
  /** Symbolic links and other non-regular entries, which are never captured. */
  readonly skipped: number;
}

export interface SnapshotLimits {
  readonly maxFiles: number;
}

/** Lists regular files under `root` without following links (a trainer could point one anywhere). */
export async function snapshotFiles(root: string, limits: SnapshotLimits): Promise<FileSnapshot> {
  const files = new Map<string, string>();
  let skipped = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
      } else if (entry.isFile()) {
        if (files.size >= limits.maxFiles) {
          throw new TrainingError('output_too_large', `the trainer left more than ${limits.maxFiles} files`);
        }
        const st = await lstat(path, { bigint: true });
        files.set(relative(root, path).split(sep).join('/'), `${st.size}:${st.mtimeNs}:${st.ino}`);
      } else {
        skipped++;
      }
    }
  };
  await walk(root);
  return { files, skipped };
}

/** The files that are new or changed since `before`, each with its size and SHA-256 (streamed, not buffered). */
export async function changedFiles(root: string, before: FileSnapshot, after: FileSnapshot, maxBytes: number): Promise<OutputFile[]> {
  const out: OutputFile[] = [];
  let total = 0;
  for (const [path, identity] of after.files) {
    if (before.files.get(path) === identity) continue;
    const h = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(join(root, ...path.split('/')))) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      total += bytes.length;
      if (total > maxBytes) throw new TrainingError('output_too_large', 'the trainer wrote more output than allowed');
      h.update(bytes);
    }
    out.push({ path, size, sha256: h.digest('hex') });
  }
  return out;
}
