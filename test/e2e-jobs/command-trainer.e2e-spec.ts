import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring, openBuffer } from '@confide/envelope';
import { syntheticTicketExamples, unpackCommandOutput } from '@confide/training';
import { DEFAULT_ENV_ALLOW_LIST, NodeAgent, SimulatedEvidenceProvider } from '../../apps/node-agent/src/index.js';
import { SchedulerSettings } from '../../apps/scheduler/src/common/scheduler.settings.js';
import { createJobBlobStore, jobBlobKeys, outputBinding, readAll } from '../../apps/enterprise/src/jobs/job-artifacts.js';
import { startTestServer, type TestServer } from '../support/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SHM = '/dev/shm';

// The external trainer: a small node script. n_epochs picks its behaviour (the node's command spec is fixed).
const TRAINER = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const lines = fs.readFileSync(process.env.CONFIDE_TRAINING_FILE, 'utf8').split('\n').filter((l) => l.trim());
const epochs = Number(process.env.CONFIDE_N_EPOCHS || 1);
if (epochs === 50) {
  // Cancel target: reports its pid and works forever, ignoring SIGTERM (only the group SIGKILL ends it).
  process.on('SIGTERM', () => {});
  console.log(JSON.stringify({ step: 0, pid: process.pid }));
  setInterval(() => {}, 1000);
} else {
  const counts = {};
  for (const l of lines) {
    const m = JSON.parse(l).messages;
    const label = m[m.length - 1].content;
    counts[label] = (counts[label] || 0) + 1;
  }
  for (let s = 0; s < 5; s++) console.log(JSON.stringify({ step: s, loss: 2 / (s + 1), accuracy: s / 5, records: lines.length }));
  fs.writeFileSync(path.join(process.env.CONFIDE_OUTPUT_DIR, 'label-counts.json'), JSON.stringify(counts));
  fs.mkdirSync(path.join(process.env.CONFIDE_OUTPUT_DIR, 'adapter'));
  fs.writeFileSync(path.join(process.env.CONFIDE_OUTPUT_DIR, 'adapter', 'weights.bin'), Buffer.alloc(64 * 1024, 3));
  fs.writeFileSync(path.join(process.env.CONFIDE_OUTPUT_DIR, 'seen-env.json'), JSON.stringify(Object.keys(process.env).sort()));
}
`;

/**
 * The `command` trainer through the real node agent on Postgres over HTTP: the decrypted dataset exists only in a
 * per-lease tmpfs workspace, the allow-listed trainer's JSON-lines metrics arrive as job events, what it writes is
 * sealed to the enterprise and opened there, the workspace is gone afterwards, and a cancel kills the process.
 */
describe('command trainer end to end (Postgres, HTTP, node agent)', () => {
  let s: TestServer;
  let admin: string;
  let datasetId: string;
  let agent: NodeAgent;
  let scriptDir: string;
  let stateDir: string;
  const markers: string[] = [];

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${s.url}${path}`, { method, headers: { authorization: `Bearer ${admin}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const waitJob = async (id: string, ok: (j: any) => boolean, ms = 60_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const j = (await api('GET', `/v1/fine_tuning/jobs/${id}`)).body;
      if (ok(j)) return j;
      if (Date.now() > end) throw new Error(`job ${id} stuck at ${j.status}/${j.phase}`);
      await sleep(100);
    }
  };
  const events = async (id: string) => (await api('GET', `/v1/fine_tuning/jobs/${id}/events?limit=100`)).body.data as Array<{ level: string; type: string; message: string; data: Record<string, unknown> }>;
  const workspaces = () => readdirSync(SHM).filter((f) => f.startsWith('confide-'));

  beforeAll(async () => {
    s = await startTestServer('postgres', { CONFIDE_TEST_AGENT_TOKEN: 'must-not-reach-the-trainer' });
    admin = await s.token();
    Object.assign(s.app.get(SchedulerSettings), { leaseTtlSeconds: 8, nodeTtlSeconds: 8, heartbeatIntervalSeconds: 1, placementIntervalMs: 100, sweepIntervalMs: 200, unplaceableRetryMs: 100 });
    const lines = syntheticTicketExamples(300, 5).map((e) => {
      const m = `qz${randomBytes(5).toString('hex')}`;
      markers.push(m);
      return JSON.stringify({ messages: [{ role: 'user', content: `${e.text} Write to ${m}@example.com.` }, { role: 'assistant', content: e.label }] });
    });
    const up = await fetch(`${s.url}/v1/datasets?protection=tee&filename=tickets.jsonl`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/jsonl' }, body: lines.join('\n') });
    const d = (await up.json()) as { id: string; status: string };
    expect(d.status).toBe('ready');
    datasetId = d.id;
    scriptDir = mkdtempSync(join(tmpdir(), 'confide-cmd-e2e-'));
    writeFileSync(join(scriptDir, 'label-stats.cjs'), TRAINER);
    stateDir = mkdtempSync(join(tmpdir(), 'confide-node-cmd-'));
    process.env.CONFIDE_TEST_AGENT_TOKEN = 'must-not-reach-the-trainer';
    agent = await NodeAgent.create({
      url: s.url,
      token: () => Promise.resolve(admin),
      stateDir,
      name: 'snp-cmd',
      evidence: await SimulatedEvidenceProvider.create(join(s.dataDir, 'dev-pki'), 'sev-snp'),
      heartbeatMs: 250,
      commands: { 'label-stats': { executable: process.execPath, args: [join(scriptDir, 'label-stats.cjs')], killGraceMs: 500 } },
    });
    await agent.start();
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await s?.stop();
    delete process.env.CONFIDE_TEST_AGENT_TOKEN;
    for (const d of [scriptDir, stateDir]) if (d) rmSync(d, { recursive: true, force: true });
    // Dropping the scratch database forces a checkpoint, which can take a while on a busy machine.
  }, 120_000);

  it('runs the allow-listed trainer: metrics arrive as events, the output is sealed to the enterprise and opened there, the tmpfs is empty', async () => {
    const before = workspaces();
    const created = await api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'command', hyperparameters: { command: 'label-stats', n_epochs: 1 }, seed: 4 });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const done = await waitJob(id, (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status));
    const ev = await events(id);
    if (done.status !== 'succeeded') process.stdout.write(`${JSON.stringify(done)}\n${JSON.stringify(ev)}\n`);
    expect(done.status).toBe('succeeded');

    const steps = ev.filter((e) => e.type === 'metrics' && /^step \d+$/.test(e.message)).map((e) => e.data).sort((x, y) => (x.step as number) - (y.step as number));
    expect(steps.map((d) => [d.step, d.train_loss, d.train_accuracy])).toEqual([0, 1, 2, 3, 4].map((s) => [s, 2 / (s + 1), s / 5]));
    expect(steps.every((d) => (d.records as number) >= 300)).toBe(true);
    expect(ev.find((e) => e.message === 'Command trainer selected')!.data.command_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ev.find((e) => e.message.startsWith('Output verification passed'))!.data).toMatchObject({ verdict: 'passed', code: 'command_output_intact' });

    // The enterprise opens the bundle with its own keyring.
    const blobs = createJobBlobStore(s.config);
    const keys = jobBlobKeys(id, 1);
    const manifest = JSON.parse((await readAll(blobs, keys.manifest)).toString());
    expect(manifest.format).toBe('application/vnd.confide.command-bundle');
    const dek = await s.app.get(Keyring).unwrapDek((await readAll(blobs, keys.outputDek)).toString(), outputBinding('acme', id));
    const bundle = await openBuffer(await readAll(blobs, keys.model), { dek, context: outputBinding('acme', id) });
    dek.destroy();
    const { files } = unpackCommandOutput(bundle);
    expect(files.map((f) => f.path)).toEqual(['adapter/weights.bin', 'label-counts.json', 'seen-env.json']);
    const counts = JSON.parse(files[1]!.bytes.toString()) as Record<string, number>;
    expect(Object.keys(counts)).toEqual(expect.arrayContaining(['billing', 'shipping', 'account', 'technical']));
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300);
    expect(files[0]!.bytes.equals(Buffer.alloc(64 * 1024, 3))).toBe(true);
    // No agent credential or setting reached the trainer.
    const inherited = DEFAULT_ENV_ALLOW_LIST.filter((k) => process.env[k] !== undefined);
    const seen = JSON.parse(files[2]!.bytes.toString()) as string[];
    expect(seen).toEqual(['CONFIDE_N_EPOCHS', 'CONFIDE_OUTPUT_DIR', 'CONFIDE_SEED', 'CONFIDE_TRAINING_FILE', 'HOME', 'TMPDIR', ...inherited].sort());
    expect(seen).not.toContain('CONFIDE_TEST_AGENT_TOKEN');

    const lease = (await s.dataSource.query(`SELECT id FROM scheduler.leases WHERE job_id = $1`, [id]))[0].id as string;
    expect(existsSync(join(SHM, `confide-${lease}`))).toBe(false);
    expect(workspaces()).toEqual(before);
    // Nothing of the data in events or logs.
    const text = JSON.stringify(ev) + s.logs.lines.join('\n');
    expect(markers.filter((m) => text.includes(m))).toEqual([]);
  }, 90_000);

  it('refuses a command the node does not allow, and a command job outside a TEE, at creation or on the node', async () => {
    const fhe = await api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'command', hyperparameters: { command: 'label-stats' }, privacy: { mode: 'fhe' } });
    expect(fhe.status).toBe(400);
    expect(JSON.stringify(fhe.body)).toContain('privacy.mode');
    const missing = await api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'command' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain('hyperparameters.command');
    const stray = await api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'text-classifier', hyperparameters: { command: 'label-stats' } });
    expect(stray.status).toBe(400);

    const created = await api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'command', hyperparameters: { command: 'not-on-this-node' } });
    const id = created.body.id as string;
    const end = Date.now() + 60_000;
    let ev = await events(id);
    while (!JSON.stringify(ev).includes('command_not_allowed') && Date.now() < end) {
      await sleep(200);
      ev = await events(id);
    }
    expect(JSON.stringify(ev)).toContain('command_not_allowed');
    // Refused before anything ran: no workspace, no trainer selected.
    expect(ev.some((e) => e.message === 'Command trainer selected')).toBe(false);
    await api('POST', `/v1/fine_tuning/jobs/${id}/cancel`);
  }, 90_000);

  it('cancel during training kills the trainer process and wipes its workspace', async () => {
    const created = await api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'command', hyperparameters: { command: 'label-stats', n_epochs: 50 } });
    const id = created.body.id as string;
    let pid = 0;
    const end = Date.now() + 60_000;
    while (!pid && Date.now() < end) {
      pid = ((await events(id)).find((e) => typeof e.data.pid === 'number')?.data.pid as number) ?? 0;
      if (!pid) await sleep(100);
    }
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 0); // alive
    const lease = (await s.dataSource.query(`SELECT id FROM scheduler.leases WHERE job_id = $1 AND state = 'active'`, [id]))[0].id as string;
    const ws = join(SHM, `confide-${lease}`);
    // While it runs, the decrypted data sits in the 0700 tmpfs workspace only.
    expect(statSync(ws).mode & 0o777).toBe(0o700);
    expect(statSync(join(ws, 'input', 'training.jsonl')).mode & 0o777).toBe(0o400);
    expect((await api('POST', `/v1/fine_tuning/jobs/${id}/cancel`)).body.phase).toBe('cancelling');
    const done = await waitJob(id, (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status), 30_000);
    expect(done.status).toBe('cancelled');
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(ws)).toBe(false);
    const settled = Date.now() + 5000;
    while (agent.activeLeases.length && Date.now() < settled) await sleep(100);
    expect(agent.activeLeases).toEqual([]);
  }, 90_000);
});
