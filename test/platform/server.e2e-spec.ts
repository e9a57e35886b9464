import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../support/server.js';

describe('server (Postgres)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('postgres');
  });
  afterAll(async () => s?.stop());

  const patchOrg = async (token: string, body: unknown): Promise<Response> =>
    fetch(`${s.url}/v1/organization`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('is live and ready, and echoes a request id', async () => {
    const ready = await fetch(`${s.url}/ready`, { headers: { 'x-request-id': 'req-1234567890' } });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'ok', migrations: 'current' });
    expect(ready.headers.get('x-request-id')).toBe('req-1234567890');
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    const logged = s.logs.records().filter((r) => r.requestId === 'req-1234567890');
    expect(logged.length).toBeGreaterThan(0);
  });

  it('fails the action, and leaves no trace of it, when its audit entry cannot be written', async () => {
    const token = await s.token();
    expect((await patchOrg(token, { display_name: 'Before' })).status).toBe(200);
    await s.auditLog.drain();
    const sizeBefore = await s.auditLog.size();
    await s.dataSource.query(`CREATE FUNCTION audit.fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit storage unavailable'; END $$`);
    await s.dataSource.query(`CREATE TRIGGER tr_fail BEFORE INSERT ON audit.pending FOR EACH ROW EXECUTE FUNCTION audit.fail_insert()`);
    try {
      const res = await patchOrg(token, { display_name: 'After' });
      expect(res.status).toBe(500);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.code).toBe('internal');
      expect(JSON.stringify(body)).not.toMatch(/audit storage|plpgsql|at .*\.js/);
    } finally {
      await s.dataSource.query(`DROP TRIGGER tr_fail ON audit.pending`);
      await s.dataSource.query(`DROP FUNCTION audit.fail_insert()`);
    }
    const org = (await (await fetch(`${s.url}/v1/organization`, { headers: { authorization: `Bearer ${token}` } })).json()) as { display_name: string };
    expect(org.display_name).toBe('Before');
    await s.auditLog.drain();
    expect(await s.auditLog.size()).toBe(sizeBefore);
  });

  it('does not write tokens or passwords into the logs', async () => {
    const token = await s.token();
    await fetch(`${s.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    const all = s.logs.lines.join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toContain(s.devIssuer!.credentials.serviceAccounts[0]!.clientSecret);
  });
});

describe('configuration at boot', () => {
  it('exits with a readable message naming the bad variable, secrets masked', () => {
    const r = spawnSync(join(process.cwd(), 'node_modules/.bin/node'), [join(process.cwd(), 'bin/confide.mjs'), 'start'], {
      env: { ...process.env, NODE_OPTIONS: '', PORT: 'eighty', DATABASE_URL: 'mysql://root:hunter2@db/x' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).toContain('DATABASE_URL');
    expect(r.stderr).not.toContain('hunter2');
  });
});
