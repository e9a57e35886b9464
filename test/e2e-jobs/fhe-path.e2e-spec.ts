import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring, openBuffer } from '@confide/envelope';
import { decodePublicBundle, FheLogRegTrainer, loanApplications, logRegAccuracy, plainLogRegStep, prepareFheDataset, type FheLogRegInput, type FheLogRegOptions } from '@confide/fhe';
import type { Trainer } from '@confide/training';
import { compactVerify, createLocalJWKSet } from 'jose';
import { NodeAgent, NoTeeEvidenceProvider, type AgentTrainers } from '../../apps/node-agent/src/index.js';
import { SchedulerSettings } from '../../apps/scheduler/src/common/scheduler.settings.js';
import { startTestServer, type TestServer } from '../support/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NUMERIC = ['age', 'income', 'debt_ratio', 'late_payments', 'tenure_months', 'credit_lines'];
const FHE = { label_field: 'defaulted', positive_class: 'yes', numeric_columns: NUMERIC, seed: 7 };
const ITERATIONS = 2;
const csvOf = (rows: readonly Record<string, string | number>[]) => {
  const header = Object.keys(rows[0]!);
  return [header.join(','), ...rows.map((r) => header.map((h) => String(r[h])).join(','))].join('\n') + '\n';
};

/**
 * The FHE job path end to end on Postgres over real HTTP, driven by real node agents without a TEE: the agent
 * claims the fhe-logreg job from the scheduler, fetches the public bundle and the ciphertexts, trains with the
 * owner's per-iteration refresh, returns the encrypted weights and completes; the enterprise decrypts. Every
 * iteration is sampled for replay (sample_rate 1) and replayed on another non-TEE agent. Then an agent whose
 * trainer is wrapped to deviate (injected through the agent's trainer registry) is caught by replay.
 */
