import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { AuditInput } from '@confide/audit';
import { startTestServer, type TestServer } from '../support/server.js';

const ENTRIES = 10_000;
const BIN = join(process.cwd(), 'bin/confide.mjs');
const NODE = join(process.cwd(), 'node_modules/.bin/node');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('confide audit verify on a 10,000-entry log (Postgres)', () => {
  let s: TestServer;

  const cli = (...args: string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      const child = spawn(NODE, [BIN, ...args], { env: { ...process.env, CONFIDE_URL: s.url, CONFIDE_DATA_DIR: s.dataDir, NODE_OPTIONS: '' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  const verify = async (): Promise<{ code: number; report: { ok: boolean; firstBadIndex?: number; verifiedSize: number; problems: Array<{ code: string }> } }> => {
    const r = await cli('audit', 'verify', '--json', '--proofs', '8');
    if (!r.stdout.trim()) throw new Error(`no report: ${r.stderr}`);
    return { code: r.code, report: JSON.parse(r.stdout) as never };
  };
  /** Runs SQL as a database superuser would: with the append-only triggers switched off. */
  const tamper = async (sql: string, params: unknown[] = []): Promise<void> => {
    await s.dataSource.transaction(async (em) => {
      await em.query(`ALTER TABLE audit.entries DISABLE TRIGGER tr_entries_append_only`);
      await em.query(sql, params);
      await em.query(`ALTER TABLE audit.entries ENABLE TRIGGER tr_entries_append_only`);
    });
  };
  const row = async (i: number): Promise<{ canonical: string; leaf_hash: Buffer }> =>
    (await s.dataSource.query(`SELECT canonical, leaf_hash FROM audit.entries WHERE leaf_index = $1`, [i]))[0];

  beforeAll(async () => {
    s = await startTestServer('postgres', { AUDIT_CHECKPOINT_INTERVAL_MS: '3600000' });
    const input = (i: number): AuditInput => ({
      tenantId: 'acme',
      actor: { type: 'service', id: 'loader' },
      action: 'dataset.create',
      resource: { type: 'dataset', id: `ds-${i}` },
      outcome: 'success',
      details: { n: i },
      sensitive: { owner: `owner${i}@example.com` },
    });
    for (let batch = 0; batch < ENTRIES; batch += 500) {
      await s.dataSource.transaction(async (em) => {
        for (let i = batch; i < Math.min(ENTRIES, batch + 500); i++) await s.auditLog.append(em, input(i));
      });
      if (batch % 2500 === 0) await s.auditLog.checkpoint();
    }
    await s.auditLog.checkpoint();
  }, 240_000);
  afterAll(async () => s?.stop());

  it('verifies the untouched log', async () => {
    const { code, report } = await verify();
    expect(report.problems).toEqual([]);
    expect(code).toBe(0);
    expect(report.verifiedSize).toBe(ENTRIES);
  });

  it('names the entry whose byte was flipped', async () => {
    const k = 1234 + Math.floor(Math.random() * 7000);
    const original = await row(k);
    const flipped = original.canonical.replace('"outcome":"success"', '"outcome":"succesS"');
    await tamper(`UPDATE audit.entries SET canonical = $2 WHERE leaf_index = $1`, [k, flipped]);
    try {
      const { code, report } = await verify();
      expect(code).toBe(1);
      expect(report.firstBadIndex).toBe(k);
      const human = await cli('audit', 'verify');
      expect(human.code).toBe(1);
      expect(human.stdout).toContain(`first bad entry: ${k}`);
    } finally {
      await tamper(`UPDATE audit.entries SET canonical = $2 WHERE leaf_index = $1`, [k, original.canonical]);
    }
  });

  it('names the entry that was dropped', async () => {
    const k = 4000 + Math.floor(Math.random() * 5000);
    const original = (await s.dataSource.query(`SELECT * FROM audit.entries WHERE leaf_index = $1`, [k]))[0];
    await tamper(`DELETE FROM audit.entries WHERE leaf_index = $1`, [k]);
    try {
      const { code, report } = await verify();
      expect(code).toBe(1);
      expect(report.firstBadIndex).toBe(k);
    } finally {
      await tamper(`INSERT INTO audit.entries (leaf_index, tenant_id, action, created_at, canonical, leaf_hash) VALUES ($1,$2,$3,$4,$5,$6)`, [
        k,
        original.tenant_id,
        original.action,
        original.created_at,
        original.canonical,
        original.leaf_hash,
      ]);
    }
  });

  it('names the first of two entries that were reordered', async () => {
    const j = 100 + Math.floor(Math.random() * 4000);
    const k = j + 1 + Math.floor(Math.random() * 3000);
    const [a, b] = [await row(j), await row(k)];
    const swap = async (x: typeof a, y: typeof a): Promise<void> => {
      await tamper(`UPDATE audit.entries SET canonical = $2, leaf_hash = $3 WHERE leaf_index = $1`, [j, y.canonical, y.leaf_hash]);
      await tamper(`UPDATE audit.entries SET canonical = $2, leaf_hash = $3 WHERE leaf_index = $1`, [k, x.canonical, x.leaf_hash]);
    };
    await swap(a, b);
    try {
      const { code, report } = await verify();
      expect(code).toBe(1);
      expect(report.firstBadIndex).toBe(j);
    } finally {
      await swap(b, a);
    }
  });

  it('is clean again after every tampering was undone', async () => {
    expect((await verify()).code).toBe(0);
  });

  it('answers usage errors with exit code 2', async () => {
    expect((await cli('audit', 'verify', '--proofs', 'many')).code).toBe(2);
    expect((await cli('no-such-command')).code).toBe(2);
  });
});
