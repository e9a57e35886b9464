import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AttestationError, type AttestationResult, type CompositeEvidence, type CompositeVerification, type CompositeVerifier } from '@confide/attestation';
import { AuditLog } from '@confide/audit';
import type { AttestRequest, AttestResponse, ChallengeRequest, ChallengeResponse } from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { KeyBrokerError, normaliseTeePublicJwk, teeKeyThumbprint, type AttestationResultSigner, type DenialReason, type TeePublicJwk } from '@confide/keybroker';
import { AttestationRepository } from '@confide/persistence';
import { APP_CONFIG, LOGGER, type AppConfig } from '@confide/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APPRAISER, COMPOSITE_VERIFIER, RESULT_SIGNER } from '../infrastructure/attestation.tokens.js';
import type { Appraiser } from './policy.appraiser.js';

/** Challenge nonces live 60 s (database clock): long enough to collect evidence, short enough to make replays useless. */
export const NONCE_TTL_SECONDS = 60;
const NONCE_BYTES = 32;

const nonceHash = (nonceHex: string): Buffer => createHash('sha256').update(Buffer.from(nonceHex, 'hex')).digest();

/** Verifier errors that mean "this report data does not bind this nonce, key and GPUs". */
const BINDING_CODES = new Set(['report_data_mismatch', 'nonce_mismatch', 'key_binding_mismatch']);

/**
 * The Verifier side of RCAR: issues single-use challenges, verifies composite evidence against them, appraises the
 * claims, keeps the attestation report, and answers with a signed attestation result. Every refusal looks the same to
 * the caller; the reason goes to the log and to the audit entry.
 */
