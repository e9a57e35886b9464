import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SimulatedAttester, compositeEvidenceToJson } from '@confide/attestation';
import { AuditRepository, createDataSource, SchedulerLeaseAuthority, SchedulerRepository, INITIAL_RELIABILITY } from '@confide/persistence';
import { PlacementService } from '../../apps/scheduler/src/placement/placement.service.js';
import { SchedulerSettings } from '../../apps/scheduler/src/common/scheduler.settings.js';
import { SweeperService } from '../../apps/scheduler/src/sweeper/sweeper.service.js';
import { nodeRegistrationNonce } from '../../apps/scheduler/src/nodes/node-evidence.verifier.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { NodeClient } from './node-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fine-tuning jobs and the scheduler (Postgres)', () => {
  let s: TestServer;
  let admin: string;
  let dataset: string;
  let settings: SchedulerSettings;

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token = admin) => {
    const res = await fetch(`${s.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };
  const job = (extra: Record<string, unknown> = {}) => ({ training_file: dataset, trainer: 'text-classifier', ...extra });
  const waitFor = async <T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await f();
      if (ok(v) || Date.now() > end) return v;
      await sleep(100);
    }
  };
  /** Registers a non-TEE (or any) node straight in the registry with a real key, for placement scenarios. */
  const seedNode = async (attrs: Partial<{ teeType: string; region: string; hourlyPrice: number; gpuMemoryGb: number; reliability: number; max: number; interruptible: boolean }> = {}) => {
    const n = await NodeClient.create(s.url, admin);
    const repo = new SchedulerRepository(s.dataSource);
    n.id = randomUUID();
    await s.dataSource.transaction((em) =>
      repo.insertNode(em, {
        id: n.id, name: `seed-${n.id.slice(0, 8)}`, operatorTenantId: 'acme', operatorSubject: 'confide-cli', provider: 'test', region: attrs.region ?? 'eu-west-1', gpuModel: 'H100', gpuCount: 1,
        gpuMemoryGb: attrs.gpuMemoryGb ?? 80, teeType: attrs.teeType ?? 'sev-snp', hourlyPrice: attrs.hourlyPrice ?? 3, interruptible: attrs.interruptible ?? false, maxConcurrentLeases: attrs.max ?? 1, activeLeases: 0,
        state: 'active', identityJkt: n.jkt, identityJwk: n.jwk, attestationVerified: true, attestationSimulated: true, measurement: null, reliability: attrs.reliability ?? INITIAL_RELIABILITY,
        availableUntil: null, registeredAt: new Date(), lastSeenAt: null,
      }),
    );
    expect((await n.heartbeat()).status).toBe(200);
    return n;
  };
  /**
   * The key broker's view of a lease, both ways it asks: the pre-check (`checkLease`) and the authoritative check that
   * writes the release's rows in the same statement (`commitIfHeld`). They must agree, and the fenced row must exist
   * exactly when the verdict is ok (the rule is written once in SQL and once in code).
   */
  const leaseVerdict = async (check: { tenantId: string; jobId: string; leaseEpoch: number; nodeId: string }) => {
    const authority = new SchedulerLeaseAuthority(s.dataSource);
    const pre = await authority.checkLease(check, s.dataSource.manager);
    const marker = randomUUID();
    const fenced = await authority.commitIfHeld(check, [
      AuditRepository.pendingInsert({ tenantId: check.tenantId, action: 'test.fenced_write', createdAt: new Date(), payload: JSON.stringify({ marker }) }),
    ]);
    expect(fenced).toEqual(pre);
    const written = await s.dataSource.query(
      `SELECT (SELECT count(*) FROM audit.pending WHERE payload LIKE $1) + (SELECT count(*) FROM audit.entries WHERE canonical LIKE $1) AS n`,
      [`%${marker}%`],
    );
    expect(Number(written[0].n)).toBe(pre.ok ? 1 : 0);
    return pre;
  };
  const retireAll = () => s.dataSource.query(`UPDATE scheduler.node_liveness SET available_until = now() - interval '1 second'`);

  beforeAll(async () => {
    s = await startTestServer('postgres');
    admin = await s.token();
    settings = s.app.get(SchedulerSettings);
    settings.placementIntervalMs = 100;
    settings.sweepIntervalMs = 200;
    settings.unplaceableRetryMs = 100;
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ messages: [{ role: 'user', content: `ticket ${i} about billing` }, { role: 'assistant', content: i % 2 ? 'billing' : 'other' }] })).join('\n');
    const up = await fetch(`${s.url}/v1/datasets?min_examples=1&protection=tee`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/jsonl' }, body: lines });
    const d = (await up.json()) as { id: string; status: string };
    expect(d.status).toBe('ready');
    dataset = d.id;
  }, 120_000);
  afterAll(async () => s?.stop());

  it('registers a confidential node only with evidence that binds its DPoP key', async () => {
    const attester = await SimulatedAttester.loadOrCreate(join(s.dataDir, 'dev-pki'));
    const node = await NodeClient.create(s.url, admin);
    const other = await NodeClient.create(s.url, admin);
    const attrs = { name: 'snp-1', provider: 'acme-cloud', region: 'eu-west-1', gpu: { model: 'H100', count: 1, memory_gb: 80 }, tee_type: 'sev-snp', hourly_price: 4 };
    const jti = randomUUID();
    // Evidence that binds another key is refused.
    const wrong = await attester.compositeEvidence({ nonce: nodeRegistrationNonce(node.jkt, jti), teePublicJwk: other.jwk });
    expect((await node.call('POST', '/scheduler/v1/nodes', { ...attrs, evidence: compositeEvidenceToJson(wrong) }, { jti })).status).toBe(403);
    expect((await node.call('POST', '/scheduler/v1/nodes', attrs)).status).toBe(400);
    const jti2 = randomUUID();
    const ev = await attester.compositeEvidence({ nonce: nodeRegistrationNonce(node.jkt, jti2), teePublicJwk: node.jwk });
    const res = await node.call('POST', '/scheduler/v1/nodes', { ...attrs, evidence: compositeEvidenceToJson(ev) }, { jti: jti2 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tee_type: 'sev-snp', identity_jkt: node.jkt, attestation: { verified: true, simulated: true } });
    node.id = res.body.id;
    // Every later request needs a proof by that key: another key, a replayed proof or no proof are refused.
    expect((await other.call('POST', `/scheduler/v1/nodes/${node.id}/heartbeat`, { leases: [] })).status).toBe(401);
    const hb = await node.call('POST', `/scheduler/v1/nodes/${node.id}/heartbeat`, { leases: [] }, { jti: 'replayed-proof-id-0001' });
    expect(hb.status).toBe(200);
    expect((await node.call('POST', `/scheduler/v1/nodes/${node.id}/heartbeat`, { leases: [] }, { jti: 'replayed-proof-id-0001' })).status).toBe(401);
    const bare = await fetch(`${s.url}/scheduler/v1/nodes/${node.id}/heartbeat`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{}' });
    expect(bare.status).toBe(401);
    await retireAll();
  }, 60_000);

  it('creates one job for 50 parallel creates with one Idempotency-Key; another body with that key is 409', async () => {
    settings.loops = false;
    const key = `idem-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 50 }, () => api('POST', '/v1/fine_tuning/jobs', job({ metadata: { k: 'v' } }), { 'idempotency-key': key })));
    expect(results.map((r) => r.status).filter((x) => x !== 200 && x !== 201)).toEqual([]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const rows = await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.fine_tuning_jobs WHERE metadata->>'k' = 'v'`);
    expect(rows[0].n).toBe(1);
    const conflict = await api('POST', '/v1/fine_tuning/jobs', job({ metadata: { k: 'other' } }), { 'idempotency-key': key });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('idempotency_key_conflict');
    const j = results[0]!.body;
    expect(j).toMatchObject({ object: 'fine_tuning.job', status: 'queued', phase: 'queued', privacy: { mode: 'tee' } });
    expect(j.queue_position).toBeGreaterThanOrEqual(1);
    expect(j.pending_reason).toBe('no_capacity');
    await api('POST', `/v1/fine_tuning/jobs/${j.id}/cancel`);
  }, 60_000);

  it('places on the cheapest node that passes every filter and explains the rest in the estimate', async () => {
    settings.loops = false;
    await retireAll();
    const cheapUs = await seedNode({ region: 'us-east-1', hourlyPrice: 1 });
    const noTee = await seedNode({ teeType: 'none', hourlyPrice: 0.5 });
    const small = await seedNode({ gpuMemoryGb: 24, hourlyPrice: 1.5 });
    const pricey = await seedNode({ hourlyPrice: 9 });
    const right = await seedNode({ hourlyPrice: 2.5 });
    const placement = { regions: ['eu'], min_gpu_memory_gb: 40, max_hourly_price: 8 };
    const est = await api('POST', '/v1/fine_tuning/jobs/estimate', job({ placement }));
    expect(est.status).toBe(200);
    const byId = new Map<string, any>(est.body.candidates.map((c: any) => [c.node_id, c]));
    expect(byId.get(cheapUs.id).filtered_by).toEqual(['region']);
    expect(byId.get(noTee.id).filtered_by).toEqual(['tee_type']);
    expect(byId.get(small.id).filtered_by).toEqual(['gpu_memory']);
    expect(byId.get(pricey.id).filtered_by).toEqual(['price']);
    expect(byId.get(right.id)).toMatchObject({ filtered_by: [], chosen: true });
    expect(est.body.feasible).toBe(true);
    expect(est.body.cost.min).toBeLessThanOrEqual(est.body.cost.max);

    const created = await api('POST', '/v1/fine_tuning/jobs', job({ placement }));
    const placer = s.app.get(PlacementService);
    await placer.placeBatch();
    const got = await api('GET', `/v1/fine_tuning/jobs/${created.body.id}`);
    expect(got.body).toMatchObject({ status: 'running', phase: 'provisioning', current_attempt: { node_id: right.id, lease_epoch: 1 } });
    // A residency nobody satisfies stays queued with the reason.
    const nowhere = await api('POST', '/v1/fine_tuning/jobs', job({ placement: { regions: ['ap'] } }));
    await placer.placeBatch();
    const q = await api('GET', `/v1/fine_tuning/jobs/${nowhere.body.id}`);
    expect(q.body).toMatchObject({ status: 'queued', pending_reason: 'no_node_matches_region' });
    await api('POST', `/v1/fine_tuning/jobs/${nowhere.body.id}/cancel`);
    await api('POST', `/v1/fine_tuning/jobs/${created.body.id}/cancel`);
    const lease = (await right.heartbeat()).body.leases[0];
    expect(lease.directive).toBe('cancel');
    expect((await right.complete(lease.id, { epoch: lease.epoch, outcome: 'cancelled' })).status).toBe(200);
    await retireAll();
  }, 60_000);

  it('places on the best node even while that node is in the middle of a heartbeat (liveness is its own row)', async () => {
    settings.loops = false;
    await retireAll();
    const best = await seedNode({ hourlyPrice: 1 });
    const next = await seedNode({ hourlyPrice: 2 });
    const created = await api('POST', '/v1/fine_tuning/jobs', job());
    // A heartbeat of the best node, its transaction still open (as on a loaded machine, or while it applies phases).
    const hb = s.dataSource.createQueryRunner();
    await hb.connect();
    await hb.startTransaction();
    try {
      expect(await new SchedulerRepository(s.dataSource).touchNode(hb.manager, best.id, 30)).toBeInstanceOf(Date);
      expect(await s.app.get(PlacementService).placeBatch()).toEqual({ placed: 1, considered: 1 });
    } finally {
      await hb.commitTransaction();
      await hb.release();
    }
    const got = await api('GET', `/v1/fine_tuning/jobs/${created.body.id}`);
    expect(got.body.current_attempt).toMatchObject({ node_id: best.id, lease_epoch: 1 });
    expect(got.body.current_attempt.node_id).not.toBe(next.id);
    await api('POST', `/v1/fine_tuning/jobs/${created.body.id}/cancel`);
    const lease = (await best.heartbeat()).body.leases[0];
    expect((await best.complete(lease.id, { epoch: lease.epoch, outcome: 'cancelled' })).status).toBe(200);
    await retireAll();
  }, 60_000);

  it('never double-assigns with two scheduler replicas claiming concurrently', async () => {
    settings.loops = false;
    await retireAll();
    for (let i = 0; i < 6; i++) await seedNode({ max: 2, hourlyPrice: 1 + i / 10 });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await api('POST', '/v1/fine_tuning/jobs', job({ metadata: { batch: 'race' } }))).body.id);
    const ds2 = createDataSource(s.config.database);
    await ds2.initialize();
    try {
      const other = new PlacementService(ds2, s.auditLog, Object.assign(new SchedulerSettings(), { placementBatch: 3 }));
      const mine = new PlacementService(s.dataSource, s.auditLog, Object.assign(new SchedulerSettings(), { placementBatch: 3 }));
      const results = await Promise.all([...Array.from({ length: 6 }, () => other.placeBatch()), ...Array.from({ length: 6 }, () => mine.placeBatch())]);
      const placed = results.reduce((a, r) => a + r.placed, 0);
      const rows = await s.dataSource.query(`SELECT job_id, count(*)::int AS n FROM scheduler.leases WHERE job_id = ANY($1::uuid[]) GROUP BY job_id`, [ids]);
      expect(rows.every((r: { n: number }) => r.n === 1)).toBe(true);
      expect(rows).toHaveLength(placed);
      expect(placed).toBe(12); // 6 nodes × 2 slots
      const over = await s.dataSource.query(`SELECT count(*)::int AS n FROM scheduler.nodes n WHERE (SELECT count(*) FROM scheduler.leases l WHERE l.node_id = n.id AND l.state = 'active') > n.max_concurrent_leases OR n.active_leases > n.max_concurrent_leases`);
      expect(over[0].n).toBe(0);
    } finally {
      await ds2.destroy();
    }
    for (const id of ids) await api('POST', `/v1/fine_tuning/jobs/${id}/cancel`);
    await s.dataSource.query(`UPDATE scheduler.leases SET expires_at = now() WHERE state = 'active'`);
    await s.app.get(SweeperService).sweep(100);
    await retireAll();
  }, 90_000);

  it('fences a stale epoch: after expiry and re-lease the old holder cannot heartbeat or complete; the sweeper re-queues', async () => {
    settings.loops = false;
    await retireAll();
    const a = await seedNode({ hourlyPrice: 1 });
    const created = await api('POST', '/v1/fine_tuning/jobs', job());
    const placer = s.app.get(PlacementService);
    await placer.placeBatch();
    const first = (await a.heartbeat()).body.leases[0];
    expect(first).toMatchObject({ job_id: created.body.id, epoch: 1, directive: 'start' });
    expect(first.job).toMatchObject({ trainer: 'text-classifier', training_file: dataset });
    expect((await a.heartbeat([{ id: first.id, epoch: 1, phase: 'training' }])).body.leases[0].directive).toBe('continue');
    // The key broker's view: holder, epoch and liveness.
    const held = { tenantId: 'acme', jobId: created.body.id, leaseEpoch: 1, nodeId: a.id };
    expect(await leaseVerdict(held)).toMatchObject({ ok: true, region: 'eu-west-1' });
    expect(await leaseVerdict({ ...held, nodeId: randomUUID() })).toEqual({ ok: false, reason: 'lease_holder_mismatch' });
    expect(await leaseVerdict({ ...held, tenantId: 'globex' })).toEqual({ ok: false, reason: 'lease_unknown' });
    expect(await leaseVerdict({ ...held, jobId: randomUUID() })).toEqual({ ok: false, reason: 'lease_unknown' });
    expect(await leaseVerdict({ ...held, leaseEpoch: 2 })).toEqual({ ok: false, reason: 'lease_epoch_stale' });
    // The node goes silent; its lease expires by the database clock and the sweeper re-queues (infra budget, not user).
    await s.dataSource.query(`UPDATE scheduler.leases SET expires_at = now() - interval '1 second' WHERE id = $1`, [first.id]);
    await s.dataSource.query(`UPDATE scheduler.node_liveness SET available_until = now() - interval '1 second' WHERE node_id = $1`, [a.id]);
    expect(await s.app.get(SweeperService).sweep()).toBeGreaterThanOrEqual(1);
    const requeued = await api('GET', `/v1/fine_tuning/jobs/${created.body.id}`);
    expect(requeued.body).toMatchObject({ status: 'queued', phase: 'recovering', retries: { infra_used: 1, user_used: 0 } });
    expect(await leaseVerdict(held)).toEqual({ ok: false, reason: 'lease_expired' });
    expect((await new SchedulerRepository(s.dataSource).findReputation(a.id))!.lost).toBe(1);
    // Another node takes it at epoch 2.
    const b = await seedNode({ hourlyPrice: 2 });
    await s.dataSource.query(`UPDATE enterprise.fine_tuning_jobs SET not_before = now() WHERE id = $1`, [created.body.id]);
    await placer.placeBatch();
    const second = (await b.heartbeat()).body.leases[0];
    expect(second).toMatchObject({ job_id: created.body.id, epoch: 2 });
    // The old holder comes back: its heartbeat renews nothing and says abandon; its completion is refused.
    const late = await a.heartbeat([{ id: first.id, epoch: 1 }]);
    expect(late.body.leases).toEqual([expect.objectContaining({ id: first.id, directive: 'abandon' })]);
    const stale = await a.complete(first.id, { epoch: 1, outcome: 'succeeded' });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('lease_fenced');
    expect(await leaseVerdict({ ...held, nodeId: b.id })).toEqual({ ok: false, reason: 'lease_epoch_stale' });
    // Checkpoints and metrics flow under the current epoch; completion happens once.
    expect((await b.call('POST', `/scheduler/v1/nodes/${b.id}/leases/${second.id}/checkpoints`, { epoch: 2, step_number: 10, metrics: { train_loss: 0.4 } })).status).toBe(200);
    expect((await b.complete(second.id, { epoch: 2, outcome: 'succeeded', result: { trained_tokens: 1200 } })).status).toBe(200);
    expect((await b.complete(second.id, { epoch: 2, outcome: 'succeeded' })).status).toBe(409);
    const done = await api('GET', `/v1/fine_tuning/jobs/${created.body.id}`);
    expect(done.body).toMatchObject({ status: 'succeeded', phase: 'succeeded', trained_tokens: 1200 });
    expect(done.body.fine_tuned_model).toContain(created.body.id);
    const cps = await api('GET', `/v1/fine_tuning/jobs/${created.body.id}/checkpoints`);
    expect(cps.body.data).toEqual([expect.objectContaining({ step_number: 10, metrics: { train_loss: 0.4 } })]);
    const completions = await s.dataSource.query(`SELECT count(*)::int AS n FROM scheduler.leases WHERE job_id = $1 AND state = 'completed'`, [created.body.id]);
    expect(completions[0].n).toBe(1);
    // Every transition is an audit entry.
    const audit = await s.dataSource.query(`SELECT action FROM audit.pending WHERE payload LIKE $1 UNION ALL SELECT action FROM audit.entries WHERE canonical LIKE $1`, [`%${created.body.id}%`]);
    expect(audit.map((r: { action: string }) => r.action)).toEqual(expect.arrayContaining(['job.create', 'job.files_validated', 'job.lease_granted', 'job.phase_reported', 'job.lease_expired', 'job.attempt_succeeded']));
    await retireAll();
  }, 60_000);

  it('streams events live over SSE and cancels in two phases until the node confirms', async () => {
    settings.loops = true;
    await retireAll();
    const n = await seedNode({ hourlyPrice: 1 });
    const created = await api('POST', '/v1/fine_tuning/jobs', job());
    const id = created.body.id;
    const ctl = new AbortController();
    const res = await fetch(`${s.url}/v1/fine_tuning/jobs/${id}/events?stream=true`, { headers: { authorization: `Bearer ${admin}` }, signal: ctl.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const seen: string[] = [];
    const reading = (async () => {
      const dec = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (data) seen.push(JSON.parse(data.slice(6)).message ?? `end:${JSON.parse(data.slice(6)).status}`);
        }
      }
    })();
    const lease = (await waitFor(() => n.heartbeat(), (r) => r.body.leases.length > 0)).body.leases[0];
    await n.heartbeat([{ id: lease.id, epoch: lease.epoch, phase: 'training' }]);
    const c = await api('POST', `/v1/fine_tuning/jobs/${id}/cancel`);
    expect(c.body).toMatchObject({ status: 'running', phase: 'cancelling' });
    expect((await n.heartbeat([{ id: lease.id, epoch: lease.epoch }])).body.leases[0].directive).toBe('cancel');
    // The key broker refuses a release once cancel was asked.
    expect(await leaseVerdict({ tenantId: 'acme', jobId: id, leaseEpoch: lease.epoch, nodeId: n.id })).toEqual({ ok: false, reason: 'job_cancelled' });
    expect((await n.complete(lease.id, { epoch: lease.epoch, outcome: 'cancelled' })).status).toBe(200);
    await Promise.race([reading, sleep(8000)]);
    ctl.abort();
    expect(seen).toEqual(expect.arrayContaining([expect.stringMatching(/^Created/), 'Files validated; job queued', 'Placed on a node', 'Phase training', 'Cancellation requested; waiting for the node to stop', 'Job cancelled; the node stopped', 'end:cancelled']));
    expect(seen.indexOf('Placed on a node')).toBeLessThan(seen.indexOf('Job cancelled; the node stopped'));
    const page = await api('GET', `/v1/fine_tuning/jobs/${id}/events?limit=2`);
    expect(page.body.data).toHaveLength(2);
    expect(page.body.has_more).toBe(true);
    expect(page.body.data[0].seq).toBeGreaterThan(page.body.data[1].seq);
    const list = await api('GET', `/v1/fine_tuning/jobs?limit=2&status=cancelled`);
    expect(list.body.data.every((j: { status: string }) => j.status === 'cancelled')).toBe(true);
    const next = await api('GET', `/v1/fine_tuning/jobs?limit=2&status=cancelled&after=${list.body.last_id}`);
    expect(next.body.data.map((j: { id: string }) => j.id)).not.toContain(list.body.data[0].id);
    // Other tenants see nothing.
    expect((await api('GET', `/v1/fine_tuning/jobs/${id}`, undefined, {}, await s.token('globex-cli'))).status).toBe(404);
  }, 60_000);
});
