import { AuditKeys, AuditLog, checkConsistency, checkInclusion, verifyAuditLog, type AuditInput } from '@confide/audit';
import { AuditRepository } from '@confide/persistence';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';

const input = (i: number, tenantId = 'acme'): AuditInput => ({
  tenantId,
  actor: { type: 'user', id: `user-${i % 3}` },
  action: 'organization.update',
  resource: { type: 'organization', id: tenantId },
  outcome: 'success',
  details: { step: i },
  sensitive: { email: `person${i}@example.com` },
});

describe.each(['postgres', 'pglite'] as const)('audit log on %s', (kind) => {
  let db: TestDatabase;
  let log: AuditLog;

  beforeAll(async () => {
    db = await openTestDatabase(kind);
    log = new AuditLog(new AuditRepository(db.ds), AuditKeys.ephemeral());
  });
  afterAll(async () => db?.drop());

  it('appends inside the caller transaction and hashes sensitive values', async () => {
    const r = await db.ds.transaction((em) => log.append(em, input(0)));
    expect(r.queued).toBeGreaterThan(0);
    expect(await log.entry(0)).toBeNull();
    expect(await log.integrate()).toBe(1);
    const stored = await log.entry(0);
    expect(JSON.parse(stored!.canonical)).toMatchObject({ index: 0, action: 'organization.update' });
    expect(stored?.canonical).not.toContain('person0@example.com');
    expect(stored?.canonical).toContain('hmac-sha256:');
  });

  it('refuses to append outside a transaction', async () => {
    await expect(log.append(db.ds.manager, input(1))).rejects.toThrow(/transaction/);
  });

  it('leaves no trace when the surrounding action fails', async () => {
    const before = await log.size();
    await expect(
      db.ds.transaction(async (em) => {
        await log.append(em, input(99));
        throw new Error('the action failed after auditing');
      }),
    ).rejects.toThrow('the action failed');
    await log.drain();
    expect(await log.size()).toBe(before);
    expect(await log.entry(before)).toBeNull();
  });

  it('serves inclusion and consistency proofs that verify against signed checkpoints', async () => {
    // Appends from many concurrent transactions; the integrator sequences them.
    await Promise.all(Array.from({ length: 39 }, (_, k) => db.ds.transaction((em) => log.append(em, input(k + 1, (k + 1) % 2 ? 'acme' : 'globex')))));
    const cp1 = await log.checkpoint();
    expect(cp1.size).toBe(40);
    for (let i = 40; i < 77; i++) {
      await db.ds.transaction((em) => log.append(em, input(i)));
      if (i % 10 === 0) await log.integrate();
    }
    const cp2 = await log.checkpoint();
    for (const idx of [0, 1, 17, 39, 40, 76]) {
      const p = await log.inclusionProof(idx, cp2.size);
      expect(checkInclusion(idx, cp2.size, p.leafHash, p.proof, cp2.root)).toBeUndefined();
    }
    const c = await log.consistencyProof(cp1.size, cp2.size);
    expect(checkConsistency(cp1, cp2, c)).toBeUndefined();
    expect(checkConsistency(cp1, { ...cp2, root: cp1.root }, c)).toBeDefined();
    await expect(log.inclusionProof(77, 77)).rejects.toThrow(/index/);
  });

  it('verifies offline from leaves, entries and checkpoints', async () => {
    const leaves = (await log.leaves(0, 1000)).map((l) => ({ index: l.index, hash: l.hash.toString('base64') }));
    const entries = (await log.entries(undefined, -1, 1000)).map((e) => ({ index: e.leafIndex, canonical: e.canonical, leafHash: e.leafHash.toString('base64') }));
    const notes = (await log.checkpoints(0, 100)).map((c) => c.note);
    const report = verifyAuditLog({ verifierKey: log.verifierKey, checkpoints: notes, leaves, entries });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, verifiedSize: 77, checkpointsChecked: 2, entriesChecked: 77 });
  });

  it('lists only the asking tenant\'s entries', async () => {
    const globex = await log.entries('globex', -1, 1000);
    expect(globex.length).toBeGreaterThan(0);
    expect(globex.every((e) => e.tenantId === 'globex')).toBe(true);
  });
});
