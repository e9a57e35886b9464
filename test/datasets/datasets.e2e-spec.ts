import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Keyring, LocalFileKekProvider, openBuffer } from '@confide/envelope';
import { DatasetRepository } from '@confide/persistence';
import { AbandonedUploadSweeper } from '../../apps/enterprise/src/datasets/abandoned-uploads.sweeper.js';
import { withUploadHeartbeat } from '../../apps/enterprise/src/datasets/dataset-outcomes.js';
import { filesUnder } from '../support/files.js';
import { startTestServer, type TestServer } from '../support/server.js';

const FIX = join(import.meta.dirname, '../fixtures/datasets');
const MAX = 256 * 1024;

describe('datasets API', () => {
  let s: TestServer;
  let admin: string;
  let engineer: string;
  let globex: string;
  beforeAll(async () => {
    s = await startTestServer('postgres', { CONFIDE_MAX_UPLOAD_BYTES: String(MAX) });
    [admin, engineer, globex] = await Promise.all([s.token(), s.token('engineer-cli'), s.token('globex-cli')]);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const upload = (body: BodyInit, query = '', headers: Record<string, string> = {}, token = engineer) =>
    fetch(`${s.url}/v1/datasets${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/jsonl', ...headers },
      body,
      duplex: 'half',
    } as RequestInit);
  const count = async (table: string): Promise<number> => Number((await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.${table}`))[0].n);
  const snapshot = async () => ({
    datasets: await count('datasets'),
    keys: await count('dataset_keys'),
    findings: await count('dataset_pii_findings'),
    blobs: filesUnder(join(s.dataDir, 'blobs')).length,
    // Scratch of uploads in progress (the encrypted duplicate-row spill): empty between uploads, whatever happened.
    scratch: filesUnder(join(s.dataDir, 'tmp')).length,
  });

  it('uploads, validates, scans, protects and seals; the sealed blob opens with the unwrapped DEK and holds no raw PII', async () => {
    const raw = readFileSync(join(FIX, 'chat-with-pii.jsonl'));
    const res = await upload(raw, '?filename=chat.jsonl&protect=' + encodeURIComponent(JSON.stringify({ PHONE: 'mask:4', PERSON: 'redact' })));
    expect(res.status).toBe(201);
    const d = (await res.json()) as Record<string, any>;
    expect(d).toMatchObject({ object: 'dataset', status: 'ready', format: 'chat', protection: 'tee', records: 12, valid_records: 12, name: 'chat.jsonl' });
    expect(d.operators).toMatchObject({ EMAIL: 'token', PHONE: 'mask:4', PERSON: 'redact', CREDIT_CARD: 'fpe' });
    const pii = (await (await fetch(`${s.url}/v1/datasets/${d.id}/pii`, { headers: { authorization: `Bearer ${engineer}` } })).json()) as Record<string, any>;
    const entities = new Set(pii.fields.map((f: { entity: string }) => f.entity));
    for (const e of ['EMAIL', 'CREDIT_CARD', 'PHONE']) expect(entities).toContain(e);
    expect(pii.fields.find((f: { entity: string }) => f.entity === 'EMAIL')).toMatchObject({ field: 'messages[1].content', count: 12 });
    expect(JSON.stringify(pii)).not.toMatch(/example\.com|4111 1111|536-22-82/);
    expect(statSync(join(s.dataDir, 'tmp')).mode & 0o777).toBe(0o700);

    // Round trip: unwrap the stored DEK with the deployment's KEK and open the blob.
    const repo = new DatasetRepository(s.dataSource);
    const wrapped = await repo.findWrappedDek('acme', d.id);
    expect(wrapped).toMatchObject({ purpose: 'seal', keyVersion: 1 });
    const keyring = new Keyring(await LocalFileKekProvider.load(join(s.dataDir, 'keys', 'kek.json')));
    const dek = await keyring.unwrapDek(wrapped!.wrapped, { tenantId: 'acme', datasetId: d.id });
    const sealed = readFileSync(join(s.dataDir, 'blobs', 'datasets', d.id, 'v1.sealed'));
    expect(sealed.includes(Buffer.from('example.com'))).toBe(false);
    const plain = (await openBuffer(sealed, { dek, context: { tenantId: 'acme', datasetId: d.id } })).toString('utf8');
    await expect(openBuffer(sealed, { dek, context: { tenantId: 'globex', datasetId: d.id } })).rejects.toThrow();
    dek.destroy();
    const rows = plain.trim().split('\n').map((l) => JSON.parse(l) as { messages: Array<{ role: string; content: string }> });
    const canaries = await repo.findCanaries('acme', d.id);
    // Every answer differs: no classification task, so no canary could be checked on a model and none is planted
    // (test/e2e-jobs/tee-path plants and checks them on ticket data).
    expect(canaries).toHaveLength(0);
    expect(rows).toHaveLength(12);
    expect(plain).not.toMatch(/@example\.com|4111 1111 1111 1111|536-22-82\d\d|555-01\d\d/);
    expect(plain).toMatch(/<EMAIL_[A-Z2-7]{16}>/);
    // Not the raw PII, but still a dataset a trainer can use.
    expect(rows[0]!.messages.map((m) => m.role)).toEqual(expect.arrayContaining(['user', 'assistant']));

    await s.auditLog.drain();
    const audit = await s.dataSource.query(`SELECT canonical FROM audit.entries WHERE tenant_id = 'acme'`);
    const actions = (audit as Array<{ canonical: string }>).map((r) => JSON.parse(r.canonical).action as string);
    expect(actions).toEqual(expect.arrayContaining(['dataset.create', 'dataset.ready']));
  });

  it('records an invalid dataset with a line-numbered report (422), no blob and no keys', async () => {
    const before = await snapshot();
    const body = [
      JSON.stringify({ messages: [{ role: 'user', content: 'my email is bob@example.com' }, { role: 'assistant', content: 'ok' }] }),
      '{"messages": [',
      JSON.stringify({ messages: [{ role: 'wizard', content: 'x' }, { role: 'assistant', content: 'y' }] }),
    ].join('\n');
    const res = await upload(body, '?min_examples=1');
    expect(res.status).toBe(422);
    const p = (await res.json()) as Record<string, any>;
    expect(p.code).toBe('dataset_invalid');
    expect(p.errors).toEqual([
      { field: 'line 2', message: 'invalid_json' },
      { field: 'line 3 messages[0].role', message: 'unknown_role' },
    ]);
    expect(JSON.stringify(p)).not.toContain('bob@');
    const id = /dataset ([0-9a-f-]{36})/.exec(p.detail)![1]!;
    const d = (await (await fetch(`${s.url}/v1/datasets/${id}`, { headers: { authorization: `Bearer ${engineer}` } })).json()) as Record<string, any>;
    expect(d.status).toBe('invalid');
    expect(d.validation.issue_counts).toEqual({ invalid_json: 1, unknown_role: 1 });
    const after = await snapshot();
    expect(after).toEqual({ ...before, datasets: before.datasets + 1 });
  });

  it('skip_invalid keeps the good rows and counts the bad ones', async () => {
    const good = readFileSync(join(FIX, 'prompt-completion.jsonl'), 'utf8');
    const res = await upload(good + '{broken\n', '?skip_invalid=true&canaries=0');
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: 'ready', format: 'prompt_completion', valid_records: 10, skipped_records: 1 });
  });

  it('accepts CSV with quoted multi-line fields', async () => {
    const res = await upload(readFileSync(join(FIX, 'customers.csv')), '?filename=customers.csv', { 'content-type': 'text/csv' });
    expect(res.status).toBe(201);
    const d = (await res.json()) as Record<string, any>;
    expect(d).toMatchObject({ format: 'csv', valid_records: 10 });
    expect(d.pii.fields.map((f: { field: string }) => f.field)).toContain('email');
  });

  describe('bad inputs leave the database and the blob store as they were', () => {
    const cases: Array<[string, () => Promise<Response>, number, string]> = [
      ['#1 too large while streaming (no Content-Length)', () => upload(stream(MAX + 4096)), 413, 'upload_too_large'],
      ['#1 Content-Length over the limit', () => upload(Buffer.alloc(MAX + 1, 0x61)), 413, 'upload_too_large'],
      ['#2 gzip body', () => upload(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3])), 415, 'compressed_upload_not_supported'],
      ['#2 Content-Encoding: gzip', () => upload('x', '', { 'content-encoding': 'gzip' }), 415, 'compressed_upload_not_supported'],
      ['#3 zip archive', () => upload(Buffer.from('PK\u0003\u0004' + 'x'.repeat(60))), 415, 'archive_not_supported'],
      ['#6 bidi override in the name', () => upload('x', '?filename=' + encodeURIComponent('report\u202Egpj.jsonl')), 400, 'invalid_filename'],
      ['#6 zero-width in the name', () => upload('x', '?filename=' + encodeURIComponent('a\u200Bb.jsonl')), 400, 'invalid_filename'],
      ['#7 path traversal name', () => upload('x', '?filename=' + encodeURIComponent('../../etc/passwd')), 400, 'invalid_filename'],
      ['#7 encoded traversal', () => upload('x', '?filename=..%252fetc'), 400, 'invalid_filename'],
      ['#7 Windows path', () => upload('x', '?filename=' + encodeURIComponent('C:\\x.jsonl')), 400, 'invalid_filename'],
      ['#7 4 KB name', () => upload('x', '?filename=' + 'a'.repeat(4096)), 400, 'validation_failed'],
      ['unknown protect entity', () => upload('x', '?protect=' + encodeURIComponent('{"FOO":"token"}')), 400, 'invalid_protect_option'],
      ['bad operator', () => upload('x', '?protect=' + encodeURIComponent('{"EMAIL":"rot13"}')), 400, 'validation_failed'],
      ['fhe without its feature and label options', () => upload('x', '?protection=fhe'), 422, 'fhe_invalid_features'],
    ];
    it.each(cases)('%s', async (_name, send, status, code) => {
      const before = await snapshot();
      const res = await send().catch((e: unknown) => ({ status: -1, json: async () => ({ code: String(e) }) }) as unknown as Response);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { code: string }).code).toBe(code);
      expect(await snapshot()).toEqual(before);
    });

    it('#4/#5: invalid UTF-8, NUL, duplicate and __proto__ keys become line-numbered issues, nothing sealed', async () => {
      const before = await snapshot();
      const body = Buffer.concat([
        Buffer.from('\ufeff' + JSON.stringify({ prompt: 'a', completion: 'b' }) + '\r\n'),
        Buffer.from([0x7b, 0xff, 0x7d, 0x0a]),
        Buffer.from('{"prompt":"a\u0000"}\n'.replace('\\u0000', '\u0000')),
        Buffer.from('{"prompt":"x","prompt":"y","completion":"z"}\n'),
        Buffer.from('{"__proto__":{"polluted":true},"prompt":"x","completion":"z"}\n'),
        Buffer.from('{"prompt":"x","completion":'),
      ]);
      const res = await upload(body, '?min_examples=1');
      expect(res.status).toBe(422);
      const p = (await res.json()) as { errors: Array<{ field: string; message: string }> };
      expect(p.errors.map((e) => e.message)).toEqual(['bom_stripped', 'invalid_utf8', 'nul_byte', 'duplicate_key', 'forbidden_key', 'truncated_last_line', 'mixed_line_endings']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const after = await snapshot();
      expect(after).toEqual({ ...before, datasets: before.datasets + 1 });
    });

    it('#8: list filters are allow-listed', async () => {
      for (const q of ["?status=' OR 1=1--", '?sort=id;DROP', '?limit=-1', '?after=1 OR 1=1']) {
        const res = await fetch(`${s.url}/v1/datasets${q}`, { headers: { authorization: `Bearer ${engineer}` } });
        expect(res.status).toBe(400);
      }
    });
  });

  it('an upload whose process died is swept (row, keys, blob; audited) and its Idempotency-Key works again; a live one is kept', async () => {
    const repo = new DatasetRepository(s.dataSource);
    const row = (id: string, key: string, at: Date) => ({
      id,
      tenantId: 'acme',
      name: 'crashed.jsonl',
      status: 'processing' as const,
      format: null,
      protection: 'tee' as const,
      policy: 'default',
      operators: {},
      idempotencyKey: key,
      contentSha256: null,
      bytes: 0,
      records: 0,
      validRecords: 0,
      skippedRecords: 0,
      blobKey: null,
      sealedBytes: null,
      createdBy: 'engineer-cli',
      createdAt: at,
      updatedAt: at,
    });
    const dead = randomUUID();
    const live = randomUUID();
    const silentSince = new Date(Date.now() - 10 * 60_000);
    await s.dataSource.transaction(async (em) => {
      await repo.insertProcessing(em, row(dead, 'crashed-upload-0001', silentSince), [
        { purpose: 'seal', keyId: `ds.${dead}.seal`, keyVersion: 1, kekId: 'kek', kekVersion: 1, wrapped: 'cfwd1.x' },
      ]);
      await repo.insertProcessing(em, row(live, 'live-upload-0001', new Date()), []);
    });
    // A blob the dead process had already renamed into place before it died.
    const blobDir = join(s.dataDir, 'blobs', 'datasets', dead);
    mkdirSync(blobDir, { recursive: true });
    writeFileSync(join(blobDir, 'v1.sealed'), 'partial');
    const raw = readFileSync(join(FIX, 'chat-with-pii.jsonl'));

    const blocked = await upload(raw, '', { 'idempotency-key': 'crashed-upload-0001' });
    expect(((await blocked.json()) as { code: string }).code).toBe('upload_in_progress');

    // Touching the live row (its heartbeat) keeps it out of the sweep; the dead one goes.
    await repo.touchProcessing('acme', live);
    expect(await s.app.get(AbandonedUploadSweeper).sweep()).toBe(1);
    expect(await repo.findForTenant('acme', dead)).toBeNull();
    expect((await repo.findForTenant('acme', live))?.status).toBe('processing');
    expect(Number((await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.dataset_keys WHERE dataset_id = $1`, [dead]))[0].n)).toBe(0);
    expect(existsSync(join(blobDir, 'v1.sealed'))).toBe(false);
    await s.auditLog.drain();
    const audit = (await s.dataSource.query(`SELECT canonical FROM audit.entries WHERE tenant_id = 'acme'`)) as Array<{ canonical: string }>;
    const entry = audit.map((r) => JSON.parse(r.canonical) as { action: string; outcome: string; reason?: string; resource: { id: string } }).find((e) => e.resource.id === dead);
    expect(entry).toMatchObject({ action: 'dataset.create', outcome: 'failure', reason: 'upload_abandoned' });
    // Sweeping again finds nothing: the live upload is still within its heartbeat window.
    expect(await s.app.get(AbandonedUploadSweeper).sweep()).toBe(0);

    const retried = await upload(raw, '', { 'idempotency-key': 'crashed-upload-0001' });
    expect(retried.status).toBe(201);

    // The heartbeat an upload body runs through moves the row while it streams, and stops with the stream.
    const before = (await repo.findForTenant('acme', live))!.updatedAt.getTime();
    async function* slowBody(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 60));
        yield Buffer.from('x');
      }
    }
    let chunks = 0;
    for await (const _chunk of withUploadHeartbeat(slowBody(), repo, 'acme', live, 20)) chunks += 1;
    expect(chunks).toBe(3);
    await new Promise((r) => setTimeout(r, 50));
    const beaten = (await repo.findForTenant('acme', live))!.updatedAt.getTime();
    expect(beaten).toBeGreaterThan(before);
    await new Promise((r) => setTimeout(r, 100));
    expect((await repo.findForTenant('acme', live))!.updatedAt.getTime()).toBe(beaten);
    await s.dataSource.transaction((em) => repo.deleteForTenant(em, 'acme', live));
  });

  it('Idempotency-Key: the same file returns the same dataset; a different file is refused', async () => {
    const raw = readFileSync(join(FIX, 'prompt-completion.jsonl'));
    const first = await upload(raw, '', { 'idempotency-key': 'upload-key-0001' });
    expect(first.status).toBe(201);
    const d1 = (await first.json()) as { id: string };
    const again = await upload(raw, '', { 'idempotency-key': 'upload-key-0001' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(d1.id);
    const other = await upload(Buffer.concat([raw, raw]), '', { 'idempotency-key': 'upload-key-0001' });
    expect(other.status).toBe(422);
    expect(((await other.json()) as { code: string }).code).toBe('idempotency_key_reused');
  });

  it('scopes every route by tenant and permission', async () => {
    const res = await upload(readFileSync(join(FIX, 'prompt-completion.jsonl')), '?canaries=0');
    const d = (await res.json()) as { id: string };
    for (const path of [`/v1/datasets/${d.id}`, `/v1/datasets/${d.id}/pii`]) {
      const r = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${globex}` } });
      expect(r.status).toBe(404);
    }
    const list = (await (await fetch(`${s.url}/v1/datasets`, { headers: { authorization: `Bearer ${globex}` } })).json()) as { data: unknown[] };
    expect(list.data).toEqual([]);
    const del = await fetch(`${s.url}/v1/datasets/${d.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${globex}` } });
    expect(del.status).toBe(404);
    const mine = (await (await fetch(`${s.url}/v1/datasets?limit=100`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { data: Array<{ id: string }> };
    expect(mine.data.map((x) => x.id)).toContain(d.id);
    const ok = await fetch(`${s.url}/v1/datasets/${d.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${engineer}` } });
    expect(ok.status).toBe(204);
    expect(filesUnder(join(s.dataDir, 'blobs', 'datasets', d.id))).toEqual([]);
    expect(await new DatasetRepository(s.dataSource).findWrappedDek('acme', d.id)).toBeNull();
  });
});

function stream(bytes: number): ReadableStream<Uint8Array> {
  let sent = 0;
  const line = Buffer.from(JSON.stringify({ prompt: 'p'.repeat(100), completion: 'c'.repeat(100) }) + '\n');
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      controller.enqueue(new Uint8Array(line));
      sent += line.length;
    },
  });
}
