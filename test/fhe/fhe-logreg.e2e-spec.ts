import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodePublicBundle, FheLogRegTrainer, loanApplications, logRegAccuracy, plainLogRegStep, prepareFheDataset, type FheRefresh } from '@confide/fhe';
import { INITIAL_RELIABILITY, SchedulerRepository } from '@confide/persistence';
import { PlacementService } from '../../apps/scheduler/src/placement/placement.service.js';
import { SchedulerSettings } from '../../apps/scheduler/src/common/scheduler.settings.js';
import { NodeClient } from '../jobs/node-client.js';
import { startTestServer, type TestServer } from '../support/server.js';

const NUMERIC = ['age', 'income', 'debt_ratio', 'late_payments', 'tenure_months', 'credit_lines'];
const FHE = { label_field: 'defaulted', positive_class: 'yes', numeric_columns: NUMERIC, seed: 7 };
const csvOf = (rows: readonly Record<string, string | number>[]) => {
  const header = Object.keys(rows[0]!);
  return [header.join(','), ...rows.map((r) => header.map((h) => String(r[h])).join(','))].join('\n') + '\n';
};

describe('FHE datasets and the fhe-logreg job path (Postgres, N=16384 training parameters)', () => {
  let s: TestServer;
  let admin: string;
  let globex: string;
  const rows = loanApplications(300, 5);

  const upload = (body: string, fhe: unknown, token = admin, headers: Record<string, string> = {}) =>
    fetch(`${s.url}/v1/datasets?protection=fhe&min_examples=10&fhe=${encodeURIComponent(JSON.stringify(fhe))}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', ...headers }, body });
  const api = async (method: string, path: string, body?: unknown, token = admin) => {
    const res = await fetch(`${s.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };

  beforeAll(async () => {
    s = await startTestServer('postgres');
    admin = await s.token();
    globex = await s.token('globex-cli');
    s.app.get(SchedulerSettings).loops = false;
  }, 120_000);
  afterAll(async () => s?.stop());

  it('refuses bad inputs with typed errors and leaves no dataset, key or blob behind', async () => {
    const before = await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.datasets`);
    const nonNumeric = rows.map((r, i) => ({ ...r, income: i === 17 ? 'n/a' : r.income }));
    const r1 = await upload(csvOf(nonNumeric), FHE);
    expect(r1.status).toBe(422);
    const b1 = (await r1.json()) as { code: string; detail: string };
    expect(b1.code).toBe('fhe_numeric_value_invalid');
    expect(b1.detail).toContain('income');
    const unlabeled = rows.map((r, i) => ({ ...r, defaulted: i === 3 ? '' : r.defaulted }));
    const r2 = await upload(csvOf(unlabeled), FHE);
    expect(r2.status).toBe(422);
    expect(((await r2.json()) as { code: string }).code).toBe('fhe_label_missing');
    const r3 = await upload(csvOf(rows), { label_field: 'defaulted', positive_class: 'yes' });
    expect(r3.status).toBe(400);
    const after = await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.datasets`);
    expect(after[0].n).toBe(before[0].n);
    expect((await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.dataset_keys`))[0].n).toBe(0);
    const blobs = join(s.dataDir, 'blobs');
    expect((existsSync(blobs) ? readdirSync(blobs, { recursive: true }) : []).filter((f) => String(f).endsWith('.bin') || String(f).endsWith('.sealed'))).toEqual([]);
  }, 120_000);

  it('Idempotency-Key on FHE uploads: the same file returns the same dataset, a different file or protection is refused', async () => {
    const key = { 'idempotency-key': 'fhe-upload-key-0001' };
    const first = await upload(csvOf(rows.slice(0, 120)), FHE, admin, key);
    expect(first.status).toBe(201);
    const d1 = (await first.json()) as { id: string; protection: string };
    expect(d1.protection).toBe('fhe');
    const again = await upload(csvOf(rows.slice(0, 120)), FHE, admin, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(d1.id);
    const other = await upload(csvOf(rows.slice(0, 121)), FHE, admin, key);
    expect(other.status).toBe(422);
    expect(((await other.json()) as { code: string }).code).toBe('idempotency_key_reused');
    // The same bytes as a TEE upload under the FHE upload's key: a different request, refused.
    const tee = await fetch(`${s.url}/v1/datasets?min_examples=10`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv', ...key }, body: csvOf(rows.slice(0, 120)) });
    expect(((await tee.json()) as { code: string }).code).toBe('idempotency_key_reused');
    expect((await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.datasets WHERE idempotency_key = $1`, [key['idempotency-key']]))[0].n).toBe(1);

    // FHE job creation honours Idempotency-Key as TEE job creation does: same key + same body → the same job (10 at
    // once: one 201, nine 200 replays), same key + another body → idempotency_key_conflict, one job for the key.
    const createJob = (hyperparameters: Record<string, number>, jobKey: string) =>
      fetch(`${s.url}/v1/fine_tuning/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'idempotency-key': jobKey },
        body: JSON.stringify({ training_file: d1.id, trainer: 'fhe-logreg', privacy: { mode: 'fhe' }, hyperparameters }),
      });
    const jobKey = `fhe-job-key-${randomUUID()}`;
    const parallel = await Promise.all(Array.from({ length: 10 }, () => createJob({ n_epochs: 2 }, jobKey)));
    expect(parallel.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const bodies = (await Promise.all(parallel.map((r) => r.json()))) as Array<{ id: string; trainer: string; privacy: { mode: string } }>;
    const b1 = bodies[0];
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(b1).toMatchObject({ trainer: 'fhe-logreg', privacy: { mode: 'fhe' } });
    const j3 = await createJob({ n_epochs: 2 }, jobKey);
    expect(j3.status).toBe(200);
    expect(j3.headers.get('idempotent-replayed')).toBe('true');
    expect(((await j3.json()) as { id: string }).id).toBe(b1!.id);
    const j4 = await createJob({ n_epochs: 3 }, jobKey);
    expect(j4.status).toBe(409);
    expect(await j4.json()).toMatchObject({ code: 'idempotency_key_conflict', errors: [{ field: 'Idempotency-Key' }] });
    expect((await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.fine_tuning_jobs WHERE training_file = $1`, [d1.id]))[0].n).toBe(1);
    // Out of the way of the training test below (one node, one lease).
    expect((await api('POST', `/v1/fine_tuning/jobs/${b1!.id}/cancel`)).status).toBeLessThan(300);
    expect((await api('GET', `/v1/fine_tuning/jobs/${b1!.id}`)).body.status).toBe('cancelled');
  }, 180_000);

  it('a resumable upload (/v1/uploads) with protection=fhe becomes an FHE dataset, its staged chunks deleted', async () => {
    const csv = Buffer.from(csvOf(rows.slice(0, 120)));
    const json = { 'content-type': 'application/json', authorization: `Bearer ${admin}` };
    const created = await fetch(`${s.url}/v1/uploads`, { method: 'POST', headers: json, body: JSON.stringify({ bytes: csv.length, filename: 'loans.csv', protection: 'fhe', fhe: FHE }) });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    const patch = (offset: number, end: number) =>
      fetch(`${s.url}/v1/uploads/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) }, body: new Uint8Array(csv.subarray(offset, end)) });
    const half = Math.floor(csv.length / 2);
    expect((await patch(0, half)).status).toBe(200);
    const last = await patch(half, csv.length);
    expect(last.status).toBe(201);
    const done = (await last.json()) as { status: string; dataset: { id: string; status: string; protection: string; format: string } };
    expect(done).toMatchObject({ status: 'completed', dataset: { status: 'ready', protection: 'fhe', format: 'csv' } });
    expect((await api('GET', `/v1/fhe/datasets/${done.dataset.id}`)).body.layout).toMatchObject({ features: 6 });
    const staged = join(s.dataDir, 'blobs', 'uploads', id);
    expect(existsSync(staged) ? readdirSync(staged) : []).toEqual([]);
  }, 120_000);

  it('trains on ciphertexts through the real APIs to within 1 point of plaintext; the node never gets a secret key', async () => {
    const up = await upload(csvOf(rows), FHE);
    const d = (await up.json()) as { id: string; status: string; protection: string };
    expect(up.status).toBe(201);
    expect(d).toMatchObject({ status: 'ready', protection: 'fhe' });
    const info = await api('GET', `/v1/fhe/datasets/${d.id}`);
    expect(info.status).toBe(200);
    expect(info.body.parameters.polyModulusDegree).toBe(16384);
    expect(info.body.layout).toMatchObject({ features: 6, stride: 8 });
    expect((await api('GET', `/v1/fhe/datasets/${d.id}`, undefined, globex)).status).toBe(404); // tenant isolation
    // Reference: the same features and split on the owner's side, trained in plaintext.
    const local = prepareFheDataset(rows, { label: { field: 'defaulted', positive: 'yes' }, numeric: NUMERIC, seed: 7 });
    expect(info.body.feature_definition).toEqual(JSON.parse(JSON.stringify(local.definition)));
    expect(info.body.split).toMatchObject({ train: local.split.train, holdout: local.split.holdout });

    // A non-TEE node holds the lease.
    const node = await NodeClient.create(s.url, admin);
    node.id = randomUUID();
    await s.dataSource.transaction((em) =>
      new SchedulerRepository(s.dataSource).insertNode(em, {
        id: node.id, name: 'fhe-rig', operatorTenantId: 'acme', operatorSubject: 'confide-cli', provider: 'test', region: 'eu-west-1', gpuModel: 'RTX4090', gpuCount: 1,
        gpuMemoryGb: 24, teeType: 'none', hourlyPrice: 0.4, interruptible: false, maxConcurrentLeases: 1, activeLeases: 0, state: 'active', identityJkt: node.jkt, identityJwk: node.jwk,
        attestationVerified: false, attestationSimulated: false, measurement: null, reliability: INITIAL_RELIABILITY, availableUntil: null, registeredAt: new Date(), lastSeenAt: null,
      }),
    );
    expect((await node.heartbeat()).status).toBe(200);
    const created = await api('POST', '/v1/fine_tuning/jobs', { training_file: d.id, trainer: 'fhe-logreg', privacy: { mode: 'fhe' }, hyperparameters: { n_epochs: 3 } });
    expect(created.status).toBe(201);
    const jobId = created.body.id as string;
    await s.app.get(PlacementService).placeBatch();
    const job = await api('GET', `/v1/fine_tuning/jobs/${jobId}`);
    if (!job.body.current_attempt) console.log(JSON.stringify(job.body));
    expect(job.body.current_attempt).toMatchObject({ node_id: node.id });
    const epoch = job.body.current_attempt.lease_epoch as number;

    // Fencing and tenancy on every node route.
    expect((await api('POST', `/v1/fhe/jobs/${jobId}/start`, { lease_epoch: epoch + 1 })).status).toBe(409);
    expect((await api('POST', `/v1/fhe/jobs/${jobId}/start`, { lease_epoch: epoch }, globex)).status).toBe(409);
    expect((await api('POST', `/v1/fhe/jobs/${jobId}/start`, { lease_epoch: epoch }, await s.token('engineer-cli'))).status).toBe(403);

    const start = await api('POST', `/v1/fhe/jobs/${jobId}/start`, { lease_epoch: epoch });
    expect(start.status).toBe(200);
    expect(start.body).toMatchObject({ iterations: 3, completed_iterations: 0, learning_rate: 4 });
    const get = async (what: string) => new Uint8Array(await (await fetch(`${s.url}/v1/fhe/jobs/${jobId}/${what}?lease_epoch=${epoch}`, { headers: { authorization: `Bearer ${admin}` } })).arrayBuffer());
    const bundleBytes = await get('bundle');
    const ciphertexts = await get('ciphertexts');
    expect(bundleBytes.length).toBe(info.body.bundle_bytes);
    // What the node holds: parameters, relinearisation and Galois keys — the bundle has no field for a secret key,
    // and neither the sealed secret key nor its wrapped DEK appear in anything the node received.
    expect(Object.keys(decodePublicBundle(bundleBytes)).sort()).toEqual(['galoisKeys', 'galoisSteps', 'parameters', 'relinKeys', 'version']);
    const [secret] = await s.dataSource.query(`SELECT sealed_secret_key FROM enterprise.fhe_datasets WHERE dataset_id = $1`, [d.id]);
    const [wrapped] = await s.dataSource.query(`SELECT wrapped FROM enterprise.dataset_keys WHERE dataset_id = $1 AND purpose = 'fhe_secret'`, [d.id]);
    const sealedTail = Buffer.from(secret.sealed_secret_key as Uint8Array).subarray(-64);
    for (const received of [bundleBytes, ciphertexts, Buffer.from(JSON.stringify(start.body))]) {
      expect(Buffer.from(received).indexOf(sealedTail)).toBe(-1);
      expect(Buffer.from(received).indexOf(Buffer.from(String(wrapped.wrapped).slice(-40)))).toBe(-1);
    }

    const timings: number[] = [];
    const refresh: FheRefresh = async ({ iteration, weights }) => {
      const r = await api('POST', `/v1/fhe/jobs/${jobId}/refresh`, { lease_epoch: epoch, iteration, weights: Buffer.from(weights).toString('base64') });
      expect(r.status).toBe(200);
      return r.body.weights === undefined ? null : new Uint8Array(Buffer.from(r.body.weights as string, 'base64'));
    };
    const result = await new FheLogRegTrainer().train(
      { bundle: bundleBytes, layout: start.body.layout, dataset: ciphertexts, weights: new Uint8Array(Buffer.from(start.body.weights as string, 'base64')), refresh },
      { iterations: 3, learningRate: start.body.learning_rate },
      (e) => e.type === 'step' && timings.push(e.values!.node_seconds!),
    );
    expect(result.summary.steps).toBe(3);
    // A replayed (or out-of-order) refresh is refused.
    expect((await api('POST', `/v1/fhe/jobs/${jobId}/refresh`, { lease_epoch: epoch, iteration: 3, weights: Buffer.from(result.model).toString('base64') })).status).toBe(409);

    const fhe = await api('GET', `/v1/fhe/jobs/${jobId}`);
    expect(fhe.body).toMatchObject({ state: 'finished', completed_iterations: 3 });
    expect((await api('GET', `/v1/fhe/jobs/${jobId}`, undefined, globex)).status).toBe(404);
    let plain: Float64Array = new Float64Array(7);
    for (let i = 0; i < 3; i++) plain = plainLogRegStep(plain, local.train.features, local.train.labels, { learningRate: 4 });
    const accPlain = logRegAccuracy(plain, local.holdout.features, local.holdout.labels);
    expect(Math.abs(fhe.body.holdout_accuracy - accPlain)).toBeLessThanOrEqual(0.01);
    (fhe.body.weights as number[]).forEach((w, j) => expect(Math.abs(w - plain[j]!)).toBeLessThan(1e-3));
    console.log(`fhe-logreg e2e: ${local.split.train} train rows × 6 features, node step ${timings.map((t) => t.toFixed(2)).join('/')} s, holdout ${fhe.body.holdout_accuracy} (plain ${accPlain}, baseline ${fhe.body.baseline_accuracy})`);
  }, 600_000);
});
