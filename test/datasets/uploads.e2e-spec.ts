import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExpiredUploadSweeper } from '../../apps/enterprise/src/datasets/expired-uploads.sweeper.js';
import { loginWithPassword } from '../support/oidc-login.js';
import { filesUnder } from '../support/files.js';
import { startTestServer, type TestServer } from '../support/server.js';

const FIX = join(import.meta.dirname, '../fixtures/datasets');
const MAX = 256 * 1024;
const BIN = join(process.cwd(), 'bin/confide.mjs');
const NODE = join(process.cwd(), 'node_modules/.bin/node');
/** A value only the synthetic file holds: it must never appear unsealed in a table or a staged blob. */
const MARKER = 'zq7731.marker@example.com';

/** ~`n` bytes of chat records, each carrying the marker e-mail address. */
function syntheticChat(n: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < n; i++) {
    const line = JSON.stringify({ messages: [{ role: 'user', content: `Ticket ${i}: write to ${MARKER} or call +1 415-555-01${String(i % 100).padStart(2, '0')} about order ${i}.` }, { role: 'assistant', content: `Noted for ticket ${i}.` }] }) + '\n';
    lines.push(line);
    size += Buffer.byteLength(line);
  }
  return Buffer.from(lines.join(''));
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('resumable dataset uploads (/v1/uploads, Postgres)', () => {
  let s: TestServer;
  let engineer: string;
  let globex: string;

  beforeAll(async () => {
    s = await startTestServer('postgres', { CONFIDE_MAX_UPLOAD_BYTES: String(MAX) });
    [engineer, globex] = await Promise.all([s.token('engineer-cli'), s.token('globex-cli')]);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token = engineer) => {
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, any> };
  };
  const append = async (id: string, offset: number, bytes: Buffer, token = engineer, headers: Record<string, string> = {}) => {
    const res = await fetch(`${s.url}/v1/uploads/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), ...headers },
      body: new Uint8Array(bytes),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, any> };
  };
  const stagedFiles = (id: string): string[] => filesUnder(join(s.dataDir, 'blobs', 'uploads', id));
  const uploadRows = async (id: string): Promise<number> => (await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.dataset_uploads WHERE id = $1`, [id]))[0].n;
  const chunkRows = async (id: string): Promise<number> => (await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.dataset_upload_chunks WHERE upload_id = $1`, [id]))[0].n;
  const datasetsWithKey = async (id: string): Promise<number> => (await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.datasets WHERE idempotency_key = $1`, [`upload.${id}`]))[0].n;

  /** Every row of every table in the application's schemas, as text. */
  const allTableText = async (): Promise<string> => {
    const tables = (await s.dataSource.query(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)) as Array<{ table_schema: string; table_name: string }>;
    const parts: string[] = [];
    for (const t of tables) {
      const rows = (await s.dataSource.query(`SELECT t::text AS row FROM "${t.table_schema}"."${t.table_name}" t`)) as Array<{ row: string }>;
      parts.push(...rows.map((r) => r.row));
    }
    return parts.join('\n');
  };

  it('a file sent in chunks becomes the same dataset as the one-shot upload, once; staged chunks are deleted', async () => {
    const raw = readFileSync(join(FIX, 'chat-with-pii.jsonl'));
    const options = { filename: 'chat.jsonl', protect: { PHONE: 'mask:4', PERSON: 'redact' } };
    const created = await call('POST', '/v1/uploads', { bytes: raw.length, sha256: sha256(raw), ...options });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'dataset.upload', status: 'staging', bytes: raw.length, offset: 0, chunks: 0, dataset_id: null });
    expect(created.headers.get('upload-offset')).toBe('0');
    const id = created.body.id as string;
    const cuts = [0, 700, 1500, 2900, raw.length];
    let last: Awaited<ReturnType<typeof append>> | undefined;
    for (let i = 0; i < cuts.length - 1; i++) {
      last = await append(id, cuts[i]!, raw.subarray(cuts[i], cuts[i + 1]));
      if (i < cuts.length - 2) {
        expect(last.status).toBe(200);
        expect(last.body).toMatchObject({ status: 'staging', offset: cuts[i + 1], chunks: i + 1 });
        expect(last.headers.get('upload-offset')).toBe(String(cuts[i + 1]));
      }
    }
    expect(last!.status).toBe(201);
    expect(last!.body).toMatchObject({ status: 'completed', offset: raw.length, chunks: 4 });
    const chunked = last!.body.dataset as Record<string, any>;
    expect(last!.body.dataset_id).toBe(chunked.id);

    const oneShot = await fetch(`${s.url}/v1/datasets?filename=chat.jsonl&protect=${encodeURIComponent(JSON.stringify(options.protect))}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${engineer}`, 'content-type': 'application/jsonl' },
      body: new Uint8Array(raw),
    });
    expect(oneShot.status).toBe(201);
    const single = (await oneShot.json()) as Record<string, any>;
    const same = (d: Record<string, any>) => ({
      status: d.status,
      name: d.name,
      format: d.format,
      protection: d.protection,
      operators: d.operators,
      bytes: d.bytes,
      records: d.records,
      valid_records: d.valid_records,
      sealed_bytes: d.sealed_bytes,
      content_sha256: d.content_sha256,
      validation: d.validation,
      pii: { totals: d.pii.totals, fields: d.pii.fields.map(({ sample_hash: _h, ...f }: Record<string, unknown>) => f) },
    });
    expect(same(chunked)).toEqual(same(single));
    expect(chunked.content_sha256).toBe(sha256(raw));

    // Done: no chunk rows, no staged blobs; complete again answers with the same dataset; appending is refused.
    expect(await chunkRows(id)).toBe(0);
    expect(stagedFiles(id)).toEqual([]);
    const again = await call('POST', `/v1/uploads/${id}/complete`);
    expect(again.status).toBe(200);
    expect(again.body.dataset.id).toBe(chunked.id);
    expect((await append(id, raw.length, Buffer.from('x'))).body.code).toBe('upload_completed');
    expect(await datasetsWithKey(id)).toBe(1);
    const head = await fetch(`${s.url}/v1/uploads/${id}`, { method: 'HEAD', headers: { authorization: `Bearer ${engineer}` } });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(raw.length));

    await s.auditLog.drain();
    const actions = ((await s.dataSource.query(`SELECT canonical FROM audit.entries WHERE tenant_id = 'acme' ORDER BY leaf_index`)) as Array<{ canonical: string }>).map((r) => JSON.parse(r.canonical) as { action: string; resource: { id: string } | null });
    expect(actions.filter((a) => a.resource?.id === id).map((a) => a.action)).toEqual(['upload.create', 'upload.complete']);
    expect(actions.filter((a) => a.resource?.id === chunked.id).map((a) => a.action)).toEqual(['dataset.create', 'dataset.ready']);
  });

  it('a chunk cut off mid-stream is not counted: HEAD gives the last committed offset, the resumed upload makes one dataset; no raw PII in any table or staged blob', async () => {
    const raw = syntheticChat(150_000);
    const created = await call('POST', '/v1/uploads', { bytes: raw.length, sha256: sha256(raw), filename: 'tickets.jsonl', canaries: 0 });
    const id = created.body.id as string;
    const first = 64 * 1024;
    expect((await append(id, 0, raw.subarray(0, first))).status).toBe(200);

    // The second chunk: headers promise 64 KiB, 30 KiB arrive, then the socket goes away.
    const url = new URL(s.url);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          [`PATCH /v1/uploads/${id} HTTP/1.1`, `Host: ${url.host}`, `Authorization: Bearer ${engineer}`, 'Content-Type: application/offset+octet-stream', `Upload-Offset: ${first}`, `Content-Length: ${64 * 1024}`, '', ''].join('\r\n'),
        );
        socket.write(raw.subarray(first, first + 30 * 1024), () => setTimeout(() => (socket.destroy(), resolve()), 200));
      });
      socket.on('error', reject);
    });
    // The server notices the cut and drops what it had sealed of the chunk.
    for (let i = 0; i < 50 && filesUnder(join(s.dataDir, 'blobs', 'uploads', id)).length > 1; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));

    const head = await fetch(`${s.url}/v1/uploads/${id}`, { method: 'HEAD', headers: { authorization: `Bearer ${engineer}` } });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(first));
    expect(head.headers.get('upload-length')).toBe(String(raw.length));
    expect((await call('GET', `/v1/uploads/${id}`)).body).toMatchObject({ status: 'staging', offset: first, chunks: 1 });
    expect(stagedFiles(id)).toHaveLength(1);
    expect(await chunkRows(id)).toBe(1);
    // The cut is the client's matter: a warning with a code, not a server error.
    const cutLog = s.logs.records().filter((r) => r.code === 'upload_aborted');
    expect(cutLog.length).toBeGreaterThan(0);
    expect(cutLog.every((r) => r.status === 400)).toBe(true);

    // While staged: the marker is in no table and in no staged blob (chunks are sealed), nor is the file name.
    const staged = stagedFiles(id);
    for (const f of staged) expect(readFileSync(f).includes(Buffer.from(MARKER))).toBe(false);
    for (const f of staged) expect(readFileSync(f).includes(Buffer.from('Ticket 1:'))).toBe(false);
    const tables = await allTableText();
    expect(tables).not.toContain(MARKER);
    expect(tables).not.toContain('tickets.jsonl');

    // Resume from the committed offset in two chunks; the last one creates the dataset.
    const mid = first + 50_000;
    expect((await append(id, first, raw.subarray(first, mid))).status).toBe(200);
    const done = await append(id, mid, raw.subarray(mid));
    expect(done.status).toBe(201);
    expect(done.body.dataset).toMatchObject({ status: 'ready', bytes: raw.length, content_sha256: sha256(raw), name: 'tickets.jsonl' });
    expect(done.body.dataset.pii.totals.EMAIL).toBeGreaterThan(100);
    expect(await datasetsWithKey(id)).toBe(1);
    expect(stagedFiles(id)).toEqual([]);

    // After processing: still nowhere unprotected, in tables or any blob.
    expect(await allTableText()).not.toContain(MARKER);
    for (const f of filesUnder(join(s.dataDir, 'blobs'))) expect(readFileSync(f).includes(Buffer.from(MARKER))).toBe(false);
    expect(s.logs.lines.join('\n')).not.toContain(MARKER);
  });

  it('a wrong or missing Upload-Offset is refused with the committed offset (409 / 400); nothing is staged', async () => {
    const raw = readFileSync(join(FIX, 'prompt-completion.jsonl'));
    const id = (await call('POST', '/v1/uploads', { bytes: raw.length })).body.id as string;
    expect((await append(id, 0, raw.subarray(0, 100))).status).toBe(200);
    for (const offset of [0, 50, 101, raw.length + 10]) {
      const r = await append(id, offset, raw.subarray(100, 200));
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: 'upload_offset_mismatch', uploadOffset: 100, errors: [{ field: 'Upload-Offset', message: 'upload_offset_mismatch' }] });
      expect(r.headers.get('upload-offset')).toBe('100');
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
    const missing = await fetch(`${s.url}/v1/uploads/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${engineer}`, 'content-type': 'application/offset+octet-stream' }, body: 'x' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'upload_offset_invalid', errors: [{ field: 'Upload-Offset' }] });
    expect((await append(id, -1, Buffer.from('x'))).body.code).toBe('upload_offset_invalid');
    // Two appends of the same range at once: one commits, the other is told the new offset and leaves nothing.
    const racing = await Promise.all([append(id, 100, raw.subarray(100, 200)), append(id, 100, raw.subarray(100, 200))]);
    expect(racing.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(racing.find((r) => r.status === 409)!.body.uploadOffset).toBe(200);
    expect(await chunkRows(id)).toBe(2);
    expect(stagedFiles(id)).toHaveLength(2);
    // An empty chunk commits nothing.
    expect((await append(id, 200, Buffer.alloc(0))).body).toMatchObject({ offset: 200, chunks: 2 });
    const early = await call('POST', `/v1/uploads/${id}/complete`);
    expect(early).toMatchObject({ status: 409, body: { code: 'upload_incomplete', uploadOffset: 200 } });
    expect(await chunkRows(id)).toBe(2);
    expect(stagedFiles(id)).toHaveLength(2);
  });

  it('past the declared size or over the limit: typed errors, nothing staged or created', async () => {
    const over = await call('POST', '/v1/uploads', { bytes: MAX + 1 });
    expect(over).toMatchObject({ status: 413, body: { code: 'upload_too_large', errors: [{ field: 'bytes' }] } });
    const before = (await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.dataset_uploads`))[0].n;

    const id = (await call('POST', '/v1/uploads', { bytes: 1000 })).body.id as string;
    expect(before + 1).toBe((await s.dataSource.query(`SELECT count(*)::int AS n FROM enterprise.dataset_uploads`))[0].n);
    // Content-Length past the declared size: refused before reading.
    const long = await append(id, 0, Buffer.alloc(1001, 0x61));
    expect(long).toMatchObject({ status: 413, body: { code: 'upload_length_exceeded' } });
    // No Content-Length (chunked): refused while streaming, once byte 1001 arrives.
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled++ === 20) return controller.close();
        controller.enqueue(new Uint8Array(100).fill(0x61));
      },
    });
    const streamed = await fetch(`${s.url}/v1/uploads/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${engineer}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { code: string }).code).toBe('upload_length_exceeded');
    expect((await call('GET', `/v1/uploads/${id}`)).body).toMatchObject({ offset: 0, chunks: 0 });
    expect(await chunkRows(id)).toBe(0);
    expect(stagedFiles(id)).toEqual([]);
    // A gzip file is refused on its first chunk.
    const gz = await append(id, 0, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]));
    expect(gz).toMatchObject({ status: 415, body: { code: 'compressed_upload_not_supported' } });
    expect(stagedFiles(id)).toEqual([]);
    await s.auditLog.drain();
    const refusals = ((await s.dataSource.query(`SELECT canonical FROM audit.entries WHERE action = 'upload.append' ORDER BY leaf_index`)) as Array<{ canonical: string }>).map((r) => JSON.parse(r.canonical) as { resource: { id: string }; outcome: string; reason: string });
    expect(refusals.filter((r) => r.resource.id === id).map((r) => [r.outcome, r.reason])).toEqual([
      ['failure', 'datasets_upload_length_exceeded'],
      ['failure', 'datasets_compressed_upload_not_supported'],
    ]);
    // Bad options are refused when the upload is created, not after the file was sent.
    expect((await call('POST', '/v1/uploads', { bytes: 10, filename: '../../etc/passwd' })).body.code).toBe('invalid_filename');
    expect((await call('POST', '/v1/uploads', { bytes: 10, protection: 'fhe' })).body.code).toBe('fhe_invalid_features');
    expect((await call('POST', '/v1/uploads', { bytes: 10, protect: { FOO: 'token' } })).body.code).toBe('invalid_protect_option');
    expect((await call('POST', '/v1/uploads', { bytes: 0 })).status).toBe(400);
  });

  it('a declared sha256 that the staged bytes do not match: 422, the upload and its chunks are gone, no dataset', async () => {
    const raw = readFileSync(join(FIX, 'prompt-completion.jsonl'));
    const id = (await call('POST', '/v1/uploads', { bytes: raw.length, sha256: sha256(Buffer.from('something else')) })).body.id as string;
    const r = await append(id, 0, raw);
    expect(r).toMatchObject({ status: 422, body: { code: 'upload_checksum_mismatch', errors: [{ field: 'sha256' }] } });
    expect(await uploadRows(id)).toBe(0);
    expect(await datasetsWithKey(id)).toBe(0);
    expect(stagedFiles(id)).toEqual([]);
  });

  it('staged chunks are bound to their place: two swapped chunk blobs do not open, and the upload is discarded without a dataset', async () => {
    const raw = readFileSync(join(FIX, 'prompt-completion.jsonl'));
    const id = (await call('POST', '/v1/uploads', { bytes: raw.length })).body.id as string;
    await append(id, 0, raw.subarray(0, 400));
    await append(id, 400, raw.subarray(400, 800));
    const [a, b] = ((await s.dataSource.query(`SELECT blob_key FROM enterprise.dataset_upload_chunks WHERE upload_id = $1 ORDER BY chunk_index`, [id])) as Array<{ blob_key: string }>).map((r) => join(s.dataDir, 'blobs', ...r.blob_key.split('/')));
    const first = readFileSync(a!);
    writeFileSync(a!, readFileSync(b!));
    writeFileSync(b!, first);
    const r = await append(id, 800, raw.subarray(800));
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('envelope_context_mismatch');
    expect(await uploadRows(id)).toBe(0);
    expect(await datasetsWithKey(id)).toBe(0);
    expect(stagedFiles(id)).toEqual([]);
  });

  it('another tenant can neither see, append to, complete nor abort an upload', async () => {
    const raw = readFileSync(join(FIX, 'prompt-completion.jsonl'));
    const id = (await call('POST', '/v1/uploads', { bytes: raw.length })).body.id as string;
    expect((await append(id, 0, raw.subarray(0, 10))).status).toBe(200);
    expect((await call('GET', `/v1/uploads/${id}`, undefined, {}, globex)).body.code).toBe('upload_not_found');
    expect((await fetch(`${s.url}/v1/uploads/${id}`, { method: 'HEAD', headers: { authorization: `Bearer ${globex}` } })).status).toBe(404);
    expect((await append(id, 10, raw.subarray(10), globex)).body.code).toBe('upload_not_found');
    expect((await call('POST', `/v1/uploads/${id}/complete`, undefined, {}, globex)).status).toBe(404);
    expect((await call('DELETE', `/v1/uploads/${id}`, undefined, {}, globex)).status).toBe(404);
    expect((await call('GET', `/v1/uploads/${id}`)).body).toMatchObject({ offset: 10, chunks: 1 });
    expect((await fetch(`${s.url}/v1/uploads/${id}`)).status).toBe(401);
  });

  it('roles: an auditor can read an upload but not create, append, complete or abort one; a node operator cannot read it', async () => {
    const tokenOf = async (email: string): Promise<string> => {
      const password = s.devIssuer!.credentials.users.find((u) => u.email === email)!.password;
      const login = await loginWithPassword(s.config.oidc.issuer, 'confide-console', `${s.url}/auth/callback`, email, password);
      if (login.status !== 'ok') throw new Error(`login as ${email} failed`);
      return login.tokens.access_token;
    };
    const [auditor, operator] = [await tokenOf('auditor@confide.local'), await tokenOf('operator@confide.local')];
    const id = (await call('POST', '/v1/uploads', { bytes: 100 })).body.id as string;
    expect((await call('GET', `/v1/uploads/${id}`, undefined, {}, auditor)).status).toBe(200);
    expect((await call('GET', `/v1/uploads/${id}`, undefined, {}, operator)).status).toBe(403);
    expect((await call('POST', '/v1/uploads', { bytes: 100 }, {}, auditor)).status).toBe(403);
    expect((await append(id, 0, Buffer.alloc(10, 0x61), auditor)).status).toBe(403);
    expect((await call('POST', `/v1/uploads/${id}/complete`, undefined, {}, auditor)).status).toBe(403);
    expect((await call('DELETE', `/v1/uploads/${id}`, undefined, {}, auditor)).status).toBe(403);
    expect((await call('GET', `/v1/uploads/${id}`)).body).toMatchObject({ offset: 0, status: 'staging' });
  });

  it('Idempotency-Key on create: the same request gives the same upload (with its offset), another request is refused', async () => {
    const key = { 'idempotency-key': 'upload-key-0001' };
    const a = await call('POST', '/v1/uploads', { bytes: 500, filename: 'a.jsonl' }, key);
    expect((await append(a.body.id as string, 0, Buffer.alloc(100, 0x61))).status).toBe(200);
    const b = await call('POST', '/v1/uploads', { bytes: 500, filename: 'a.jsonl' }, key);
    expect(b.status).toBe(200);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(b.body).toMatchObject({ id: a.body.id, offset: 100 });
    expect((await call('POST', '/v1/uploads', { bytes: 501, filename: 'a.jsonl' }, key)).body.code).toBe('idempotency_key_reused');
    // The key of a dataset made from an upload cannot be taken by a one-shot upload.
    const reserved = await fetch(`${s.url}/v1/datasets`, { method: 'POST', headers: { authorization: `Bearer ${engineer}`, 'content-type': 'application/jsonl', 'idempotency-key': `upload.${a.body.id}` }, body: 'x' });
    expect(reserved.status).toBe(422);
  });

  it('DELETE aborts: the row, its chunks and the staged blobs are gone (audited)', async () => {
    const raw = readFileSync(join(FIX, 'prompt-completion.jsonl'));
    const id = (await call('POST', '/v1/uploads', { bytes: raw.length })).body.id as string;
    await append(id, 0, raw.subarray(0, 300));
    await append(id, 300, raw.subarray(300, 600));
    expect(stagedFiles(id)).toHaveLength(2);
    expect((await call('DELETE', `/v1/uploads/${id}`)).status).toBe(204);
    expect(stagedFiles(id)).toEqual([]);
    expect(await uploadRows(id)).toBe(0);
    expect(await chunkRows(id)).toBe(0);
    expect((await call('GET', `/v1/uploads/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/v1/uploads/${id}`)).status).toBe(404);
    await s.auditLog.drain();
    const rows = (await s.dataSource.query(`SELECT canonical FROM audit.entries WHERE tenant_id = 'acme' ORDER BY leaf_index`)) as Array<{ canonical: string }>;
    expect(rows.map((r) => JSON.parse(r.canonical) as { action: string; resource: { id: string } | null }).filter((e) => e.resource?.id === id).map((e) => e.action)).toEqual(['upload.create', 'upload.abort']);
  });

  it('the sweeper removes staging uploads idle for 24 h with their blobs, and keeps live ones', async () => {
    const stale = (await call('POST', '/v1/uploads', { bytes: 1000 })).body.id as string;
    const live = (await call('POST', '/v1/uploads', { bytes: 1000 })).body.id as string;
    await append(stale, 0, Buffer.alloc(200, 0x61));
    await append(live, 0, Buffer.alloc(200, 0x61));
    await s.dataSource.query(`UPDATE enterprise.dataset_uploads SET updated_at = now() - interval '25 hours' WHERE id = $1`, [stale]);
    expect(await s.app.get(ExpiredUploadSweeper).sweep()).toBe(1);
    expect(await uploadRows(stale)).toBe(0);
    expect(await chunkRows(stale)).toBe(0);
    expect(stagedFiles(stale)).toEqual([]);
    expect(await uploadRows(live)).toBe(1);
    expect(stagedFiles(live)).toHaveLength(1);
    await s.auditLog.drain();
    const rows = (await s.dataSource.query(`SELECT canonical FROM audit.entries WHERE tenant_id = 'acme' ORDER BY leaf_index`)) as Array<{ canonical: string }>;
    expect(rows.map((r) => JSON.parse(r.canonical) as { action: string; resource: { id: string } | null }).some((e) => e.action === 'upload.expire' && e.resource?.id === stale)).toBe(true);
  });

  describe('confide datasets create', () => {
    let proxy: Server;
    let proxyUrl: string;
    /** Which PATCH the proxy cuts after half of its body (`forever`: that one and every later one). */
    let cut: { after: number; forever: boolean } = { after: Infinity, forever: false };
    /** Which PATCH gets through to the server whole but whose answer never reaches the client. */
    let dropAnswer = Infinity;
    let patches = 0;

    beforeAll(async () => {
      const target = new URL(s.url);
      proxy = createServer((req, res) => {
        const isPatch = req.method === 'PATCH';
        const n = isPatch ? ++patches : 0;
        const cutThis = isPatch && (n === cut.after || (cut.forever && n >= cut.after));
        const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          if (isPatch && n === dropAnswer) {
            up.resume();
            req.socket.destroy();
            return;
          }
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        if (!cutThis) {
          req.pipe(upstream);
          return;
        }
        const half = Math.floor(Number(req.headers['content-length'] ?? 0) / 2);
        let seen = 0;
        let gone = false;
        req.on('data', (chunk: Buffer) => {
          if (gone) return;
          if (seen + chunk.length >= half) {
            gone = true;
            upstream.write(chunk.subarray(0, Math.max(0, half - seen)));
            upstream.destroy();
            req.socket.destroy();
            return;
          }
          seen += chunk.length;
          upstream.write(chunk);
        });
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
      const a = proxy.address();
      proxyUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    });
    afterAll(async () => {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
    });

    const cli = (url: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(NODE, [BIN, ...args], { env: { ...process.env, CONFIDE_URL: url, CONFIDE_DATA_DIR: s.dataDir, NODE_OPTIONS: '' } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });

    it('retries a chunk cut mid-way from the committed offset, and a second run resumes an upload the first gave up on', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'confide-cli-upload-'));
      try {
        const raw = syntheticChat(120_000);
        const file = join(dir, 'tickets.jsonl');
        writeFileSync(file, raw);
        const chunk = String(16 * 1024);

        // Run 1: the third chunk is cut once; the CLI asks for the offset and carries on.
        patches = 0;
        cut = { after: 3, forever: false };
        const one = await cli(proxyUrl, 'datasets', 'create', file, '--chunk-size', chunk, '--json', '--idempotency-key', 'cli-run-one-0001');
        expect(one.stderr).toMatch(/interrupted.*resuming at 32768 bytes/);
        expect(one.code).toBe(0);
        const d1 = JSON.parse(one.stdout) as { id: string; status: string; content_sha256: string };
        expect(d1).toMatchObject({ status: 'ready', content_sha256: sha256(raw) });

        // Run 2: every chunk from the fourth on is cut; with no retries left the CLI stops and says how to go on.
        writeFileSync(file, Buffer.concat([raw, Buffer.from('\n')]));
        patches = 0;
        cut = { after: 4, forever: true };
        const two = await cli(proxyUrl, 'datasets', 'create', file, '--chunk-size', chunk, '--retries', '1', '--json');
        expect(two.code).toBe(1);
        expect(two.stderr).toMatch(/49152 bytes are committed — run the same command again/);
        // Run 3, same command straight to the server: resumes at the committed offset, one dataset.
        const three = await cli(s.url, 'datasets', 'create', file, '--chunk-size', chunk, '--json');
        expect(three.stderr).toContain('resuming upload');
        expect(three.stderr).toContain('at 49152 of');
        expect(three.code).toBe(0);
        // The progress bar counts from the resumed offset (about 40 % of the file), not from zero.
        const shown = [...three.stderr.matchAll(/uploading \[[#.]+\] (\d+)%/g)].map((m) => Number(m[1]));
        expect(shown.length).toBeGreaterThan(0);
        expect(Math.min(...shown)).toBeGreaterThanOrEqual(40);
        expect(shown.at(-1)).toBe(100);
        const d3 = JSON.parse(three.stdout) as { id: string; status: string; content_sha256: string };
        expect(d3).toMatchObject({ status: 'ready', content_sha256: sha256(Buffer.concat([raw, Buffer.from('\n')])) });
        const uploads = (await s.dataSource.query(`SELECT id, dataset_id FROM enterprise.dataset_uploads WHERE dataset_id = $1`, [d3.id])) as Array<{ id: string }>;
        expect(uploads).toHaveLength(1);
        expect(await datasetsWithKey(uploads[0]!.id)).toBe(1);
        // The same command once more: the finished upload's dataset, not a new one.
        const four = await cli(s.url, 'datasets', 'create', file, '--json');
        expect(four.code).toBe(0);
        expect((JSON.parse(four.stdout) as { id: string }).id).toBe(d3.id);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);

    it('the answer to the last chunk is lost: the CLI finds every byte committed and gets the dataset from complete', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'confide-cli-upload-'));
      try {
        const raw = syntheticChat(40_000);
        const file = join(dir, 'late.jsonl');
        writeFileSync(file, raw);
        patches = 0;
        cut = { after: Infinity, forever: false };
        dropAnswer = 3;
        const run = await cli(proxyUrl, 'datasets', 'create', file, '--chunk-size', String(16 * 1024), '--json');
        dropAnswer = Infinity;
        expect(run.stderr).toMatch(/interrupted.*resuming at 40\d\d\d bytes/);
        expect(run.code).toBe(0);
        const d = JSON.parse(run.stdout) as { id: string; status: string; content_sha256: string };
        expect(d).toMatchObject({ status: 'ready', content_sha256: sha256(raw) });
        const [u] = (await s.dataSource.query(`SELECT id FROM enterprise.dataset_uploads WHERE dataset_id = $1`, [d.id])) as Array<{ id: string }>;
        expect(await datasetsWithKey(u!.id)).toBe(1);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);

    it('--resume continues a given upload from its offset; a refused file exits 1 with the problem on stdout (--json)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'confide-cli-upload-'));
      try {
        const raw = readFileSync(join(FIX, 'chat-with-pii.jsonl'));
        const file = join(dir, 'chat.jsonl');
        writeFileSync(file, raw);
        const id = (await call('POST', '/v1/uploads', { bytes: raw.length, sha256: sha256(raw), filename: 'chat.jsonl' })).body.id as string;
        expect((await append(id, 0, raw.subarray(0, 1000))).status).toBe(200);
        const resumed = await cli(s.url, 'datasets', 'create', file, '--resume', id, '--json');
        expect(resumed.stderr).toContain(`resuming upload ${id} at 1000 of ${raw.length} bytes`);
        expect(resumed.code).toBe(0);
        expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'ready', content_sha256: sha256(raw) });
        expect((await call('GET', `/v1/uploads/${id}`)).body).toMatchObject({ status: 'completed', offset: raw.length });

        const bad = join(dir, 'bad.jsonl');
        writeFileSync(bad, '{"messages": [\n');
        const refused = await cli(s.url, 'datasets', 'create', bad, '--json');
        expect(refused.code).toBe(1);
        expect(JSON.parse(refused.stdout)).toMatchObject({ code: 'dataset_invalid' });
        expect(refused.stderr).toContain('422 dataset_invalid');
        // The invalid dataset exists once, with its report, and the upload points at it; nothing stays staged.
        const rows = (await s.dataSource.query(`SELECT u.id, u.status AS upload, d.status AS dataset FROM enterprise.dataset_uploads u JOIN enterprise.datasets d ON d.id = u.dataset_id WHERE d.name = 'bad.jsonl'`)) as Array<{ id: string; upload: string; dataset: string }>;
        expect(rows).toMatchObject([{ upload: 'completed', dataset: 'invalid' }]);
        expect(stagedFiles(rows[0]!.id)).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  });
});
