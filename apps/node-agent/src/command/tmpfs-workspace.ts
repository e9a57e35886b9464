import { chmod, lstat, mkdir, open, readdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';

/** statfs(2) f_type of tmpfs and ramfs (linux/magic.h): memory-backed, nothing reaches a disk unless swapped. */
const MEMORY_FS = new Map<number, string>([
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
]);

export class WorkspaceError extends Error {
  constructor(
    readonly code: 'workspace_not_tmpfs' | 'workspace_unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'WorkspaceError';
  }
}

/**
 * The only place a `command` trainer's plaintext exists outside enclave memory: `<root>/confide-<lease>/` on a
 * memory-backed file system (checked with statfs, refused otherwise), mode 0700, with `input/` (the decrypted
 * training file, 0400), `output/` (what gets sealed), and `home/` + `tmp/` so the trainer's own scratch files stay
 * on the same tmpfs. `wipe` zero-fills every regular file before removing the tree; it is safe to call twice.
 */
export class TmpfsWorkspace {
  private constructor(readonly dir: string) {}

  get inputDir(): string {
    return join(this.dir, 'input');
  }
  get outputDir(): string {
    return join(this.dir, 'output');
  }
  get homeDir(): string {
    return join(this.dir, 'home');
  }
  get tmpDir(): string {
    return join(this.dir, 'tmp');
  }

  static async create(root: string, leaseId: string): Promise<TmpfsWorkspace> {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(leaseId)) throw new WorkspaceError('workspace_unavailable', 'the lease id is not usable as a directory name');
    let fs: { type: number | bigint };
    try {
      fs = await statfs(root);
    } catch {
      throw new WorkspaceError('workspace_unavailable', `the command workspace root ${root} does not exist`);
    }
    const kind = MEMORY_FS.get(Number(fs.type));
    if (!kind) {
      throw new WorkspaceError('workspace_not_tmpfs', `the command workspace root ${root} is not a tmpfs (statfs type 0x${Number(fs.type).toString(16)}); decrypted training data is only ever written to memory-backed storage`);
    }
    const dir = join(root, `confide-${leaseId}`);
    try {
      // Not recursive: an existing directory (a previous attempt on this lease, or someone else's) is refused.
      await mkdir(dir, { mode: 0o700 });
    } catch {
      throw new WorkspaceError('workspace_unavailable', `the command workspace ${dir} could not be created`);
    }
    const ws = new TmpfsWorkspace(dir);
    for (const d of [ws.inputDir, ws.outputDir, ws.homeDir, ws.tmpDir]) await mkdir(d, { mode: 0o700 });
    return ws;
  }

  /** Writes `bytes` as `input/<name>` (0400, exclusive create) and returns its path. */
  async writeInput(name: string, bytes: Uint8Array): Promise<string> {
    const path = join(this.inputDir, name);
    const fh = await open(path, 'wx', 0o400);
    try {
      await fh.writeFile(bytes);
    } finally {
      await fh.close();
    }
    return path;
  }

  async wipe(): Promise<void> {
    await zeroFill(this.dir).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function zeroFill(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await zeroFill(path);
    else if (entry.isFile()) {
      const st = await lstat(path);
      if (st.size === 0) continue;
      await chmod(path, 0o600).catch(() => undefined);
      const fh = await open(path, 'r+').catch(() => null);
      if (!fh) continue;
      try {
        const zeros = Buffer.alloc(Math.min(st.size, 1 << 20));
        for (let at = 0; at < st.size; at += zeros.length) await fh.write(zeros, 0, Math.min(zeros.length, st.size - at), at);
      } finally {
        await fh.close();
      }
    }
  }
}
