import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../common/sha256.js';
import type { OutputFile, TrainingResult } from '../trainer.js';
import { TrainingError } from '../training.error.js';

const MAGIC = Buffer.from('confide.command-output.v1\n', 'utf8');
/** Media type of a sealed bundle (the upload's `format`, which the enterprise's verifier dispatches on). */
export const COMMAND_BUNDLE_FORMAT = 'application/vnd.confide.command-bundle';

export interface CommandOutputManifest {
  readonly format: 'confide.command-output.v1';
  readonly outputs: readonly OutputFile[];
}

export interface CommandOutputBundle {
  readonly manifest: CommandOutputManifest;
  readonly files: ReadonlyArray<{ readonly path: string; readonly bytes: Buffer }>;
}

/**
 * The one blob the agent seals for a `command` job: magic ‖ u32be manifest length ‖ the trainer's manifest (the
 * `model` of its TrainingResult, which lists every output with size and SHA-256) ‖ the files' bytes in manifest
 * order. Each file is hashed again as it is read, so a file changed after the trainer's snapshot is refused rather
 * than sealed under a digest it does not have.
 */
export async function packCommandOutput(workDir: string, result: TrainingResult): Promise<Buffer> {
  const manifest = parseManifest(Buffer.from(result.model));
  const parts: Buffer[] = [MAGIC, u32(result.model.byteLength), Buffer.from(result.model)];
  for (const o of manifest.outputs) {
    const bytes = await readFile(join(workDir, ...o.path.split('/')));
    if (bytes.length !== o.size || sha256Hex(bytes) !== o.sha256) {
      throw new TrainingError('command_output_malformed', 'an output file changed after the trainer finished', o.path);
    }
    parts.push(bytes);
  }
  return Buffer.concat(parts);
}

/** Splits a bundle back into its manifest and files, checking every size and digest; the enterprise side's reader. */
export function unpackCommandOutput(bundle: Uint8Array): CommandOutputBundle {
  const buf = Buffer.from(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  const bad = (why: string, target?: string): never => {
    throw new TrainingError('command_output_malformed', why, target);
  };
  if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) bad('not a command output bundle');
  const length = buf.readUInt32BE(MAGIC.length);
  let at = MAGIC.length + 4;
  if (at + length > buf.length) bad('the manifest is truncated');
  const manifest = parseManifest(buf.subarray(at, at + length));
  at += length;
  const files: Array<{ path: string; bytes: Buffer }> = [];
  for (const o of manifest.outputs) {
    if (at + o.size > buf.length) bad('an output file is truncated', o.path);
    const bytes = buf.subarray(at, at + o.size);
    if (sha256Hex(bytes) !== o.sha256) bad('an output file does not match its digest', o.path);
    files.push({ path: o.path, bytes });
    at += o.size;
  }
  if (at !== buf.length) bad('trailing bytes after the last output file');
  return { manifest, files };
}

function parseManifest(bytes: Uint8Array): CommandOutputManifest {
  let m: unknown;
  try {
    m = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new TrainingError('command_output_malformed', 'the output manifest is not JSON');
  }
  const o = m as Partial<CommandOutputManifest> | null;
  const ok =
    !!o &&
    o.format === 'confide.command-output.v1' &&
    Array.isArray(o.outputs) &&
    o.outputs.every(
      (f) => typeof f?.path === 'string' && f.path !== '' && !f.path.split('/').some((seg: string) => seg === '' || seg === '.' || seg === '..') && Number.isSafeInteger(f.size) && f.size >= 0 && /^[0-9a-f]{64}$/.test(f.sha256),
    );
  if (!ok) throw new TrainingError('command_output_malformed', 'the output manifest is malformed');
  return o as CommandOutputManifest;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
