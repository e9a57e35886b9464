import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedAttester } from '@confide/attestation';
import { syntheticTicketExamples } from '@confide/training';
import { exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import { cliEnv, fetchToken } from '../../apps/cli/src/cli-context.js';
import { evidenceToAttestWire, loadOrCreateIdentity, NodeApiClient } from '../../apps/node-agent/src/index.js';
import { createPostgresTarget } from '../support/databases.js';
import { Gateway, requireFreshDist, startApp, startNodeProcess, stopAllProcesses, type Proc } from '../support/processes.js';
import { freePort } from '../support/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/**
 * Process-level faults on a split deployment: the enterprise, attestation and scheduler apps and the node agents
 * (`confide node run`) are separate OS processes started from dist, on one real Postgres, talking real HTTP through
 * a path-routing gateway. Faults are `kill -9` of a whole process: nothing in it gets to say goodbye.
 */
describe('process faults: kill -9 of a node agent and of the scheduler (Postgres, separate processes)', () => {
  const procs: Proc[] = [];
  let db: pg.Pool;
  let dropDb: () => Promise<void>;
  let dataDir: string;
  let gateway: Gateway;
  let appEnv: Record<string, string>;
  let schedulerPort: number;
  let scheduler: Proc;
  let enterprise: Proc;
  let attestation: Proc;
  let token = '';
  let tokenAt = 0;
  /** The operator's access token from the dev issuer (via the gateway), fetched again well before it expires. */
  const freshToken = async (): Promise<string> => {
    if (Date.now() - tokenAt > 60_000) {
      token = (await fetchToken(cliEnv({ CONFIDE_URL: gateway.url, CONFIDE_DATA_DIR: dataDir }))).access_token;
      tokenAt = Date.now();
    }
    return token;
  };
  let datasetId: string;
  const nodeDirs = new Map<string, string>();
  /** Processes that must stay up: any of them exiting fails the wait at once, with its output. */
  const mustRun = new Set<Proc>();

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${await freshToken()}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // non-JSON body
    }
    return { status: res.status, body: parsed };
  };
  const getJob = async (id: string) => (await api('GET', `/v1/fine_tuning/jobs/${id}`)).body;
  /** The job's story (events, error) and the processes' last lines, for a failure message. */
  const explain = async (id: string): Promise<string> => {
    const j = await getJob(id);
    const ev = (await api('GET', `/v1/fine_tuning/jobs/${id}/events?limit=100`)).body.data as Array<{ message: string; data: unknown }>;
    return `job ${id}: ${j.status}/${j.phase} error=${JSON.stringify(j.error)}\n${ev.reverse().map((e) => `  ${e.message} ${JSON.stringify(e.data)}`).join('\n')}\n${await sessions()}\n${procs.filter((p) => p.name.startsWith('node')).map((p) => p.tail(20)).join('\n')}`;
  };
  /** What every other session on the test database is doing (a wait on a lock shows here), for a failure message. */
  const sessions = async (): Promise<string> => {
    const r = await db.query(
      `SELECT pid, application_name, state, wait_event_type, wait_event, now() - xact_start AS xact_age, pg_blocking_pids(pid) AS blocked_by, left(query, 200) AS query
         FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY xact_start NULLS LAST`,
    );
    return `sessions:\n${r.rows.map((s) => `  ${JSON.stringify(s)}`).join('\n')}`;
  };
  const track = (...ps: Proc[]): void => {
    for (const p of ps) {
      procs.push(p);
      mustRun.add(p);
    }
  };
  const kill9 = async (p: Proc): Promise<void> => {
    mustRun.delete(p);
    await p.kill9();
    expect(await p.exited).toEqual({ code: null, signal: 'SIGKILL' });
  };
  /** Polls `f` until `ok`; on timeout the error carries `why()` (the job's story) when given, else the last value. */
  const waitFor = async <T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, ms: number, why?: (last: T) => Promise<string>): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await f();
      if (ok(v)) return v;
      const died = [...mustRun].filter((p) => !p.running);
      if (died.length) throw new Error(`${what}: ${died.map((p) => p.name).join(', ')} exited unexpectedly\n${died.map((p) => p.tail()).join('\n')}`);
      if (Date.now() > end) throw new Error(`${what}: timed out; ${why ? await why(v) : `last ${JSON.stringify(v).slice(0, 500)}`}\n${procs.map((p) => p.tail(15)).join('\n')}`);
      await sleep(150);
    }
  };
  /** Audit actions on a job, integrated or still queued. */
  const auditedActions = async (jobId: string): Promise<string[]> =>
    (await db.query(`SELECT action FROM audit.pending WHERE payload LIKE $1 UNION ALL SELECT action FROM audit.entries WHERE canonical LIKE $1`, [`%${jobId}%`])).rows.map((r) => r.action as string);
  const schedulerEnv = () => ({
    ...appEnv,
    OIDC_ISSUER: `${gateway.url}/oidc`,
    // Short enough for a quick test, long enough that a node process starved of CPU (trainers are CPU-bound and the
    // machine is shared) still renews in time.
    SCHEDULER_LEASE_TTL_S: '8',
    SCHEDULER_NODE_TTL_S: '8',
    SCHEDULER_HEARTBEAT_INTERVAL_S: '1',
    SCHEDULER_PLACEMENT_INTERVAL_MS: '100',
    SCHEDULER_SWEEP_INTERVAL_MS: '200',
  });
  const startNode = async (name: string, price: number, extraArgs: string[] = []): Promise<{ proc: Proc; id: string }> => {
    const dir = mkdtempSync(join(tmpdir(), `confide-node-${name}-`));
    nodeDirs.set(name, dir);
    const proc = startNodeProcess(name, ['--tee', 'simulated', '--price', String(price), '--state-dir', dir, ...extraArgs], { CONFIDE_URL: gateway.url, CONFIDE_DATA_DIR: dataDir });
    track(proc);
    const rows = await waitFor(`node ${name} registers`, () => db.query(`SELECT id FROM scheduler.nodes WHERE name = $1`, [name]).then((r) => r.rows), (r) => r.length === 1 || !proc.running, 30_000);
    if (!proc.running) throw new Error(`node ${name} exited\n${proc.tail()}`);
    return { proc, id: rows[0].id as string };
  };

  beforeAll(async () => {
    requireFreshDist();
    const t = await createPostgresTarget();
    dropDb = t.drop;
    if (t.target.kind !== 'postgres') throw new Error('postgres target expected');
    db = new pg.Pool({ connectionString: t.target.url, max: 3 });
    dataDir = mkdtempSync(join(tmpdir(), 'confide-faults-'));
    const [gw, ep, ap] = [await freePort(), await freePort(), await freePort()];
    schedulerPort = await freePort();
    gateway = await Gateway.start(gw, [{ prefix: '/scheduler/', port: schedulerPort }, { prefix: '/attestation/', port: ap }], ep);
    // One public origin (DPoP proofs name it), one database, one data dir (dev PKI, KEK, dev credentials).
    appEnv = { CONFIDE_DATA_DIR: dataDir, DATABASE_URL: t.target.url, DATABASE_POOL_SIZE: '5', PUBLIC_URL: gateway.url, LOG_LEVEL: 'info' };
    // The enterprise app first: it migrates the database and hosts the development issuer the others trust.
    enterprise = await startApp('enterprise', ep, appEnv);
    track(enterprise);
    [attestation, scheduler] = await Promise.all([startApp('attestation', ap, { ...appEnv, OIDC_ISSUER: `${gateway.url}/oidc` }), startApp('scheduler', schedulerPort, schedulerEnv())]);
    track(attestation, scheduler);
    await freshToken();

    const lines = syntheticTicketExamples(1200, 5).map((e) => JSON.stringify({ messages: [{ role: 'user', content: e.text }, { role: 'assistant', content: e.label }] }));
    const up = await fetch(`${gateway.url}/v1/datasets?protection=tee&filename=tickets.jsonl`, { method: 'POST', headers: { authorization: `Bearer ${await freshToken()}`, 'content-type': 'application/jsonl' }, body: lines.join('\n') });
    const d = (await up.json()) as { id: string; status: string };
    expect(d.status).toBe('ready');
    datasetId = d.id;
  }, 180_000);

  afterAll(async () => {
    await stopAllProcesses();
    await gateway?.close();
    await db?.end();
    await dropDb?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    for (const d of nodeDirs.values()) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it('kill -9 of a node process mid-job: its lease expires by the database clock, the job finishes on another node once, the dead node is fenced', async () => {
    const a = await startNode('snp-a', 1);
    const b = await startNode('snp-b', 2);
    // Enough epochs that training outlasts a few 1-s heartbeats (the phase is reported on heartbeats): 8 epochs could
    // finish between two on a quiet machine, and then no heartbeat ever said 'training'.
    const created = await api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'text-classifier', hyperparameters: { n_epochs: 48, batch_size: 8 }, seed: 9 });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const running = await waitFor('job trains on the cheaper node', () => getJob(id), (j) => j.phase === 'training' || TERMINAL.includes(j.status), 60_000);
    if (running.phase !== 'training') throw new Error(await explain(id));
    expect(running).toMatchObject({ status: 'running', phase: 'training', current_attempt: { node_id: a.id, lease_epoch: 1 } });
    const [before] = (await db.query(`SELECT id, expires_at > now() AS live FROM scheduler.leases WHERE job_id = $1`, [id])).rows;
    expect(before.live).toBe(true);

    await kill9(a.proc);

    const done = await waitFor('job finishes elsewhere', () => getJob(id), (j) => TERMINAL.includes(j.status), 90_000, () => explain(id));
    if (done.status !== 'succeeded') throw new Error(await explain(id));
    const leases = (await db.query(`SELECT id, node_id, epoch, state, end_reason FROM scheduler.leases WHERE job_id = $1 ORDER BY epoch`, [id])).rows;
    expect({ status: done.status, retries: done.retries, leases: leases.map((l) => [l.node_id === a.id ? 'a' : l.node_id === b.id ? 'b' : l.node_id, l.epoch, l.state, l.end_reason]) }).toEqual({
      status: 'succeeded',
      retries: expect.objectContaining({ infra_used: 1, user_used: 0 }),
      leases: [
        ['a', 1, 'expired', 'lease_expired'],
        ['b', 2, 'completed', 'succeeded'],
      ],
    });
    // Exactly one completion: one completed lease, one audited attempt_succeeded transition.
    expect(await auditedActions(id)).toEqual(expect.arrayContaining(['job.lease_granted', 'job.lease_expired', 'job.attempt_succeeded']));
    expect((await auditedActions(id)).filter((a) => a === 'job.attempt_succeeded')).toHaveLength(1);

    // The dead node's identity key is where `node run --state-dir` keeps it, owner-only; it was never printed.
    const keyPath = join(nodeDirs.get('snp-a')!, 'node-identity.jwk');
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const d = (JSON.parse(readFileSync(keyPath, 'utf8')) as { d: string }).d;
    for (const p of procs) expect({ proc: p.name, leaked: p.lines.some((l) => l.includes(d)) }).toEqual({ proc: p.name, leaked: false });

    // Its late heartbeat renews nothing and answers abandon; its late events and completion at epoch 1 are fenced.
    const ghost = new NodeApiClient(gateway.url, freshToken, await loadOrCreateIdentity(keyPath));
    const hb = await ghost.json<any>('POST', `/scheduler/v1/nodes/${a.id}/heartbeat`, { leases: [{ id: leases[0].id, epoch: 1, phase: 'training' }] });
    expect(hb.leases).toEqual([expect.objectContaining({ id: leases[0].id, directive: 'abandon' })]);
    await expect(ghost.json('POST', `/scheduler/v1/nodes/${a.id}/leases/${leases[0].id}/events`, { epoch: 1, events: [{ level: 'info', type: 'message', message: 'late', data: {} }] })).rejects.toMatchObject({ status: 409, code: 'lease_fenced' });
    await expect(ghost.json('POST', `/scheduler/v1/nodes/${a.id}/leases/${leases[0].id}/complete`, { epoch: 1, outcome: 'succeeded', result: { trained_tokens: 1 } })).rejects.toMatchObject({ status: 409, code: 'lease_fenced' });
    // Nor can it pass off the new epoch as its own.
    await expect(ghost.json('POST', `/scheduler/v1/nodes/${a.id}/leases/${leases[1].id}/complete`, { epoch: 2, outcome: 'succeeded' })).rejects.toMatchObject({ status: 404 });
    const after = await getJob(id);
    expect(after).toMatchObject({ status: 'succeeded', trained_tokens: done.trained_tokens });
    expect((await db.query(`SELECT count(*)::int AS n FROM scheduler.leases WHERE job_id = $1 AND state = 'completed'`, [id])).rows[0].n).toBe(1);
    mustRun.delete(b.proc);
    await b.proc.stop();
  }, 180_000);

  it('kill -9 of the scheduler under load: every accepted job survives and runs once; never two live leases, never two completions', async () => {
    const c = await startNode('snp-c', 1);
    const d = await startNode('snp-d', 1.5);
    const N = 12;
    const accepted: string[] = [];
    const refused: Array<{ status: number; code: string }> = [];
    // An observer samples the invariant all along: at most one live lease per job.
    const doubleLeases = new Set<string>();
    let observing = true;
    const observer = (async () => {
      while (observing) {
        const r = await db.query(`SELECT job_id FROM scheduler.leases WHERE state = 'active' AND expires_at > now() GROUP BY job_id HAVING count(*) > 1`);
        for (const row of r.rows) doubleLeases.add(row.job_id as string);
        await sleep(100);
      }
    })();
    let issued = 0;
    const body = (i: number) => ({ training_file: datasetId, trainer: 'text-classifier', hyperparameters: { n_epochs: 3, batch_size: 32 }, seed: 100 + i, metadata: { load: 'scheduler-kill' } });
    const create = async (): Promise<void> => {
      while (issued < N) {
        const i = issued++;
        const res = await api('POST', '/v1/fine_tuning/jobs', body(i), { 'idempotency-key': `faults-load-${i}` });
        if (res.status >= 200 && res.status < 300) accepted.push(res.body.id as string);
        else refused.push({ status: res.status, code: res.body?.code });
        await sleep(150);
      }
    };
    try {
      const creators = [create(), create(), create()];
      // Kill the scheduler once both nodes hold leases and creates are in flight.
      await waitFor('both nodes hold leases', () => db.query(`SELECT count(*)::int AS n FROM scheduler.leases WHERE state = 'active'`).then((r) => r.rows[0].n as number), (n) => n >= 2 || refused.length > 0, 60_000);
      expect(refused).toEqual([]);
      const inFlight = (await db.query(`SELECT job_id FROM scheduler.leases WHERE state = 'active'`)).rows.map((r) => r.job_id as string);
      await kill9(scheduler);
      const atKill = accepted.length;
      expect(atKill).toBeLessThan(N);
      // While it is down the enterprise API keeps accepting jobs; the nodes' scheduler calls get 502 from the gateway.
      await sleep(1500);
      const whileDown = accepted.length - atKill;
      scheduler = await startApp('scheduler', schedulerPort, schedulerEnv());
      track(scheduler);
      await Promise.all(creators);
      expect(refused).toEqual([]);
      expect(accepted).toHaveLength(N);
      expect(whileDown).toBeGreaterThan(0);
      // A client that never saw its answer retries with its key: the same job comes back, no second one is made.
      const replays = await Promise.all(Array.from({ length: N }, (_, i) => api('POST', '/v1/fine_tuning/jobs', body(i), { 'idempotency-key': `faults-load-${i}` })));
      expect(replays.map((r) => r.status).filter((st) => st !== 200)).toEqual([]);
      expect(new Set(replays.map((r) => r.body.id))).toEqual(new Set(accepted));

      // Every accepted job exists, and all of them finish.
      for (const id of accepted) expect((await api('GET', `/v1/fine_tuning/jobs/${id}`)).status).toBe(200);
      expect((await db.query(`SELECT count(*)::int AS n FROM enterprise.fine_tuning_jobs WHERE metadata->>'load' = 'scheduler-kill'`)).rows[0].n).toBe(N);
      const final = await waitFor(
        'every accepted job finishes',
        async () => (await db.query(`SELECT id, status, infra_failures FROM enterprise.fine_tuning_jobs WHERE id = ANY($1::uuid[])`, [accepted])).rows,
        (rows) => rows.every((r) => TERMINAL.includes(r.status)),
        240_000,
        (rows) => explain(rows.find((r) => !TERMINAL.includes(r.status))!.id as string),
      );
      const notSucceeded = final.filter((r) => r.status !== 'succeeded');
      if (notSucceeded.length) throw new Error((await Promise.all(notSucceeded.slice(0, 2).map((r) => explain(r.id)))).join('\n'));
      expect([...doubleLeases]).toEqual([]);
      // One completed lease and one audited attempt_succeeded per job; nothing left active.
      const completions = (await db.query(`SELECT job_id, count(*) FILTER (WHERE state = 'completed')::int AS completed, count(*) FILTER (WHERE state = 'active')::int AS active FROM scheduler.leases WHERE job_id = ANY($1::uuid[]) GROUP BY job_id`, [accepted])).rows;
      expect(completions).toHaveLength(N);
      expect(completions.filter((r) => r.completed !== 1 || r.active !== 0)).toEqual([]);
      for (const id of accepted) expect((await auditedActions(id)).filter((a) => a === 'job.attempt_succeeded')).toHaveLength(1);
      // The leases the dead scheduler left behind expired and were swept by its successor; those jobs re-ran.
      const orphaned = (await db.query(`SELECT job_id, state FROM scheduler.leases WHERE job_id = ANY($1::uuid[]) AND epoch = 1`, [inFlight])).rows;
      expect(orphaned.length).toBe(inFlight.length);
      process.stdout.write(`scheduler kill: ${N} jobs accepted (${atKill} before the kill, ${whileDown} while it was down), ${inFlight.length} leased at the kill; first-lease states ${JSON.stringify(orphaned.map((o) => o.state))}; infra retries ${final.reduce((a, r) => a + Number(r.infra_failures), 0)}\n`);
    } finally {
      observing = false;
      await observer;
      for (const n of [c, d]) mustRun.delete(n.proc);
      await Promise.all([c.proc.stop(), d.proc.stop()]);
    }
  }, 360_000);

  it('cancel during training on a node process: the node stops and confirms; a key release after the cancel is refused', async () => {
    // A trainer that runs until it is stopped (an allow-listed `command`), so the cancel always lands mid-training
    // however fast the machine is; the text classifier can finish before the next heartbeat carries the cancel.
    const scriptDir = mkdtempSync(join(tmpdir(), 'confide-spin-'));
    writeFileSync(join(scriptDir, 'spin.cjs'), "console.log(JSON.stringify({ step: 0, loss: 1 }));\nsetInterval(() => {}, 1000);\n");
    writeFileSync(join(scriptDir, 'commands.json'), JSON.stringify({ spin: { executable: process.execPath, args: [join(scriptDir, 'spin.cjs')], killGraceMs: 500 } }));
    const n = await startNode('snp-e', 1, ['--commands', join(scriptDir, 'commands.json')]);
    try {
      const created = await api('POST', '/v1/fine_tuning/jobs', { training_file: datasetId, trainer: 'command', hyperparameters: { command: 'spin' }, seed: 3 });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      const running = await waitFor('job trains', () => getJob(id), (j) => j.phase === 'training' || TERMINAL.includes(j.status), 60_000);
      if (running.phase !== 'training') throw new Error(await explain(id));
      const epoch = running.current_attempt.lease_epoch as number;
      const [lease] = (await db.query(`SELECT id FROM scheduler.leases WHERE job_id = $1 AND epoch = $2`, [id, epoch])).rows;
      expect((await api('POST', `/v1/fine_tuning/jobs/${id}/cancel`)).body).toMatchObject({ status: 'running', phase: 'cancelling' });
      const done = await waitFor('job cancelled', () => getJob(id), (j) => TERMINAL.includes(j.status), 30_000);
      expect(done.status).toBe('cancelled');
      // The node process itself stopped the work and said so (its lease ended `cancelled`, not expired).
      expect((await db.query(`SELECT state FROM scheduler.leases WHERE id = $1`, [lease.id])).rows).toEqual([{ state: 'cancelled' }]);
      expect(n.proc.lines.map((l) => JSON.parse(l) as { msg?: string; lease?: string }).filter((l) => l.lease === lease.id).map((l) => l.msg)).toEqual(['lease started', 'lease cancelled']);
      // An attested enclave asking for the dataset key after the cancel gets nothing.
      const attester = await SimulatedAttester.loadOrCreate(join(dataDir, 'dev-pki'));
      const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384', extractable: true });
      const { kty, crv, x, y } = await exportJWK(publicKey);
      const tee = { kty: kty as 'EC', crv: crv as 'P-384', x: x!, y: y! };
      const ch = await api('POST', '/attestation/v1/challenge', { job_id: id, lease_epoch: epoch });
      const ev = await attester.compositeEvidence({ nonce: Buffer.from(ch.body.nonce, 'hex'), teePublicJwk: tee, gpus: 1 });
      const att = await api('POST', '/attestation/v1/attest', { nonce: ch.body.nonce, tee_public_jwk: tee, evidence: evidenceToAttestWire(ev) });
      expect(att.status).toBe(200);
      const [key] = (await db.query(`SELECT id FROM attestation.dataset_keys WHERE dataset_id = $1`, [datasetId])).rows;
      const rel = await api('POST', `/attestation/v1/keys/${key.id}/release`, { attestation_result: att.body.attestation_result, job_id: id, lease_epoch: epoch });
      expect(rel.status).toBe(403);
      expect((await db.query(`SELECT lease_epoch FROM attestation.key_releases WHERE job_id = $1`, [id])).rows.map((r) => Number(r.lease_epoch))).toEqual([epoch]);
    } finally {
      mustRun.delete(n.proc);
      await n.proc.stop();
      rmSync(scriptDir, { recursive: true, force: true });
    }
  }, 120_000);
});