@Injectable()
export class AttestationService {
  private readonly repo: AttestationRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(COMPOSITE_VERIFIER) private readonly verifier: CompositeVerifier,
    @Inject(APPRAISER) private readonly appraiser: Appraiser,
    @Inject(RESULT_SIGNER) private readonly signer: AttestationResultSigner,
  ) {
    this.repo = new AttestationRepository(ds);
  }

  async challenge(p: Principal, req: ChallengeRequest): Promise<ChallengeResponse> {
    const nonce = randomBytes(NONCE_BYTES).toString('hex');
    const issued = await this.ds.transaction(async (em) => {
      const row = await this.repo.issueNonce(em, {
        id: randomUUID(),
        tenantId: p.tenantId,
        nonceHash: nonceHash(nonce),
        jobId: req.job_id,
        leaseEpoch: req.lease_epoch,
        requestedBy: p.subject,
        ttlSeconds: NONCE_TTL_SECONDS,
      });
      await this.audit.append(em, {
        tenantId: p.tenantId,
        actor: { type: 'node', id: p.subject },
        action: 'attestation.challenge',
        resource: { type: 'job', id: req.job_id },
        outcome: 'success',
        details: { nonce_id: row.id, lease_epoch: req.lease_epoch },
      });
      return row;
    });
    return { nonce, expires_at: issued.expiresAt.toISOString() };
  }

  async attest(p: Principal, req: AttestRequest): Promise<AttestResponse> {
    const hash = nonceHash(req.nonce);
    // 1. Use up the nonce first, in its own transaction: whatever happens next, it cannot be presented again.
    const consumed = await this.ds.transaction(async (em) => {
      const c = await this.repo.consumeNonce(em, p.tenantId, hash);
      if (typeof c === 'string') await this.auditAttest(em, p, null, 'denied', c, { nonce_sha256: hash.toString('hex') });
      return c;
    });
    if (typeof consumed === 'string') throw this.denied(consumed);

    // 2. Verify and appraise, outside any transaction.
    const reportId = randomUUID();
    let teeKey: TeePublicJwk | undefined;
    let verification: CompositeVerification | undefined;
    let appraisal: AttestationResult | undefined;
    let policyDocument: Readonly<Record<string, unknown>> = this.appraiser.defaultPolicy.document;
    let refusal: { reason: DenialReason; detail: string } | undefined;
    try {
      teeKey = await normaliseTeePublicJwk(req.tee_public_jwk);
      verification = await this.verifier.verify(toComposite(req, teeKey), {
        nonce: Buffer.from(req.nonce, 'hex'),
        at: new Date(),
        allowSimulated: this.config.mode === 'embedded',
      });
      ({ result: appraisal, policyDocument } = this.appraiser.appraise(verification));
      if (appraisal.status === 'contraindicated') {
        refusal = { reason: 'appraisal_contraindicated', detail: appraisal.reasons.map((r) => r.code).join(',') };
      }
    } catch (error) {
      refusal = refusalOf(error);
    }
    const thumbprint = verification?.teeKeyThumbprint ?? (teeKey ? await teeKeyThumbprint(teeKey) : '');
    const status = refusal ? 'contraindicated' : appraisal!.status === 'warning' ? 'warning' : 'affirming';

    // 3. Keep the report (evidence as submitted, claims, policy, verdict) with its audit entry.
    await this.ds.transaction(async (em) => {
      await this.repo.insertReport(em, {
        id: reportId,
        tenantId: p.tenantId,
        nonceId: consumed.id,
        jobId: consumed.jobId,
        leaseEpoch: consumed.leaseEpoch,
        status,
        teeType: verification?.cpu.teeType ?? null,
        simulated: verification?.simulated ?? false,
        reasons: refusal ? [{ code: refusal.reason, detail: refusal.detail }, ...(appraisal?.reasons ?? [])] : [...(appraisal?.reasons ?? [])],
        evidence: { ...req.evidence },
        claims: appraisal ? { ...appraisal.claims, trust_vector: appraisal.trustVector } : null,
        policy: { ...policyDocument },
        policyId: appraisal?.policy.id ?? this.appraiser.defaultPolicy.id,
        policyHash: appraisal?.policy.hash ?? this.appraiser.defaultPolicy.hash,
        teePublicJwk: { ...(teeKey ?? req.tee_public_jwk) },
        teeKeyThumbprint: thumbprint,
        submittedBy: p.subject,
      });
      await this.auditAttest(em, p, reportId, refusal ? 'denied' : 'success', refusal?.reason, {
        job_id: consumed.jobId,
        lease_epoch: consumed.leaseEpoch,
        status,
        tee_type: verification?.cpu.teeType ?? null,
        measurement: verification?.cpu.measurement ?? null,
        simulated: verification?.simulated ?? false,
        policy_hash: appraisal?.policy.hash ?? null,
        ...(refusal ? { detail: refusal.detail.slice(0, 200) } : {}),
      });
    });
    if (refusal) throw this.denied(refusal.reason, refusal.detail);

    const a = appraisal!;
    const v = verification!;
    const { token, expiresAt } = await this.signer.sign({
      status: a.status === 'warning' ? 'warning' : 'affirming',
      teeType: v.cpu.teeType,
      measurement: v.cpu.measurement,
      tcb: v.cpu.tcb,
      policyId: a.policy.id,
      policyHash: a.policy.hash,
      simulated: v.simulated,
      teeKeyThumbprint: v.teeKeyThumbprint,
      reportId,
      tenantId: p.tenantId,
      jobId: consumed.jobId,
      leaseEpoch: consumed.leaseEpoch,
      gpuMeasurements: v.gpus.map((g) => g.measurement),
    });
    return { attestation_result: token, expires_at: expiresAt, report_id: reportId, status: a.status === 'warning' ? 'warning' : 'affirming', simulated: v.simulated };
  }

  private denied(reason: DenialReason, detail?: string): KeyBrokerError {
    this.log.warn({ reason, ...(detail ? { detail } : {}) }, 'attestation denied');
    return KeyBrokerError.attestationDenied(reason, detail);
  }

  private auditAttest(
    em: Parameters<AuditLog['append']>[0],
    p: Principal,
    reportId: string | null,
    outcome: 'success' | 'denied',
    reason: string | undefined,
    details: Record<string, string | number | boolean | null>,
  ) {
    return this.audit.append(em, {
      tenantId: p.tenantId,
      actor: { type: 'node', id: p.subject },
      action: 'attestation.attest',
      ...(reportId ? { resource: { type: 'attestation_report', id: reportId } } : {}),
      outcome,
      ...(reason ? { reason } : {}),
      details,
    });
  }
}

function toComposite(req: AttestRequest, teePublicJwk: CompositeEvidence['teePublicJwk']): CompositeEvidence {
  const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, /[-_]/.test(s) ? 'base64url' : 'base64'));
  const certs = req.evidence.cpu.certs.map(bytes);
  return {
    cpu:
      req.evidence.cpu.format === 'sev-snp'
        ? { format: 'sev-snp', evidence: bytes(req.evidence.cpu.report), certificates: certs }
        : { format: 'tdx', evidence: bytes(req.evidence.cpu.report), certificates: certs },
    gpus: req.evidence.gpus.map((g) => ({ format: g.format, evidence: bytes(g.report), certificates: g.certs.map(bytes) })),
    teePublicJwk,
  };
}

function refusalOf(error: unknown): { reason: DenialReason; detail: string } {
  if (error instanceof KeyBrokerError) {
    const [reason, ...rest] = (error.internalReason ?? 'evidence_invalid').split(':');
    return { reason: (reason ?? 'evidence_invalid') as DenialReason, detail: rest.join(':').trim() };
  }
  if (error instanceof AttestationError) {
    if (BINDING_CODES.has(error.code)) return { reason: 'key_binding_mismatch', detail: error.code };
    if (error.code === 'simulated_not_allowed') return { reason: 'simulated_not_allowed', detail: error.code };
    return { reason: 'evidence_invalid', detail: error.target ? `${error.code} at ${error.target}` : error.code };
  }
  throw error;
}
