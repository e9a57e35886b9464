import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { auditActor, AuditLog, type AuditInput } from '@confide/audit';
import type { CreateDatasetKey, DatasetKeyDto, ReleasePolicyDto, ReleaseRequest, ReleaseResponse } from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { wrappedDekToString, type DataKey, type Keyring } from '@confide/envelope';
import {
  encryptDekForTee,
  evaluateReleasePolicy,
  KeyBrokerError,
  LEASE_AUTHORITY,
  normaliseTeePublicJwk,
  teeKeyThumbprint,
  type AttestationResultSigner,
  type DenialReason,
  type LeaseAuthority,
  type LeaseCheck,
  type ReleasePolicy,
  type VerifiedAttestationResult,
} from '@confide/keybroker';
import { AuditRepository, KeyBrokerRepository, type DatasetKeyRecord } from '@confide/persistence';
import { LOGGER } from '@confide/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { KEYRING, RESULT_SIGNER } from '../infrastructure/attestation.tokens.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The Relying Party of RCAR, shaped like AWS KMS with a `Recipient`: dataset keys exist only wrapped by the KEK;
 * a release checks the attestation result, the key's release policy and the lease (through the LeaseAuthority),
 * then returns the DEK as a JWE to the TEE key the hardware report bound. Every refusal is the same uniform error;
 * the reason is logged and audited in the same transaction that would have recorded the release.
 */
