import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandTrainer } from './command.trainer.js';
import { packCommandOutput, unpackCommandOutput } from './command-output.bundle.js';

describe('command output bundle', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confide-bundle-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const trainOnce = async () => {
    const script = `const fs=require('node:fs');fs.mkdirSync('ckpt');fs.writeFileSync('ckpt/w.bin',Buffer.from([1,2,3,4]));fs.writeFileSync('a.txt','hello');console.log('{"step":0,"loss":1}');`;
    return new CommandTrainer().train({ workDir: dir }, { command: process.execPath, args: ['-e', script], timeLimitMs: 20_000 });
  };

  it('round-trips the manifest and every file, in manifest order', async () => {
    const result = await trainOnce();
    const bundle = await packCommandOutput(dir, result);
    const { manifest, files } = unpackCommandOutput(bundle);
    expect(manifest.outputs.map((o) => o.path)).toEqual(['a.txt', 'ckpt/w.bin']);
    expect(files.map((f) => [f.path, [...f.bytes]])).toEqual([
      ['a.txt', [...Buffer.from('hello')]],
      ['ckpt/w.bin', [1, 2, 3, 4]],
    ]);
  });

  it('refuses a file changed after the trainer finished, and bundles that were altered or cut', async () => {
    const result = await trainOnce();
    const bundle = await packCommandOutput(dir, result);
    const flipped = Buffer.from(bundle);
    flipped[flipped.length - 1]! ^= 1;
    expect(() => unpackCommandOutput(flipped)).toThrow(expect.objectContaining({ code: 'command_output_malformed', target: 'ckpt/w.bin' }));
    expect(() => unpackCommandOutput(bundle.subarray(0, bundle.length - 1))).toThrow(expect.objectContaining({ code: 'command_output_malformed' }));
    expect(() => unpackCommandOutput(Buffer.concat([bundle, Buffer.from([0])]))).toThrow(expect.objectContaining({ code: 'command_output_malformed' }));
    expect(() => unpackCommandOutput(Buffer.from('not a bundle at all, clearly'))).toThrow(expect.objectContaining({ code: 'command_output_malformed' }));
    await mkdir(join(dir, 'ckpt'), { recursive: true });
    await writeFile(join(dir, 'ckpt', 'w.bin'), Buffer.from([9, 9, 9, 9]));
    await expect(packCommandOutput(dir, result)).rejects.toMatchObject({ code: 'command_output_malformed', target: 'ckpt/w.bin' });
  });
});
