import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedAttester, type CompositeEvidence, type TeePublicJwk } from '@confide/attestation';
import { DataKey, openBuffer, sealBuffer, type Keyring } from '@confide/envelope';
import { LEASE_AUTHORITY, verifyReportExport, type LeaseAuthority } from '@confide/keybroker';
import { KeyBrokerRepository } from '@confide/persistence';
import { compactDecrypt, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { KEYRING } from '../../apps/attestation/src/infrastructure/attestation.tokens.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * RCAR over real HTTP on Postgres: a simulated node asks for a challenge, attests with composite evidence bound to its
 * ephemeral key, and gets the DEK as a JWE it alone can open. Every attack is refused with the same answer, the audit
 * log says why, and no release record is ever written for it.
 */
describe('attestation service and key broker (Postgres, HTTP)', () => {
  let s: TestServer;
  let admin: string;
  let attester: SimulatedAttester;
  let keyId: string;
  const tenant = 'acme';
  const JOB1 = randomUUID();
  const JOB2 = randomUUID();

  /**
   * The key broker asks the scheduler's lease table: a job row with its current epoch, a node operated by the
   * calling service account, and one live lease per epoch.
   */
  const leases = {
    nodeId: randomUUID(),
    async grant(g: { tenantId: string; jobId: string; epoch: number }): Promise<void> {
      const subject = (JSON.parse(Buffer.from(admin.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string }).sub;
      await s.dataSource.query(
        `INSERT INTO scheduler.nodes (id, name, operator_tenant_id, operator_subject, provider, region, gpu_model, gpu_count, gpu_memory_gb, tee_type,
           hourly_price, state, identity_jkt, identity_jwk, reliability, registered_at)
         VALUES ($1, 'e2e-node', $2, $3, 'e2e', 'eu-west-1', 'H100', 1, 80, 'sev-snp', 1, 'active', 'e2e', '{}', 1, now()) ON CONFLICT (id) DO NOTHING`,
        [this.nodeId, g.tenantId, subject],
      );
      await s.dataSource.query(
        `INSERT INTO enterprise.fine_tuning_jobs (id, tenant_id, status, phase, trainer, model, training_file, hyperparameters, privacy, placement,
           verification, budget, lease_epoch, leased, result_files, created_by, created_at, updated_at)
         VALUES ($1, $2, 'running', 'training', 'text-classifier', 'e2e', $3, '{}', '{}', '{}', '{}', '{}', $4, true, '[]', 'e2e', now(), now())
         ON CONFLICT (id) DO UPDATE SET lease_epoch = EXCLUDED.lease_epoch`,
        [g.jobId, g.tenantId, randomUUID(), g.epoch],
      );
      // A re-lease ends the previous holder's lease (one active lease per job).
      await s.dataSource.query(`UPDATE scheduler.leases SET state = 'expired', ended_at = now(), end_reason = 'e2e re-lease' WHERE job_id = $1 AND state = 'active'`, [
        g.jobId,
      ]);
      await s.dataSource.query(
        `INSERT INTO scheduler.leases (id, job_id, tenant_id, node_id, epoch, state, hourly_price, granted_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, 'active', 1, now(), now() + interval '1 hour')`,
        [randomUUID(), g.jobId, g.tenantId, this.nodeId, g.epoch],
      );
    },
    async cancel(_tenantId: string, jobId: string): Promise<void> {
      await s.dataSource.query(`UPDATE enterprise.fine_tuning_jobs SET cancel_requested = true WHERE id = $1`, [jobId]);
    },
  };

  const call = async (method: string, path: string, body?: unknown, token = admin): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${s.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { raw: text };
    }
    return { status: res.status, body: parsed };
  };

  const teeKeyPair = async (): Promise<{ publicJwk: TeePublicJwk; privateKey: CryptoKey }> => {
    const { publicKey, privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384', extractable: true });
    const { kty, crv, x, y } = await exportJWK(publicKey);
    return { publicJwk: { kty: kty as 'EC', crv: crv as 'P-384', x: x!, y: y! }, privateKey };
  };

  const wire = (e: CompositeEvidence) => ({
    cpu: { format: e.cpu.format, report: Buffer.from(e.cpu.evidence).toString('base64'), certs: (e.cpu.certificates ?? []).map((c) => Buffer.from(c).toString('base64')) },
    gpus: e.gpus.map((g) => ({ format: g.format, report: Buffer.from(g.evidence).toString('base64'), certs: g.certificates.map((c) => Buffer.from(c).toString('base64')) })),
  });

  /** A node's whole attestation: challenge, evidence for that nonce bound to `bound`, presenting `presented`. */
  const attest = async (o: { job?: string; epoch?: number; bound?: TeePublicJwk; presented?: TeePublicJwk; debug?: boolean } = {}) => {
    const tee = await teeKeyPair();
    const bound = o.bound ?? tee.publicJwk;
    const ch = await call('POST', '/attestation/v1/challenge', { job_id: o.job ?? JOB1, lease_epoch: o.epoch ?? 1 });
    expect(ch.status).toBe(200);
    const nonce = ch.body.nonce as string;
    const evidence = await attester.compositeEvidence({ nonce: Buffer.from(nonce, 'hex'), teePublicJwk: bound, gpus: 1, ...(o.debug ? { snp: { debug: true } } : {}) });
    const body = { nonce, tee_public_jwk: o.presented ?? bound, evidence: wire(evidence) };
    const res = await call('POST', '/attestation/v1/attest', body);
    return { res, body, nonce, tee };
  };

  const release = (result: string, o: { job?: string; epoch?: number; key?: string } = {}) =>
    call('POST', `/attestation/v1/keys/${o.key ?? keyId}/release`, { attestation_result: result, job_id: o.job ?? JOB1, lease_epoch: o.epoch ?? 1 });

  const auditRecords = async (): Promise<Array<{ action: string; outcome: string; reason: string | null; details: Record<string, unknown> }>> => {
    const log = s.auditLog as unknown as { drain?: () => Promise<void> };
    if (typeof log.drain === 'function') await log.drain();
    const entries = await s.auditLog.entries(tenant, -1, 10_000);
    return entries.map((e) => JSON.parse(e.canonical) as { action: string; outcome: string; reason: string | null; details: Record<string, unknown> });
  };
  const lastDenial = async (action: string) => (await auditRecords()).filter((r) => r.action === action && r.outcome === 'denied').at(-1);
  const releases = () => new KeyBrokerRepository(s.dataSource).countReleases(tenant);

  const uniform = (r: { status: number; body: Record<string, unknown> }, code: string) => {
    expect(r.status).toBe(403);
    const { requestId: _r, instance: _i, ...rest } = r.body;
    expect(rest).toEqual({ type: `https://confide.dev/problems/${code}`, title: 'Forbidden', status: 403, code, detail: code === 'keybroker_release_denied' ? 'The key release was denied.' : 'The attestation was denied.' });
  };

  beforeAll(async () => {
    s = await startTestServer('postgres');
    admin = await s.token();
    attester = await SimulatedAttester.loadOrCreate(join(s.dataDir, 'dev-pki'));
    await leases.grant({ tenantId: tenant, jobId: JOB1, epoch: 1 });
    const created = await call('POST', '/attestation/v1/keys', {
      dataset_id: 'ds-1',
      release_policy: { allowed_tee_types: ['sev-snp'], allowed_policy_ids: ['dev-simulated'], allow_simulated: true },
    });
    expect(created.status).toBe(201);
    keyId = created.body.id as string;
  }, 60_000);
  afterAll(async () => s?.stop());

  it('challenge → attest → release → the TEE decrypts the DEK, which opens what the wrapped DEK sealed', async () => {
    const { res, tee } = await attest();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'affirming', simulated: true });
    const rel = await release(res.body.attestation_result as string);
    expect(rel.status).toBe(200);
    expect(rel.body).toMatchObject({ key_id: keyId, dataset_id: 'ds-1', report_id: res.body.report_id });

    const { plaintext, protectedHeader } = await compactDecrypt(rel.body.jwe as string, tee.privateKey, {
      keyManagementAlgorithms: ['ECDH-ES+A256KW'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: keyId });
    expect(protectedHeader.zip).toBeUndefined();
    expect(plaintext).toHaveLength(32);

    // What the key broker holds wrapped seals; what the enclave received opens.
    const row = await new KeyBrokerRepository(s.dataSource).findKey(tenant, keyId);
    const keyring = s.app.get<Keyring>(KEYRING);
    const held = await keyring.unwrapDek(row!.wrappedDek, { tenantId: tenant, datasetId: 'ds-1' });
    const context = { tenantId: tenant, datasetId: 'ds-1' };
    const sealed = sealBuffer(Buffer.from('{"messages":[]}\n'), { dek: held, context });
    const opened = await openBuffer(sealed, { dek: DataKey.fromBytes(keyId, 1, plaintext), context });
    expect(opened.toString()).toBe('{"messages":[]}\n');
    held.destroy();

    // The plaintext DEK is nowhere in the database.
    const hex = Buffer.from(plaintext).toString('hex');
    const dump = (await s.dataSource.query(`SELECT row_to_json(k)::text AS j FROM attestation.dataset_keys k`)) as Array<{ j: string }>;
    expect(dump.map((d) => d.j).join()).not.toContain(hex);
    expect(dump.map((d) => d.j).join()).not.toContain(Buffer.from(plaintext).toString('base64'));
    expect(await releases()).toBe(1);
    const success = (await auditRecords()).filter((r) => r.action === 'keybroker.key_release' && r.outcome === 'success');
    expect(success).toHaveLength(1);
  });

  it('refuses a replayed nonce (same evidence twice)', async () => {
    const before = await releases();
    const first = await attest();
    expect(first.res.status).toBe(200);
    const replay = await call('POST', '/attestation/v1/attest', first.body);
    uniform(replay, 'keybroker_attestation_denied');
    expect((await lastDenial('attestation.attest'))?.reason).toBe('nonce_reused');
    expect(await releases()).toBe(before);
  });

  it('refuses evidence bound to key A presented with key B, and a result whose cnf was swapped', async () => {
    const before = await releases();
    const a = await teeKeyPair();
    const b = await teeKeyPair();
    const swapped = await attest({ bound: a.publicJwk, presented: b.publicJwk });
    uniform(swapped.res, 'keybroker_attestation_denied');
    expect((await lastDenial('attestation.attest'))?.reason).toBe('key_binding_mismatch');

    const ok = await attest();
    const [h, p, sig] = (ok.res.body.attestation_result as string).split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const thumb = createHash('sha256').update(`{"crv":"P-384","kty":"EC","x":"${b.publicJwk.x}","y":"${b.publicJwk.y}"}`).digest('base64url');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, cnf: { jkt: thumb } })).toString('base64url')}.${sig}`;
    uniform(await release(forged), 'keybroker_release_denied');
    expect((await lastDenial('keybroker.key_release'))?.reason).toBe('result_signature_invalid');
    expect(await releases()).toBe(before);
  });

  it('refuses a stale lease epoch and a cancelled job', async () => {
    const before = await releases();
    await leases.grant({ tenantId: tenant, jobId: JOB2, epoch: 1 });
    const ok = await attest({ job: JOB2, epoch: 1 });
    expect(ok.res.status).toBe(200);
    await leases.grant({ tenantId: tenant, jobId: JOB2, epoch: 2 });
    uniform(await release(ok.res.body.attestation_result as string, { job: JOB2, epoch: 1 }), 'keybroker_release_denied');
    expect((await lastDenial('keybroker.key_release'))?.reason).toBe('lease_epoch_stale');
    // The result is for epoch 1: asking with the current epoch does not rebind it.
    uniform(await release(ok.res.body.attestation_result as string, { job: JOB2, epoch: 2 }), 'keybroker_release_denied');
    expect((await lastDenial('keybroker.key_release'))?.reason).toBe('job_mismatch');

    const current = await attest({ job: JOB2, epoch: 2 });
    await leases.cancel(tenant, JOB2);
    uniform(await release(current.res.body.attestation_result as string, { job: JOB2, epoch: 2 }), 'keybroker_release_denied');
    expect((await lastDenial('keybroker.key_release'))?.reason).toBe('job_cancelled');
    expect(await releases()).toBe(before);
  });

  it('refuses a release whose lease is cancelled after the pre-check passed: the recording statement is the check', async () => {
    const job = randomUUID();
    await leases.grant({ tenantId: tenant, jobId: job, epoch: 1 });
    const ok = await attest({ job, epoch: 1 });
    expect(ok.res.status).toBe(200);
    const before = await releases();
    const authority = s.app.get<LeaseAuthority>(LEASE_AUTHORITY);
    const preCheck = authority.checkLease.bind(authority);
    // The cancel commits between the pre-check (which saw a live lease) and the statement that records the release.
    authority.checkLease = async (check, em) => {
      const verdict = await preCheck(check, em);
      await leases.cancel(tenant, job);
      return verdict;
    };
    try {
      uniform(await release(ok.res.body.attestation_result as string, { job, epoch: 1 }), 'keybroker_release_denied');
    } finally {
      authority.checkLease = preCheck;
    }
    expect((await lastDenial('keybroker.key_release'))?.reason).toBe('job_cancelled');
    expect(await releases()).toBe(before);
    const recorded = (await auditRecords()).filter((r) => r.action === 'keybroker.key_release' && r.details.job_id === job);
    expect(recorded.map((r) => r.outcome)).toEqual(['denied']);
  });

  it('refuses an expired nonce and an unknown one (database clock)', async () => {
    const tee = await teeKeyPair();
    const ch = await call('POST', '/attestation/v1/challenge', { job_id: JOB1, lease_epoch: 1 });
    const nonce = ch.body.nonce as string;
    const hash = createHash('sha256').update(Buffer.from(nonce, 'hex')).digest();
    await s.dataSource.query(`UPDATE attestation.nonces SET expires_at = now() - interval '1 second' WHERE nonce_hash = $1`, [hash]);
    const evidence = await attester.compositeEvidence({ nonce: Buffer.from(nonce, 'hex'), teePublicJwk: tee.publicJwk, gpus: 1 });
    uniform(await call('POST', '/attestation/v1/attest', { nonce, tee_public_jwk: tee.publicJwk, evidence: wire(evidence) }), 'keybroker_attestation_denied');
    expect((await lastDenial('attestation.attest'))?.reason).toBe('nonce_expired');

    const never = 'ab'.repeat(32);
    const e2 = await attester.compositeEvidence({ nonce: Buffer.from(never, 'hex'), teePublicJwk: tee.publicJwk, gpus: 1 });
    uniform(await call('POST', '/attestation/v1/attest', { nonce: never, tee_public_jwk: tee.publicJwk, evidence: wire(e2) }), 'keybroker_attestation_denied');
    expect((await lastDenial('attestation.attest'))?.reason).toBe('nonce_unknown');

    // A challenge expires 60 s after the database's now().
    const fresh = await call('POST', '/attestation/v1/challenge', { job_id: JOB1, lease_epoch: 1 });
    const [row] = (await s.dataSource.query(`SELECT extract(epoch FROM expires_at - created_at)::int AS ttl FROM attestation.nonces WHERE nonce_hash = $1`, [
      createHash('sha256').update(Buffer.from(fresh.body.nonce as string, 'hex')).digest(),
    ])) as Array<{ ttl: number }>;
    expect(row?.ttl).toBe(60);
  });

  it('refuses debug guests, keys whose policy does not allow the TEE type, unknown keys and other tenants', async () => {
    const before = await releases();
    const debug = await attest({ debug: true });
    uniform(debug.res, 'keybroker_attestation_denied');
    expect((await lastDenial('attestation.attest'))?.reason).toBe('appraisal_contraindicated');

    const tdxOnly = await call('POST', '/attestation/v1/keys', {
      dataset_id: 'ds-2',
      release_policy: { allowed_tee_types: ['tdx'], allowed_policy_ids: ['dev-simulated'], allow_simulated: true },
    });
    const noSim = await call('POST', '/attestation/v1/keys', {
      dataset_id: 'ds-3',
      release_policy: { allowed_tee_types: ['sev-snp'], allowed_policy_ids: ['dev-simulated'] },
    });
    const ok = await attest();
    const result = ok.res.body.attestation_result as string;
    uniform(await release(result, { key: tdxOnly.body.id as string }), 'keybroker_release_denied');
    expect((await lastDenial('keybroker.key_release'))?.reason).toBe('policy_tee_type_not_allowed');
    uniform(await release(result, { key: noSim.body.id as string }), 'keybroker_release_denied');
    expect((await lastDenial('keybroker.key_release'))?.reason).toBe('policy_simulated_not_allowed');
    uniform(await release(result, { key: '00000000-0000-4000-8000-000000000000' }), 'keybroker_release_denied');
    expect((await lastDenial('keybroker.key_release'))?.reason).toBe('key_unknown');

    const globex = await s.token('globex-cli');
    const other = await call('POST', `/attestation/v1/keys/${keyId}/release`, { attestation_result: result, job_id: JOB1, lease_epoch: 1 }, globex);
    uniform(other, 'keybroker_release_denied');
    expect(await releases()).toBe(before);
  });

  it('lets auditors read a report and verify its signed export; other tenants and engineers cannot', async () => {
    const ok = await attest();
    const id = ok.res.body.report_id as string;
    const report = await call('GET', `/attestation/v1/reports/${id}`);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ id, status: 'affirming', tee_type: 'sev-snp', simulated: true, policy: { id: 'dev-simulated' } });
    expect((report.body.evidence as { cpu: { report: string } }).cpu.report).toBe(ok.body.evidence.cpu.report);

    const exported = await fetch(`${s.url}/attestation/v1/reports/${id}/export`, { headers: { authorization: `Bearer ${admin}` } });
    expect(exported.headers.get('content-type')).toMatch(/application\/jose/);
    const jwksText = await (await fetch(`${s.url}/attestation/v1/jwks`)).text();
    const jws = await exported.text();
    const doc = (await verifyReportExport(jws, JSON.parse(jwksText) as never)) as { id: string; claims: { measurement: string } };
    expect(doc.id).toBe(id);
    expect(doc.claims.measurement).toBe((report.body.claims as { measurement: string }).measurement);

    // Offline, as an auditor would: the CLI with a pinned key set; any changed byte is caught.
    const dir = mkdtempSync(join(tmpdir(), 'confide-report-'));
    writeFileSync(join(dir, 'report.jws'), jws);
    writeFileSync(join(dir, 'jwks.json'), jwksText);
    const cli = (file: string) =>
      spawnSync(join(process.cwd(), 'node_modules/.bin/node'), [join(process.cwd(), 'bin/confide.mjs'), 'attest', 'report', 'verify', join(dir, file), '--jwks', join(dir, 'jwks.json'), '--json'], {
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
      });
    const good = cli('report.jws');
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ valid: true, id, status: 'affirming', simulated: true, policy: { id: 'dev-simulated' } });
    const [h, payload, sig] = jws.split('.') as [string, string, string];
    const changed = Buffer.from(payload, 'base64url');
    changed[20] = changed[20]! ^ 1;
    writeFileSync(join(dir, 'tampered.jws'), `${h}.${changed.toString('base64url')}.${sig}`);
    expect(cli('tampered.jws').status).toBe(1);
    expect(cli('missing.jws').status).toBe(2);
    rmSync(dir, { recursive: true, force: true });

    expect((await call('GET', `/attestation/v1/reports/${id}`, undefined, await s.token('globex-cli'))).status).toBe(404);
    expect((await call('GET', `/attestation/v1/reports/${id}`, undefined, await s.token('engineer-cli'))).status).toBe(403);
    expect((await call('POST', '/attestation/v1/challenge', { job_id: 'j', lease_epoch: 1 }, await s.token('engineer-cli'))).status).toBe(403);
  });

  it('never logs the nonce, the JWE or the DEK, and logs each denial reason', async () => {
    const ok = await attest();
    const rel = await release(ok.res.body.attestation_result as string);
    expect(rel.status).toBe(200);
    const logs = s.logs.lines.join('\n');
    expect(logs).not.toContain(ok.nonce);
    expect(logs).not.toContain(rel.body.jwe as string);
    const reasons = s.logs.records().filter((r) => r.msg === 'request rejected' && typeof r.code === 'string' && (r.code as string).startsWith('keybroker_')).map((r) => r.reason);
    expect(reasons).toEqual(expect.arrayContaining(['nonce_reused', 'lease_epoch_stale', 'job_cancelled', 'result_signature_invalid']));
  });
});