@Injectable()
export class KeyBrokerService {
  private readonly keys: KeyBrokerRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(KEYRING) private readonly keyring: Keyring,
    @Inject(RESULT_SIGNER) private readonly signer: AttestationResultSigner,
    @Inject(LEASE_AUTHORITY) private readonly leases: LeaseAuthority,
  ) {
    this.keys = new KeyBrokerRepository(ds);
  }

  /** Mints a DEK for a dataset and stores only its wrapped form with the release policy. */
  async createKey(p: Principal, req: CreateDatasetKey): Promise<DatasetKeyDto> {
    const { key, dek } = await this.createKeyForSealing(p, req);
    dek.destroy();
    return key;
  }

  /**
   * For the datasets flow (in-process): mints the key like `createKey` and also hands back the plaintext DEK to seal
   * with. The caller must `destroy()` it; it is never persisted.
   */
  async createKeyForSealing(p: Principal, req: CreateDatasetKey): Promise<{ key: DatasetKeyDto; dek: DataKey }> {
    const id = randomUUID();
    const { dek, wrapped } = await this.keyring.generateDek({ tenantId: p.tenantId, datasetId: req.dataset_id }, { keyId: id });
    try {
      const stored = await this.ds.transaction(async (em) => {
        const row = await this.keys.insertKey(em, {
          id,
          tenantId: p.tenantId,
          datasetId: req.dataset_id,
          keyVersion: wrapped.keyVersion,
          wrappedDek: wrappedDekToString(wrapped),
          kekId: wrapped.kekId,
          kekVersion: wrapped.kekVersion,
          releasePolicy: { ...req.release_policy },
          createdBy: p.subject,
        });
        await this.audit.append(em, {
          tenantId: p.tenantId,
          actor: auditActor(p),
          action: 'keybroker.key_create',
          resource: { type: 'dataset_key', id },
          outcome: 'success',
          details: {
            dataset_id: req.dataset_id,
            kek_id: wrapped.kekId,
            kek_version: wrapped.kekVersion,
            allowed_tee_types: req.release_policy.allowed_tee_types.join(','),
            allowed_policy_ids: req.release_policy.allowed_policy_ids.join(','),
            allow_simulated: req.release_policy.allow_simulated,
          },
        });
        return row;
      });
      return { key: toKeyDto(stored), dek };
    } catch (error) {
      dek.destroy();
      throw error;
    }
  }

  async release(p: Principal, keyId: string, req: ReleaseRequest): Promise<ReleaseResponse> {
    const outcome = await this.authorise(p, keyId, req);
    if ('denied' in outcome) return this.deny(p, keyId, req, outcome.denied, outcome.result);
    const { key, result, teeKey } = outcome;

    // Unwrap and encrypt to the bound key before the release is recorded (a KMS unwrap is a network call).
    const dek = await this.keyring.unwrapDek(key.wrappedDek, { tenantId: key.tenantId, datasetId: key.datasetId });
    let jwe: string;
    const bytes = dek.exportBytes();
    try {
      jwe = await encryptDekForTee(bytes, teeKey, { keyId: key.id, keyVersion: key.keyVersion, datasetId: key.datasetId, reportId: result.reportId });
    } finally {
      bytes.fill(0);
      dek.destroy();
    }

    // The lease is checked again, authoritatively, by the one statement that records the release and its audit
    // record: a cancel or re-lease that committed in between wins, and the JWE is then dropped unreturned.
    const release = {
      id: randomUUID(),
      tenantId: p.tenantId,
      keyId: key.id,
      reportId: result.reportId,
      jobId: req.job_id,
      leaseEpoch: req.lease_epoch,
      teeKeyThumbprint: result.teeKeyThumbprint,
      releasedTo: p.subject,
    };
    const audited = AuditRepository.pendingInsert(this.audit.prepare(this.releaseAudit(p, keyId, req, 'success', undefined, result, release.id)));
    const lease = await this.leases.commitIfHeld(leaseCheckOf(p, req), [KeyBrokerRepository.releaseInsert(release), audited]);
    if (!lease.ok) return this.deny(p, keyId, req, lease.reason, result);
    return { key_id: key.id, key_version: key.keyVersion, dataset_id: key.datasetId, report_id: result.reportId, jwe };
  }

  /** Every check that does not need the DEK, in a fixed order; the first failing one is the reason. */
  private async authorise(
    p: Principal,
    keyId: string,
    req: ReleaseRequest,
  ): Promise<
    | { denied: DenialReason; result?: VerifiedAttestationResult }
    | { key: DatasetKeyRecord; result: VerifiedAttestationResult; teeKey: Awaited<ReturnType<typeof normaliseTeePublicJwk>> }
  > {
    // The lease pre-check depends only on the caller and the request: it runs while the result's signature is
    // checked; its verdict is applied in the same order as before, so the first failing check is still the reason.
    // (The lease is checked again, authoritatively, when the release is recorded.)
    const leaseCheck = this.leases.checkLease(leaseCheckOf(p, req), this.ds.manager);
    leaseCheck.catch(() => undefined); // awaited below, unless an earlier check denies
    let result: VerifiedAttestationResult;
    try {
      result = await this.signer.verify(req.attestation_result);
    } catch (error) {
      if (error instanceof KeyBrokerError) return { denied: reasonOf(error) };
      throw error;
    }
    if (result.tenantId !== p.tenantId) return { denied: 'report_mismatch', result };
    if (result.jobId !== req.job_id || result.leaseEpoch !== req.lease_epoch) return { denied: 'job_mismatch', result };
    const { key, report } = await this.keys.findForRelease(p.tenantId, keyId, result.reportId);
    if (!report) return { denied: 'report_unknown', result };
    if (report.status === 'contraindicated' || report.status !== result.status) return { denied: 'report_mismatch', result };
    // The JWE goes to the key stored with the report, and only if it is the key the result's cnf names.
    const teeKey = await normaliseTeePublicJwk(report.teePublicJwk).catch(() => null);
    if (!teeKey || (await teeKeyThumbprint(teeKey)) !== result.teeKeyThumbprint || report.teeKeyThumbprint !== result.teeKeyThumbprint) {
      return { denied: 'tee_key_mismatch', result };
    }
    if (!key) return { denied: 'key_unknown', result };
    const lease = await leaseCheck;
    if (!lease.ok) return { denied: lease.reason, result };
    const policyDenial = evaluateReleasePolicy(toReleasePolicy(key.releasePolicy as ReleasePolicyDto), result, lease.region ? { nodeRegion: lease.region } : {});
    if (policyDenial) return { denied: policyDenial, result };
    return { key, result, teeKey };
  }

  private async deny(p: Principal, keyId: string, req: ReleaseRequest, reason: DenialReason, result?: VerifiedAttestationResult): Promise<never> {
    await this.ds.transaction((em) => this.audit.append(em, this.releaseAudit(p, keyId, req, 'denied', reason, result)));
    throw this.denied(reason);
  }

  private denied(reason: DenialReason): KeyBrokerError {
    this.log.warn({ reason }, 'key release denied');
    return KeyBrokerError.releaseDenied(reason);
  }

  private releaseAudit(
    p: Principal,
    keyId: string,
    req: ReleaseRequest,
    outcome: 'success' | 'denied',
    reason: DenialReason | undefined,
    result: VerifiedAttestationResult | undefined,
    releaseId?: string,
  ): AuditInput {
    return {
      tenantId: p.tenantId,
      actor: { type: 'node', id: p.subject },
      action: 'keybroker.key_release',
      // The key id comes from the URL: only a well-formed one is recorded as the resource.
      resource: { type: 'dataset_key', id: UUID.test(keyId) ? keyId : 'invalid' },
      outcome,
      ...(reason ? { reason } : {}),
      details: {
        job_id: req.job_id,
        lease_epoch: req.lease_epoch,
        report_id: result?.reportId ?? null,
        tee_key_thumbprint: result?.teeKeyThumbprint ?? null,
        tee_type: result?.teeType ?? null,
        measurement: result?.measurement ?? null,
        simulated: result?.simulated ?? null,
        release_id: releaseId ?? null,
      },
    };
  }
}

function leaseCheckOf(p: Principal, req: ReleaseRequest): LeaseCheck {
  return { tenantId: p.tenantId, jobId: req.job_id, leaseEpoch: req.lease_epoch, nodeId: p.subject };
}

function reasonOf(error: KeyBrokerError): DenialReason {
  return ((error.internalReason ?? 'result_malformed').split(':')[0] ?? 'result_malformed') as DenialReason;
}

export function toReleasePolicy(dto: ReleasePolicyDto): ReleasePolicy {
  return {
    allowedTeeTypes: dto.allowed_tee_types,
    allowedPolicyIds: dto.allowed_policy_ids,
    ...(dto.allowed_measurements ? { allowedMeasurements: dto.allowed_measurements } : {}),
    minimumStatus: dto.minimum_status,
    allowSimulated: dto.allow_simulated,
    ...(dto.residency ? { residency: dto.residency } : {}),
  };
}

function toKeyDto(k: DatasetKeyRecord): DatasetKeyDto {
  return {
    id: k.id,
    object: 'dataset_key',
    dataset_id: k.datasetId,
    key_version: k.keyVersion,
    kek_id: k.kekId,
    kek_version: k.kekVersion,
    release_policy: k.releasePolicy as ReleasePolicyDto,
    created_at: Math.floor(k.createdAt.getTime() / 1000),
  };
}
