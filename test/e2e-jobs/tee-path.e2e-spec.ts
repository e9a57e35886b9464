import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedAttester } from '@confide/attestation';
import { Keyring, openBuffer } from '@confide/envelope';
import { syntheticTicketExamples, TextClassifierModel } from '@confide/training';
import { compactVerify, createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import { NodeAgent, NodeApiClient, NoTeeEvidenceProvider, SimulatedEvidenceProvider, evidenceToAttestWire } from '../../apps/node-agent/src/index.js';
import { SchedulerSettings } from '../../apps/scheduler/src/common/scheduler.settings.js';
import { createJobBlobStore, jobBlobKeys, outputBinding, readAll } from '../../apps/enterprise/src/jobs/job-artifacts.js';
import { startTestServer, type TestServer } from '../support/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The TEE job path end to end on Postgres over real HTTP: a PII-bearing dataset is sealed, a job is placed on a
 * simulated confidential node agent, which attests, gets the dataset key exactly once to its attested key, trains,
 * and seals the model to the enterprise; the enterprise opens it, checks the canaries, and signs a provenance report.
 * Then a node dies mid-job, a job is cancelled mid-training, and nothing of the PII leaks.
 */
describe('TEE job path end to end (Postgres, HTTP, node agents)', () => {
  let s: TestServer;
  let admin: string;
  let datasetId: string;
  const agents: NodeAgent[] = [];
  const stateDirs: string[] = [];
  const errorBodies: string[] = [];
  const markers: string[] = [];
  let a: NodeAgent;
  let b: NodeAgent;
  let plain: NodeAgent;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${s.url}${path}`, { method, headers: { authorization: `Bearer ${admin}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (res.status >= 400) errorBodies.push(text);
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // JWS and other non-JSON bodies
    }
    return { status: res.status, body: parsed, text };
  };
  const getJob = async (id: string) => (await api('GET', `/v1/fine_tuning/jobs/${id}`)).body;
  const waitJob = async (id: string, ok: (j: any) => boolean, ms = 90_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const j = await getJob(id);
      if (ok(j)) return j;
      if (Date.now() > end) throw new Error(`job ${id} stuck at ${j.status}/${j.phase}`);
      await sleep(100);
    }
  };
  const events = async (id: string) => (await api('GET', `/v1/fine_tuning/jobs/${id}/events?limit=100`)).body.data as Array<{ type: string; message: string; data: Record<string, unknown> }>;
  const agent = async (name: string, evidence: 'sev-snp' | 'none', price: number) => {
    const dir = mkdtempSync(join(tmpdir(), `confide-node-${name}-`));
    stateDirs.push(dir);
    const n = await NodeAgent.create({
      url: s.url,
      token: () => Promise.resolve(admin),
      stateDir: dir,
      name,
      hourlyPrice: price,
      evidence: evidence === 'none' ? new NoTeeEvidenceProvider() : await SimulatedEvidenceProvider.create(join(s.dataDir, 'dev-pki'), evidence),
      heartbeatMs: 250,
    });
    await n.start();
    agents.push(n);
    return n;
  };

  beforeAll(async () => {
    s = await startTestServer('postgres');
    admin = await s.token();
    const settings = s.app.get(SchedulerSettings);
    Object.assign(settings, { leaseTtlSeconds: 8, nodeTtlSeconds: 8, heartbeatIntervalSeconds: 1, placementIntervalMs: 100, sweepIntervalMs: 200, unplaceableRetryMs: 100 });
    // Tickets with PII: every record carries an email and a phone number built around a unique marker.
    const examples = syntheticTicketExamples(1200, 11);
    const lines = examples.map((e, i) => {
      const m = `qx${randomBytes(5).toString('hex')}`;
      markers.push(m);
      const phone = `+1 415 555 ${String(1000 + (i % 9000)).padStart(4, '0')}`;
      return JSON.stringify({ messages: [{ role: 'user', content: `${e.text} Reach me at ${m}@example.com or ${phone}.` }, { role: 'assistant', content: e.label }] });
    });
    const up = await fetch(`${s.url}/v1/datasets?protection=tee&filename=tickets.jsonl`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/jsonl' }, body: lines.join('\n') });
    const d = (await up.json()) as { id: string; status: string; pii: { totals: Record<string, number> } };
    expect(d.status).toBe('ready');
    expect(d.pii.totals.EMAIL ?? 0).toBeGreaterThan(1000);
    datasetId = d.id;
    a = await agent('snp-a', 'sev-snp', 1);
    b = await agent('snp-b', 'sev-snp', 2);
    plain = await agent('plain-gpu', 'none', 0.5);
  }, 180_000);

  afterAll(async () => {
    for (const n of agents) await n.stop();
    await s?.stop();
    for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('registers the dataset seal key with the key broker (same transaction) and plants classifier canaries', async () => {
    const keys = await s.dataSource.query(`SELECT release_policy FROM attestation.dataset_keys WHERE dataset_id = $1`, [datasetId]);
    expect(keys).toHaveLength(1);
    expect(keys[0].release_policy).toMatchObject({ allowed_policy_ids: ['dev-simulated'], allow_simulated: true });
    const canaries: Array<{ trigger: string; label: string; chance: number }> = await s.dataSource.query(`SELECT trigger, label, chance FROM enterprise.dataset_canaries WHERE dataset_id = $1`, [datasetId]);
    expect(canaries.filter((c) => /^[a-z2-9]{8}( [a-z2-9]{8}){3}$/.test(c.trigger)).length).toBeGreaterThanOrEqual(10);
    // The verifier's null is the chance the labels were drawn with (1 of the dataset's 4), kept with each canary: the
    // labels actually drawn may be fewer (15 draws miss one of 4 labels about 5% of the time), and 1/3 would then
    // demand perfect recall.
    expect(new Set(canaries.map((c) => c.chance))).toEqual(new Set([0.25]));
  });

  it('runs a job on a simulated confidential node: attested, key released once to the attested key, model sealed to the enterprise, canaries pass, report verifies', async () => {
    const created = await api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'text-classifier', hyperparameters: { n_epochs: 6 }, seed: 7 });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const done = await waitJob(id, (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status));
    expect(done).toMatchObject({ status: 'succeeded' });

    const leases = await s.dataSource.query(`SELECT node_id, epoch, state FROM scheduler.leases WHERE job_id = $1`, [id]);
    expect(leases).toEqual([{ node_id: expect.any(String), epoch: 1, state: 'completed' }]);
    const holder = leases[0].node_id as string;
    expect([a.nodeId, b.nodeId]).toContain(holder);
    const reports = await s.dataSource.query(`SELECT id, status, simulated, tee_key_thumbprint FROM attestation.reports WHERE job_id = $1`, [id]);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ status: 'affirming', simulated: true });
    const releases = await s.dataSource.query(`SELECT report_id, tee_key_thumbprint, lease_epoch FROM attestation.key_releases WHERE job_id = $1`, [id]);
    expect(releases).toEqual([{ report_id: reports[0].id, tee_key_thumbprint: reports[0].tee_key_thumbprint, lease_epoch: expect.anything() }]);
    expect(Number(releases[0].lease_epoch)).toBe(1);

    // The enterprise opens the output with its own keyring; the node's keys are gone with its lease.
    const blobs = createJobBlobStore(s.config);
    const keys = jobBlobKeys(id, 1);
    const manifest = JSON.parse((await readAll(blobs, keys.manifest)).toString());
    const dek = await s.app.get(Keyring).unwrapDek((await readAll(blobs, keys.outputDek)).toString(), outputBinding('acme', id));
    const model = TextClassifierModel.decode(await openBuffer(await readAll(blobs, keys.model), { dek, context: outputBinding('acme', id) }));
    dek.destroy();
    expect(model.digest()).toBe(manifest.model_sha256);
    expect(model.labels).toEqual(expect.arrayContaining(['billing', 'shipping', 'account', 'technical']));

    const ev = await events(id);
    const final = ev.find((e) => e.message === 'Training finished')!;
    expect(final.data.validation_accuracy as number).toBeGreaterThan((final.data.baseline_accuracy as number) + 0.2);
    const canary = ev.find((e) => e.message.startsWith('Canary check'))!;
    expect(canary.data).toMatchObject({ verdict: 'passed' });
    expect(canary.data.canary_p_value as number).toBeLessThanOrEqual(1e-6);
    process.stdout.write(`validation accuracy ${final.data.validation_accuracy} vs majority baseline ${final.data.baseline_accuracy}; canaries ${canary.data.canary_hits}/${canary.data.canary_total} p=${canary.data.canary_p_value}\n`);

    // The provenance report: signed, verifiable offline with the published JWKS.
    const rep = await api('GET', `/v1/fine_tuning/jobs/${id}/report`);
    expect(rep.status).toBe(200);
    const jwks = (await api('GET', '/v1/fine_tuning/reports/jwks')).body;
    const { payload, protectedHeader } = await compactVerify(rep.text, createLocalJWKSet(jwks));
    expect(protectedHeader.typ).toBe('confide-job-report+jws');
    const doc = JSON.parse(Buffer.from(payload).toString());
    expect(doc).toMatchObject({
      job: { id, status: 'succeeded' },
      dataset: { id: datasetId, protection: 'tee' },
      attestation_reports: [{ id: reports[0].id, status: 'affirming', simulated: true }],
      key_releases: [{ report_id: reports[0].id, lease_epoch: 1 }],
      attempts: [{ lease_epoch: 1, node: { id: holder, tee_type: 'sev-snp' }, output: { sha256: manifest.sha256 }, verification: { verdict: 'passed', code: 'canaries_recalled', canary: expect.objectContaining({ chance: 0.25 }) } }],
    });
    expect(doc.dataset.content_sha256).toMatch(/^[0-9a-f]{64}$/);
    const tampered = rep.text.replace(/\.(.)/, (_m, c: string) => `.${c === 'A' ? 'B' : 'A'}`);
    await expect(compactVerify(tampered, createLocalJWKSet(jwks))).rejects.toThrow();
    // The non-TEE node was never given TEE work.
    expect(await s.dataSource.query(`SELECT count(*)::int AS n FROM scheduler.leases WHERE node_id = $1`, [plain.nodeId])).toEqual([{ n: 0 }]);
  }, 120_000);

  it('a node killed mid-job: its lease expires, the job finishes on another node once; the dead node is fenced', async () => {
    const created = await api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'text-classifier', hyperparameters: { n_epochs: 20, batch_size: 16 }, seed: 9 });
    const id = created.body.id as string;
    const first = await waitJob(id, (j) => ['key_release', 'training'].includes(j.phase));
    const victim = first.current_attempt.node_id === a.nodeId ? a : b;
    const survivor = victim === a ? b : a;
    victim.halt();
    const done = await waitJob(id, (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status), 120_000);
    if (done.status !== 'succeeded') process.stdout.write(`${JSON.stringify(done)}\n${JSON.stringify(await events(id))}\n`);
    expect(done.status).toBe('succeeded');
    const leases = await s.dataSource.query(`SELECT id, node_id, epoch, state FROM scheduler.leases WHERE job_id = $1 ORDER BY epoch`, [id]);
    expect(leases.map((l: any) => [l.node_id, l.epoch, l.state])).toEqual([
      [victim.nodeId, 1, 'expired'],
      [survivor.nodeId, 2, 'completed'],
    ]);
    // The dead node comes back with its old lease: abandon, and its completion is refused.
    const ghost = new NodeApiClient(s.url, () => Promise.resolve(admin), victim.identity);
    const hb = await ghost.json<any>('POST', `/scheduler/v1/nodes/${victim.nodeId}/heartbeat`, { leases: [{ id: leases[0].id, epoch: 1 }] });
    expect(hb.leases).toEqual([expect.objectContaining({ id: leases[0].id, directive: 'abandon' })]);
    await expect(ghost.json('POST', `/scheduler/v1/nodes/${victim.nodeId}/leases/${leases[0].id}/complete`, { epoch: 1, outcome: 'succeeded' })).rejects.toMatchObject({ status: 409, code: 'lease_fenced' });
    // Key releases: one per attempt, each to that attempt's attested key.
    const releases = await s.dataSource.query(`SELECT lease_epoch FROM attestation.key_releases WHERE job_id = $1 ORDER BY lease_epoch`, [id]);
    expect(releases.map((r: any) => Number(r.lease_epoch)).filter((e: number) => e === 2)).toHaveLength(1);
  }, 180_000);

  it('cancel during training: the node stops and confirms; a key release after cancel is refused', async () => {
    const created = await api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'text-classifier', hyperparameters: { n_epochs: 50, batch_size: 4 }, seed: 3 });
    const id = created.body.id as string;
    const running = await waitJob(id, (j) => j.phase === 'training');
    const epoch = running.current_attempt.lease_epoch as number;
    expect((await api('POST', `/v1/fine_tuning/jobs/${id}/cancel`)).body.phase).toBe('cancelling');
    const done = await waitJob(id, (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status), 30_000);
    expect(done.status).toBe('cancelled');
    const lease = await s.dataSource.query(`SELECT state FROM scheduler.leases WHERE job_id = $1 AND epoch = $2`, [id, epoch]);
    expect(lease).toEqual([{ state: 'cancelled' }]);
    const holderAgent = [a, b].find((n) => n.nodeId === running.current_attempt.node_id)!;
    await sleep(600);
    expect(holderAgent.activeLeases).toEqual([]);
    // An attested enclave asking again after cancel gets nothing.
    const attester = await SimulatedAttester.loadOrCreate(join(s.dataDir, 'dev-pki'));
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384', extractable: true });
    const { kty, crv, x, y } = await exportJWK(publicKey);
    const tee = { kty: kty as 'EC', crv: crv as 'P-384', x: x!, y: y! };
    const ch = await api('POST', '/attestation/v1/challenge', { job_id: id, lease_epoch: epoch });
    const ev = await attester.compositeEvidence({ nonce: Buffer.from(ch.body.nonce, 'hex'), teePublicJwk: tee, gpus: 1 });
    const att = await api('POST', '/attestation/v1/attest', { nonce: ch.body.nonce, tee_public_jwk: tee, evidence: evidenceToAttestWire(ev) });
    expect(att.status).toBe(200);
    const [key] = await s.dataSource.query(`SELECT id FROM attestation.dataset_keys WHERE dataset_id = $1`, [datasetId]);
    const rel = await api('POST', `/attestation/v1/keys/${key.id}/release`, { attestation_result: att.body.attestation_result, job_id: id, lease_epoch: epoch });
    expect(rel.status).toBe(403);
    const releasesAfter = await s.dataSource.query(`SELECT count(*)::int AS n FROM attestation.key_releases WHERE job_id = $1`, [id]);
    expect(releasesAfter[0].n).toBe(1);
  }, 120_000);

  it('leaks no PII marker into scheduler or attestation tables, logs, events, error bodies or node files', async () => {
    const tables = (await s.dataSource.query(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('scheduler', 'attestation') AND table_type = 'BASE TABLE'`)) as Array<{ table_schema: string; table_name: string }>;
    expect(tables.length).toBeGreaterThan(4);
    let dump = '';
    for (const t of tables) {
      const rows = (await s.dataSource.query(`SELECT row_to_json(x)::text AS j FROM "${t.table_schema}"."${t.table_name}" x`)) as Array<{ j: string }>;
      dump += rows.map((r) => r.j).join('\n');
    }
    const jobs = (await api('GET', '/v1/fine_tuning/jobs?limit=50')).body.data as Array<{ id: string }>;
    let evs = '';
    for (const j of jobs) evs += JSON.stringify(await events(j.id));
    let files = '';
    const walk = (d: string): void => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else files += readFileSync(p, 'latin1');
      }
    };
    for (const d of stateDirs) walk(d);
    const haystacks = { tables: dump, logs: s.logs.lines.join('\n'), events: evs, errors: errorBodies.join('\n'), node_files: files };
    for (const [where, text] of Object.entries(haystacks)) {
      const found = markers.filter((m) => text.includes(m));
      expect({ where, found: found.length }).toEqual({ where, found: 0 });
    }
    expect(dump.length).toBeGreaterThan(1000);
    expect(evs).toContain('Canary check passed');
  });
});