describe('FHE job path end to end through node agents (Postgres, HTTP, N=16384)', () => {
  let s: TestServer;
  let admin: string;
  let datasetId: string;
  let tenantId: string;
  const rows = loanApplications(300, 5);
  const agents: NodeAgent[] = [];
  const stateDirs: string[] = [];
  /** Every HTTP response a node agent received (requests carrying a DPoP proof are the agents'). */
  const received: Array<{ url: string; body: Buffer }> = [];
  const realFetch = globalThis.fetch;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await realFetch(`${s.url}${path}`, { method, headers: { authorization: `Bearer ${admin}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };
  const getJob = async (id: string) => (await api('GET', `/v1/fine_tuning/jobs/${id}`)).body;
  const waitJob = async (id: string, ok: (j: any) => boolean, ms = 240_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const j = await getJob(id);
      if (ok(j)) return j;
      if (Date.now() > end) throw new Error(`job ${id} stuck at ${j.status}/${j.phase}`);
      await sleep(200);
    }
  };
  const events = async (id: string) => (await api('GET', `/v1/fine_tuning/jobs/${id}/events?limit=100`)).body.data as Array<{ level: string; message: string; data: Record<string, unknown> }>;
  const replayAudit = async (id: string) => {
    await s.auditLog.drain();
    const r = await s.dataSource.query(`SELECT canonical FROM audit.entries WHERE action = 'job.verification_replay' AND canonical LIKE $1 ORDER BY leaf_index`, [`%${id}%`]);
    return (r as Array<{ canonical: string }>).map((x) => JSON.parse(x.canonical) as { outcome: string; details: Record<string, unknown> });
  };
  const agent = async (name: string, price: number, trainers?: Partial<AgentTrainers>) => {
    const dir = mkdtempSync(join(tmpdir(), `confide-fhe-node-${name}-`));
    stateDirs.push(dir);
    const n = await NodeAgent.create({
      url: s.url,
      token: () => Promise.resolve(admin),
      stateDir: dir,
      name,
      hourlyPrice: price,
      gpu: { model: 'RTX4090', count: 1, memory_gb: 24 },
      evidence: new NoTeeEvidenceProvider(),
      heartbeatMs: 250,
      ...(trainers ? { trainers } : {}),
    });
    await n.start();
    agents.push(n);
    return n;
  };
  /** The same trainer on the owner's plaintext features: the reference the encrypted run must be within 1 point of. */
  const plaintextReference = () => {
    const local = prepareFheDataset(rows, { label: { field: 'defaulted', positive: 'yes' }, numeric: NUMERIC, seed: 7 });
    let w: Float64Array = new Float64Array(NUMERIC.length + 1);
    for (let i = 0; i < ITERATIONS; i++) w = plainLogRegStep(w, local.train.features, local.train.labels, { learningRate: 4 });
    return { weights: w, accuracy: logRegAccuracy(w, local.holdout.features, local.holdout.labels) };
  };
  const createJob = (placement: Record<string, unknown> = {}) =>
    api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'fhe-logreg', privacy: { mode: 'fhe' }, hyperparameters: { n_epochs: ITERATIONS }, verification: { mode: 'sampled_replay', sample_rate: 1 }, placement });

  let a: NodeAgent;
  let b: NodeAgent;

  beforeAll(async () => {
    globalThis.fetch = async (input, init) => {
      const res = await realFetch(input, init);
      const headers = (init?.headers ?? {}) as Record<string, string>;
      if (headers.dpop) received.push({ url: String(input), body: Buffer.from(await res.clone().arrayBuffer()) });
      return res;
    };
    s = await startTestServer('postgres');
    admin = await s.token();
    Object.assign(s.app.get(SchedulerSettings), { leaseTtlSeconds: 30, nodeTtlSeconds: 30, heartbeatIntervalSeconds: 1, placementIntervalMs: 100, sweepIntervalMs: 200, unplaceableRetryMs: 100 });
    const up = await realFetch(`${s.url}/v1/datasets?protection=fhe&min_examples=10&fhe=${encodeURIComponent(JSON.stringify(FHE))}`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' }, body: csvOf(rows) });
    const d = (await up.json()) as { id: string; status: string };
    expect(d.status).toBe('ready');
    datasetId = d.id;
    tenantId = (await s.dataSource.query(`SELECT tenant_id FROM enterprise.datasets WHERE id = $1`, [datasetId]))[0].tenant_id;
    a = await agent('plain-a', 0.3);
    b = await agent('plain-b', 0.5);
  }, 180_000);

  afterAll(async () => {
    globalThis.fetch = realFetch;
    await Promise.all(agents.map((n) => n.stop()));
    await s?.stop();
    for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('trains on ciphertexts through the agent to within 1 point of plaintext; every iteration replays to the same digest on another node', async () => {
    const created = await createJob();
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const done = await waitJob(id, (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status));
    expect(done).toMatchObject({ status: 'succeeded' });
    const leases = await s.dataSource.query(`SELECT node_id, epoch, state, end_reason FROM scheduler.leases WHERE job_id = $1 ORDER BY epoch`, [id]);
    // On a mismatch the job's events come along in the failure message: they say why a lease ended early.
    const why = leases.length === 1 ? [] : (await events(id)).map((e) => `${e.level} ${e.message} ${JSON.stringify(e.data)}`);
    expect({ leases, why }).toEqual({ leases: [{ node_id: a.nodeId, epoch: 1, state: 'completed', end_reason: 'succeeded' }], why: [] });

    // The enterprise decrypted the weights: same accuracy as the plaintext trainer, same weights to 1e-3.
    const fhe = (await api('GET', `/v1/fhe/jobs/${id}`)).body;
    expect(fhe).toMatchObject({ state: 'finished', completed_iterations: ITERATIONS });
    const ref = plaintextReference();
    expect(Math.abs(fhe.holdout_accuracy - ref.accuracy)).toBeLessThanOrEqual(0.01);
    (fhe.weights as number[]).forEach((w, j) => expect(Math.abs(w - ref.weights[j]!)).toBeLessThan(1e-3));

    // Metrics streamed per iteration; the encrypted output was checked against the last refresh and the replays.
    const ev = await events(id);
    expect(ev.filter((e) => /^iteration \d+$/.test(e.message)).map((e) => e.data.step).sort()).toEqual(Array.from({ length: ITERATIONS }, (_, i) => i + 1));
    const matched = ev.filter((e) => /^Replay of iteration \d+ on another node matched$/.test(e.message));
    expect(matched).toHaveLength(ITERATIONS);
    for (const e of matched) expect(e.data).toMatchObject({ original_node_id: a.nodeId, replay_node_id: b.nodeId, verdict: 'match' });
    expect(ev.some((e) => /Output verification passed \(replay_matched\)/.test(e.message))).toBe(true);
    const audit = await replayAudit(id);
    expect(audit).toHaveLength(ITERATIONS);
    for (const e of audit) expect(e).toMatchObject({ outcome: 'success', details: { verdict: 'match', original_node_id: a.nodeId, replay_node_id: b.nodeId } });
    const verification = JSON.parse(readFileSync(join(s.dataDir, 'blobs', 'jobs', id, 'e1', 'verification.json'), 'utf8'));
    expect(verification).toMatchObject({ verdict: 'passed', code: 'replay_matched', replay: { selected: true, sample_rate: 1, iterations: { sampled: ITERATIONS, matched: ITERATIONS, mismatched: 0, open: 0 } } });
    // The provenance report, verified with the published JWKS, names the replays and what the output is sealed by.
    const report = await api('GET', `/v1/fine_tuning/jobs/${id}/report`);
    expect(report.status).toBe(200);
    const jwks = (await api('GET', '/v1/fine_tuning/reports/jwks')).body;
    const doc = JSON.parse(Buffer.from((await compactVerify(report.body as string, createLocalJWKSet(jwks))).payload).toString());
    expect(doc).toMatchObject({
      dataset: { id: datasetId, protection: 'fhe' },
      attempts: [{ lease_epoch: 1, node: { id: a.nodeId, tee_type: 'none' }, output: { sealed_to: { wrapped_by: 'fhe-dataset-secret-key' } }, verification: { verdict: 'passed', code: 'replay_matched' } }],
      key_releases: [],
    });
    console.log(`fhe-path e2e: holdout ${fhe.holdout_accuracy} (plaintext ${ref.accuracy}, baseline ${fhe.baseline_accuracy}), ${ITERATIONS} iterations, node steps ${ev.filter((e) => /^iteration/.test(e.message)).map((e) => e.data.node_seconds).join('/')} s`);
  }, 300_000);

  it('the nodes never hold the secret key or plaintext: nothing they received over HTTP or wrote to disk contains either', async () => {
    // The owner's secret key as SEAL serialised it (opened here with the enterprise keyring, as the refresh does).
    const [row] = await s.dataSource.query(`SELECT sealed_secret_key FROM enterprise.fhe_datasets WHERE dataset_id = $1`, [datasetId]);
    const [wrapped] = await s.dataSource.query(`SELECT wrapped FROM enterprise.dataset_keys WHERE dataset_id = $1 AND purpose = 'fhe_secret'`, [datasetId]);
    const binding = { tenantId, datasetId: `${datasetId}#fhe_secret` };
    const dek = await s.app.get(Keyring).unwrapDek(wrapped.wrapped, binding);
    const secretKey = await openBuffer(Buffer.from(row.sealed_secret_key as Uint8Array), { dek, context: binding });
    dek.destroy();
    expect(secretKey.length).toBeGreaterThan(1024);
    const needles: Array<[string, Buffer]> = [
      ...[0.25, 0.5, 0.75].map((f): [string, Buffer] => ['secret key', secretKey.subarray(Math.floor(secretKey.length * f), Math.floor(secretKey.length * f) + 32)]),
      ['sealed secret key', Buffer.from(row.sealed_secret_key as Uint8Array).subarray(-48)],
      ['wrapped secret-key DEK', Buffer.from(String(wrapped.wrapped).slice(-40))],
      // Plaintext: the dataset's rows and its column names (the feature definition never leaves the enterprise).
      ...csvOf(rows).split('\n').slice(1, 40).map((l): [string, Buffer] => ['plaintext row', Buffer.from(l)]),
      ['column name', Buffer.from('debt_ratio')],
      ['label field', Buffer.from('defaulted')],
    ];
    const bundles = received.filter((r) => /\/v1\/fhe\/(jobs|replays)\/[^/]+\/bundle\?/.test(r.url));
    expect(bundles.length).toBeGreaterThanOrEqual(2); // the trainer's and the replayer's
    for (const bundle of bundles) expect(Object.keys(decodePublicBundle(bundle.body)).sort()).toEqual(['galoisKeys', 'galoisSteps', 'parameters', 'relinKeys', 'version']);
    expect(received.some((r) => /\/ciphertexts\?/.test(r.url))).toBe(true);

    const files = stateDirs.flatMap((d) => (readdirSync(d, { recursive: true }) as string[]).map((f) => join(d, f))).filter((f) => statSync(f).isFile());
    // The only file an agent writes is its identity key.
    expect(files.map((f) => f.split('/').pop())).toEqual(files.map(() => 'node-identity.jwk'));
    const haystacks = [...received.map((r) => ({ where: r.url, body: r.body })), ...files.map((f) => ({ where: f, body: readFileSync(f) }))];
    for (const h of haystacks) for (const [what, needle] of needles) if (h.body.indexOf(needle) !== -1) throw new Error(`${what} found in ${h.where}`);
    secretKey.fill(0);
  }, 60_000);

  it('a node that deviates is caught by replay: mismatch → event and audit entry, reputation cut, the job re-runs on another node', async () => {
    // A trainer wrapped to compute each step with a slightly different learning rate: valid ciphertexts the owner
    // accepts, but not the computation the job asked for.
    const honest = new FheLogRegTrainer();
    const deviating: Trainer<FheLogRegInput, FheLogRegOptions> = { name: honest.name, train: (input, o, onMetric, signal) => honest.train(input, { ...o, learningRate: o.learningRate * 1.01 }, onMetric, signal) };
    const c = await agent('plain-cheap', 0.1, { 'fhe-logreg': deviating });
    const before = Number((await s.dataSource.query(`SELECT reliability FROM scheduler.nodes WHERE id = $1`, [c.nodeId]))[0].reliability);
    // The cheapest node (c) takes it first; after the failed verification it is excluded for this job, whatever its
    // reliability (no min_reliability is set), so the re-run goes elsewhere.
    const created = await createJob();
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const done = await waitJob(id, (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status));
    expect(done).toMatchObject({ status: 'succeeded' });

    const leases = (await s.dataSource.query(`SELECT node_id, epoch FROM scheduler.leases WHERE job_id = $1 ORDER BY epoch`, [id])) as Array<{ node_id: string; epoch: number }>;
    expect(leases[0]!.node_id).toBe(c.nodeId);
    const last = leases[leases.length - 1]!;
    expect([a.nodeId, b.nodeId]).toContain(last.node_id);

    const ev = await events(id);
    const mismatched = ev.filter((e) => /did not match/.test(e.message));
    expect(mismatched.length).toBeGreaterThanOrEqual(1);
    for (const e of mismatched) expect(e.data).toMatchObject({ original_node_id: c.nodeId, verdict: 'mismatch' });
    expect(ev.some((e) => /Output verification failed \(replay_mismatch\)/.test(e.message))).toBe(true);
    const audit = await replayAudit(id);
    expect(audit.filter((e) => e.outcome === 'failure').length).toBe(mismatched.length);
    expect(audit.filter((e) => e.outcome === 'failure').every((e) => e.details.original_node_id === c.nodeId)).toBe(true);
    // The re-run's replays (on the third node) matched.
    expect(audit.filter((e) => e.outcome === 'success' && e.details.original_node_id === last.node_id).length).toBe(ITERATIONS);

    const [rep] = await s.dataSource.query(`SELECT verification_failed FROM scheduler.node_reputation WHERE node_id = $1`, [c.nodeId]);
    expect(rep.verification_failed).toBe(1);
    const after = Number((await s.dataSource.query(`SELECT reliability FROM scheduler.nodes WHERE id = $1`, [c.nodeId]))[0].reliability);
    expect(after).toBeLessThan(Math.min(before, 0.7));

    // The re-run started over from zero weights: its result is again the plaintext trainer's.
    const fhe = (await api('GET', `/v1/fhe/jobs/${id}`)).body;
    expect(Math.abs(fhe.holdout_accuracy - plaintextReference().accuracy)).toBeLessThanOrEqual(0.01);
    const replays = await s.dataSource.query(`SELECT state FROM enterprise.fhe_replays WHERE job_id = $1 AND lease_epoch = $2`, [id, last.epoch]);
    expect(replays.map((r: { state: string }) => r.state)).toEqual(new Array(ITERATIONS).fill('match'));
  }, 400_000);

  it('leaks no PII of the dataset into scheduler or attestation tables, server logs, job events or node files', async () => {
    // Markers: every applicant's e-mail and name (unique per row) — PII that must stay in the enterprise's own storage.
    const markers = [...new Set(rows.flatMap((r) => [String(r.email), String(r.name)]))];
    expect(markers.length).toBeGreaterThan(300);
    const tables = (await s.dataSource.query(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('scheduler', 'attestation') AND table_type = 'BASE TABLE'`)) as Array<{ table_schema: string; table_name: string }>;
    expect(tables.length).toBeGreaterThan(4);
    let dump = '';
    for (const t of tables) {
      const found = (await s.dataSource.query(`SELECT row_to_json(x)::text AS j FROM "${t.table_schema}"."${t.table_name}" x`)) as Array<{ j: string }>;
      dump += found.map((r) => r.j).join('\n');
    }
    const jobs = (await api('GET', '/v1/fine_tuning/jobs?limit=50')).body.data as Array<{ id: string }>;
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    let evs = '';
    for (const j of jobs) evs += JSON.stringify(await events(j.id));
    const files = stateDirs.flatMap((d) => (readdirSync(d, { recursive: true }) as string[]).map((f) => join(d, f))).filter((f) => statSync(f).isFile());
    const haystacks = { tables: dump, logs: s.logs.lines.join('\n'), events: evs, node_files: files.map((f) => readFileSync(f, 'latin1')).join('\n') };
    for (const [where, text] of Object.entries(haystacks)) {
      const found = markers.filter((m) => text.includes(m));
      expect({ where, found: found.length }).toEqual({ where, found: 0 });
    }
    expect(dump.length).toBeGreaterThan(1000);
    expect(evs.length).toBeGreaterThan(1000);
  });
});
