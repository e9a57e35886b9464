import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LeaseAssignment } from '@confide/contracts';
import { unpackCommandOutput } from '@confide/training';
import { validateNodeCommands, type NodeCommands } from './command-config.js';
import { runCommandLease, type CommandLeaseContext } from './command-lease.js';

const SHM = '/dev/shm';
const TMPFS = 0x01021994;

// A small external trainer: modes chosen by CONFIDE_N_EPOCHS so the node's spec (args) stays fixed.
const TRAINER = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const out = process.env.CONFIDE_OUTPUT_DIR;
const mode = { '1': 'ok', '2': 'garbage', '3': 'fail', '4': 'hang', '5': 'family', '6': 'chatty' }[process.env.CONFIDE_N_EPOCHS];
const data = fs.readFileSync(process.env.CONFIDE_TRAINING_FILE, 'utf8').trim().split('\n');
if (mode === 'ok') {
  for (let s = 0; s < 3; s++) console.log(JSON.stringify({ step: s, loss: 1 / (s + 1), examples: data.length, tokens_per_s: 10 * s }));
  fs.writeFileSync(path.join(out, 'env.json'), JSON.stringify(process.env));
  fs.mkdirSync(path.join(out, 'adapter'));
  fs.writeFileSync(path.join(out, 'adapter', 'weights.bin'), Buffer.alloc(4096, 5));
  fs.writeFileSync(path.join(process.env.TMPDIR, 'scratch'), data[0]);
  process.exit(0);
}
if (mode === 'garbage') { console.log(JSON.stringify({ step: 0, loss: 2 })); console.log('epoch 1 ' + data[0]); setInterval(() => {}, 1000); }
if (mode === 'chatty') { let s = ''; for (let i = 0; i < 5000; i++) s += JSON.stringify({ step: i, loss: 1 }) + '\n'; process.stdout.write(s, () => process.exit(0)); }
if (mode === 'fail') { console.error('boom ' + data[0]); process.exit(7); }
if (mode === 'hang') { console.log(JSON.stringify({ step: 0, pid: process.pid })); setInterval(() => {}, 1000); }
if (mode === 'family') {
  // A grandchild that ignores SIGTERM: only killing the whole group gets rid of it.
  const kid = spawn(process.execPath, ['-e', "process.on('SIGTERM',()=>{});setInterval(()=>{},1000)"], { stdio: 'ignore' });
  process.on('SIGTERM', () => {});
  console.log(JSON.stringify({ step: 0, pid: process.pid, child_pid: kid.pid }));
  setInterval(() => {}, 1000);
}
`;

/**
 * Whether `pid` is still a running process. A killed process whose parent died with it stays a zombie until init reaps
 * it (slow on a loaded machine), and `kill(pid, 0)` still finds a zombie: on Linux the state in /proc decides.
 */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat[stat.lastIndexOf(')') + 2];
    return state !== 'Z' && state !== 'X';
  } catch {
    return process.platform !== 'linux';
  }
};

describe('command trainer on a lease (tmpfs workspace, restricted env, sealed bundle)', () => {
  let scriptDir: string;
  let commands: NodeCommands;
  let scriptSha: string;
  const leases: string[] = [];

  beforeAll(() => {
    scriptDir = mkdtempSync(join(tmpdir(), 'confide-cmd-spec-'));
    const script = join(scriptDir, 'trainer.cjs');
    writeFileSync(script, TRAINER);
    // `cat node trainer.cjs | sha256sum`: the interpreter and the script it runs.
    scriptSha = createHash('sha256').update(readFileSync(process.execPath)).update(readFileSync(script)).digest('hex');
    commands = validateNodeCommands({ 'toy-trainer': { executable: process.execPath, args: [script], killGraceMs: 300 } });
  });
  afterAll(() => rmSync(scriptDir, { recursive: true, force: true }));
  afterEach(() => {
    // Whatever happened, nothing of any lease is left on the tmpfs.
    for (const id of leases) expect(existsSync(join(SHM, `confide-${id}`))).toBe(false);
    expect(readdirSync(SHM).filter((f) => leases.some((id) => f.includes(id)))).toEqual([]);
  });

  const ctx = (mode: number, over: Partial<CommandLeaseContext> & { hp?: Record<string, unknown> } = {}) => {
    const leaseId = `spec-${mode}-${Math.random().toString(16).slice(2, 10)}`;
    leases.push(leaseId);
    const events: Array<{ level: string; type: string; message: string; data: Record<string, unknown> }> = [];
    const plain = Buffer.from('{"messages":[{"role":"user","content":"card 4111 1111 1111 1111 lost"},{"role":"assistant","content":"billing"}]}\n{"messages":[{"role":"user","content":"b"},{"role":"assistant","content":"account"}]}\n');
    const job = { trainer: 'command', model: 'm', training_file: 'f', validation_file: null, seed: 5, hyperparameters: { command: 'toy-trainer', n_epochs: mode, ...over.hp }, privacy: {}, verification: {}, max_duration_seconds: 60 } as NonNullable<LeaseAssignment['job']>;
    const c: CommandLeaseContext = {
      leaseId,
      job,
      seed: 5,
      plain,
      commands,
      workspaceRoot: SHM,
      signal: new AbortController().signal,
      event: (level, type, message, data) => events.push({ level, type, message, data }),
      flush: async () => undefined,
      baseEnv: { PATH: '/usr/bin:/bin', CONFIDE_TOKEN: 'secret-operator-token', AWS_SECRET_ACCESS_KEY: 'nope', HOME: '/root' },
      ...over,
    };
    return { c, events, plain, leaseId };
  };

  it('runs the allow-listed command on /dev/shm with only allow-listed env, streams metrics and bundles its outputs', async () => {
    expect(Number(statfsSync(SHM).type)).toBe(TMPFS);
    const { c, events, plain, leaseId } = ctx(1);
    const out = await runCommandLease(c);
    expect(plain.every((b) => b === 0)).toBe(true);
    expect(events[0]).toMatchObject({ message: 'Command trainer selected', data: { command: 'toy-trainer', command_sha256: scriptSha } });
    expect(events.filter((e) => e.type === 'metrics').map((e) => e.data)).toEqual([
      { step: 0, train_loss: 1, examples: 2, tokens_per_s: 0 },
      { step: 1, train_loss: 0.5, examples: 2, tokens_per_s: 10 },
      { step: 2, train_loss: 1 / 3, examples: 2, tokens_per_s: 20 },
    ]);
    const { files } = unpackCommandOutput(out.payload);
    expect(files.map((f) => f.path)).toEqual(['adapter/weights.bin', 'env.json']);
    expect(out.digest).toBe(createHash('sha256').update(out.payload).digest('hex'));
    const env = JSON.parse(files[1]!.bytes.toString()) as Record<string, string>;
    const ws = join(SHM, `confide-${leaseId}`);
    expect(env).toEqual({
      PATH: '/usr/bin:/bin',
      CONFIDE_TRAINING_FILE: join(ws, 'input', 'training.jsonl'),
      CONFIDE_OUTPUT_DIR: join(ws, 'output'),
      CONFIDE_SEED: '5',
      CONFIDE_N_EPOCHS: '1',
      HOME: join(ws, 'home'),
      TMPDIR: join(ws, 'tmp'),
    });
    // Nothing the trainer wrote to its scratch dir (a line of the data) left the workspace.
    expect(out.payload.toString('latin1')).not.toContain('4111');
  });

  it('rate-limits metric events from a chatty trainer but always reports its last step', async () => {
    const { c, events } = ctx(6);
    await runCommandLease(c);
    const steps = events.filter((e) => e.type === 'metrics').map((e) => e.data.step as number);
    expect(steps.length).toBeLessThan(200);
    expect(steps.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(steps.at(-1)).toBe(4999);
  });

  it('refuses a workspace root that is not a tmpfs, before any plaintext is written', async () => {
    const disk = [process.cwd(), tmpdir(), '/'].find((d) => Number(statfsSync(d).type) !== TMPFS)!;
    const { c, plain } = ctx(1, { workspaceRoot: disk });
    await expect(runCommandLease(c)).rejects.toMatchObject({ code: 'workspace_not_tmpfs', kind: 'infra' });
    expect(existsSync(join(disk, `confide-${c.leaseId}`))).toBe(false);
    expect(plain.every((b) => b === 0)).toBe(true);
  });

  it('runs only commands the node allows, and only the binary a job pinned', async () => {
    await expect(runCommandLease(ctx(1, { hp: { command: 'rm' } }).c)).rejects.toMatchObject({ code: 'command_not_allowed', kind: 'user' });
    await expect(runCommandLease(ctx(1, { hp: { command: 'constructor' } }).c)).rejects.toMatchObject({ code: 'command_not_allowed' });
    await expect(runCommandLease(ctx(1, { hp: { command_sha256: '0'.repeat(64) } }).c)).rejects.toMatchObject({ code: 'command_digest_mismatch', kind: 'user' });
    await expect(runCommandLease(ctx(1, { hp: { command_sha256: scriptSha } }).c)).resolves.toMatchObject({ format: 'application/vnd.confide.command-bundle' });
    expect(() => validateNodeCommands({ x: { executable: 'node' } })).toThrow('node command "x": executable must be an absolute path');
    expect(() => validateNodeCommands({ x: { executable: '/bin/true', envAllowList: ['CONFIDE_TOKEN'] } })).toThrow(/must not pass CONFIDE_TOKEN/);
    expect(() => validateNodeCommands({ x: { executable: '/bin/true', envAllowList: ['GITHUB_TOKEN'] } })).toThrow(/credential/);
  });

  it('fails on a stdout line that is not a metric, naming the line and nothing of it', async () => {
    const { c, events } = ctx(2);
    await expect(runCommandLease(c)).rejects.toMatchObject({ code: 'metric_line_invalid', kind: 'user' });
    const error = events.find((e) => e.level === 'error')!;
    expect(error).toMatchObject({ message: 'stdout line 2 is not a metric line (not_json)', data: { code: 'metric_line_invalid', line: 2 } });
    expect(JSON.stringify(events)).not.toContain('4111');
  });

  it('fails on a non-zero exit and on the time limit', async () => {
    await expect(runCommandLease(ctx(3).c)).rejects.toMatchObject({ code: 'command_failed', kind: 'user' });
    const slow = ctx(4);
    const job = { ...slow.c.job, max_duration_seconds: 1 };
    await expect(runCommandLease({ ...slow.c, job })).rejects.toMatchObject({ code: 'command_timed_out' });
    const pid = slow.events.find((e) => e.data.pid)!.data.pid as number;
    expect(alive(pid)).toBe(false);
  });

  it('on cancel kills the whole process group (a grandchild ignoring SIGTERM too) and wipes the workspace', async () => {
    const abort = new AbortController();
    const { c, events } = ctx(5, { signal: abort.signal });
    const run = runCommandLease(c);
    const deadline = Date.now() + 10_000;
    while (!events.some((e) => e.data.child_pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const { pid, child_pid } = events.find((e) => e.data.child_pid)!.data as { pid: number; child_pid: number };
    expect(alive(pid) && alive(child_pid)).toBe(true);
    abort.abort();
    await expect(run).rejects.toMatchObject({ code: 'command_cancelled' });
    await new Promise((r) => setTimeout(r, 100));
    expect([alive(pid), alive(child_pid)]).toEqual([false, false]);
  });
});
