import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile, symlink, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainingMetricEvent } from '../trainer.js';
import { runCommand } from './command.runner.js';
import { CommandTrainer } from './command.trainer.js';

// A small external trainer: reads the dataset, prints JSON-lines metrics (and some junk), writes outputs.
const TRAINER = String.raw`
const fs = require('node:fs');
const mode = process.argv[2];
const lines = fs.readFileSync('data.jsonl', 'utf8').trim().split('\n');
if (mode === 'env') { fs.writeFileSync('env.json', JSON.stringify(process.env)); process.exit(0); }
if (mode === 'hang') {
  process.on('SIGTERM', () => { if (process.argv[3] !== 'stubborn') process.exit(143); });
  console.log(JSON.stringify({ step: 1, loss: 1 }));
  setInterval(() => {}, 1000);
  return;
}
console.log(JSON.stringify({ step: 0, loss: 2.5, epoch: 0, grad_norm: 1.5, note: 'x' }));
console.log('loading ' + lines[0]);
console.log('[1, 2]');
console.log(JSON.stringify({ loss: 1 }));
console.log(JSON.stringify({ step: 1, loss: 'NaN' }));
process.stdout.write('{"step":2,"lo');
setTimeout(() => {
  process.stdout.write('ss":0.5,"accuracy":0.75}\n' + 'z'.repeat(70000) + '\n');
  console.error('stderr with ' + lines[0]);
  fs.mkdirSync('out', { recursive: true });
  fs.writeFileSync('out/adapter.bin', Buffer.alloc(1000, 7));
  fs.writeFileSync('metrics.json', JSON.stringify({ examples: lines.length }));
  process.exit(mode === 'fail' ? 3 : 0);
}, 20);
`;

describe('command trainer', () => {
  let dir: string;
  let script: string;
  const node = process.execPath;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confide-train-'));
    script = join(dir, '..', `${dir.split('/').pop()}-trainer.cjs`);
    await writeFile(script, `(function(){${TRAINER}})();`);
    await writeFile(join(dir, 'data.jsonl'), '{"text":"jane.doe@example.com wants a refund","label":"billing"}\n{"text":"b","label":"x"}\n');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(script, { force: true });
  });

  it('parses metrics, flags malformed lines without content, and captures new files with digests', async () => {
    const events: TrainingMetricEvent[] = [];
    await symlink('/etc/hostname', join(dir, 'link'));
    const result = await new CommandTrainer().train({ workDir: dir }, { command: node, args: [script], timeLimitMs: 20_000 }, (e) => events.push(e));
    const steps = events.filter((e) => e.type === 'step');
    expect(steps).toEqual([
      { type: 'step', step: 0, loss: 2.5, epoch: 0, values: { grad_norm: 1.5 } },
      { type: 'step', step: 2, loss: 0.5, accuracy: 0.75 },
    ]);
    expect(events.filter((e) => e.type === 'malformed').map((e) => e.type === 'malformed' && e.reason)).toEqual([
      'not_json',
      'not_object',
      'missing_step',
      'invalid_value',
      'line_too_long',
    ]);
    expect(JSON.stringify(events)).not.toContain('jane.doe');
    expect(result.summary).toMatchObject({ steps: 2, finalLoss: 0.5, malformedLines: 5 });
    expect(result.outputs!.map((o) => o.path)).toEqual(['metrics.json', 'out/adapter.bin']);
    const adapter = result.outputs![1]!;
    expect(adapter).toEqual({ path: 'out/adapter.bin', size: 1000, sha256: createHash('sha256').update(Buffer.alloc(1000, 7)).digest('hex') });
    const manifest = JSON.parse(new TextDecoder().decode(result.model)) as { outputs: unknown[] };
    expect(manifest.outputs).toEqual(result.outputs);
    expect(result.digest).toBe(createHash('sha256').update(result.model).digest('hex'));
  });

  it('passes only allow-listed and explicit environment variables', async () => {
    await runCommand({
      command: node,
      args: [script, 'env'],
      workDir: dir,
      timeLimitMs: 20_000,
      baseEnv: { KEEP_ME: 'yes', SECRET_TOKEN: 'nope', PATH: '/usr/bin' },
      envAllowList: ['KEEP_ME', 'MISSING'],
      env: { CONFIDE_DATASET: 'data.jsonl' },
    });
    const env = JSON.parse(await readFile(join(dir, 'env.json'), 'utf8')) as Record<string, string>;
    expect(env).toEqual({ KEEP_ME: 'yes', CONFIDE_DATASET: 'data.jsonl' });
  });

  it('reports a failing trainer as command_failed', async () => {
    await expect(new CommandTrainer().train({ workDir: dir }, { command: node, args: [script, 'fail'], timeLimitMs: 20_000 })).rejects.toMatchObject({
      code: 'command_failed',
    });
  });

  it('stops a trainer at its time limit, escalating to SIGKILL when SIGTERM is ignored', async () => {
    const result = await runCommand({ command: node, args: [script, 'hang', 'stubborn'], workDir: dir, timeLimitMs: 500, killGraceMs: 300 });
    expect(result.status).toBe('timed_out');
    expect(result.signal).toBe('SIGKILL');
    expect(result.steps).toBe(1);
  });

  it('cancels on abort with SIGTERM and refuses to start when already aborted', async () => {
    const controller = new AbortController();
    const run = runCommand({ command: node, args: [script, 'hang'], workDir: dir, timeLimitMs: 20_000 }, (e) => e.type === 'step' && controller.abort(), controller.signal);
    const result = await run;
    expect(result.status).toBe('cancelled');
    expect(result.exitCode).toBe(143);
    await expect(new CommandTrainer().train({ workDir: dir }, { command: node, args: [script], timeLimitMs: 1000 }, undefined, controller.signal)).rejects.toMatchObject({
      code: 'command_cancelled',
    });
  });

  it('in strict mode stops at the first stdout line that is not a metric, with a typed error naming the line only', async () => {
    const events: TrainingMetricEvent[] = [];
    const started = Date.now();
    const err = await new CommandTrainer()
      .train({ workDir: dir }, { command: node, args: [script], timeLimitMs: 20_000, maxMalformedLines: 0 }, (e) => events.push(e))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'metric_line_invalid', target: 'stdout:2', message: 'stdout line 2 is not a metric line (not_json)' });
    expect(JSON.stringify(err)).not.toContain('jane.doe');
    expect((err as Error).message).not.toContain('loading');
    expect(events.filter((e) => e.type === 'step')).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops a hanging trainer at its time limit and reports command_timed_out', async () => {
    await expect(new CommandTrainer().train({ workDir: dir }, { command: node, args: [script, 'hang'], timeLimitMs: 400, killGraceMs: 200 })).rejects.toMatchObject({
      code: 'command_timed_out',
    });
  });

  it('reports a non-zero exit with its exit code kept for logs only', async () => {
    const err = await new CommandTrainer().train({ workDir: dir }, { command: node, args: [script, 'fail'], timeLimitMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'command_failed', internalReason: 'exit 3' });
    expect((err as Error).message).not.toContain('3');
  });

  it('reports a missing executable as command_spawn_failed', async () => {
    await expect(runCommand({ command: join(dir, 'no-such-trainer'), workDir: dir, timeLimitMs: 1000 })).rejects.toMatchObject({ code: 'command_spawn_failed' });
  });
});
