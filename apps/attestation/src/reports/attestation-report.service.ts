import { Inject, Injectable } from '@nestjs/common';
import { auditActor, AuditLog } from '@confide/audit';
import type { AttestationReportDto } from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { KeyBrokerError, signReportExport, type ServiceSigningKey } from '@confide/keybroker';
import { AttestationRepository, type AttestationReportRecord } from '@confide/persistence';
import { DataSource } from 'typeorm';
import { SERVICE_SIGNING_KEY } from '../infrastructure/attestation.tokens.js';

/** Attestation reports for auditors: read, list, and export as a JWS signed by the attestation service key. */
@Injectable()
export class AttestationReportService {
  private readonly repo: AttestationRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(SERVICE_SIGNING_KEY) private readonly key: ServiceSigningKey,
  ) {
    this.repo = new AttestationRepository(ds);
  }

  async get(p: Principal, id: string): Promise<AttestationReportDto> {
    const report = await this.repo.findReport(p.tenantId, id);
    if (!report) throw new KeyBrokerError('report_not_found', 'No such attestation report.');
    return toReportDto(report);
  }

  async list(p: Principal, limit: number): Promise<Array<Omit<AttestationReportDto, 'evidence'>>> {
    return (await this.repo.listReports(p.tenantId, limit)).map((r) => {
      const { evidence: _evidence, ...rest } = toReportDto(r);
      return rest;
    });
  }

  /** The whole report (evidence included) as a compact JWS; the export itself is audited. */
  async export(p: Principal, id: string): Promise<string> {
    const report = await this.get(p, id);
    const jws = await signReportExport(this.key, { ...report, exported_at: new Date().toISOString(), signer_kid: this.key.kid });
    await this.ds.transaction((em) =>
      this.audit.append(em, {
        tenantId: p.tenantId,
        actor: auditActor(p),
        action: 'attestation.report_export',
        resource: { type: 'attestation_report', id },
        outcome: 'success',
        details: { signer_kid: this.key.kid },
      }),
    );
    return jws;
  }
}

function toReportDto(r: AttestationReportRecord): AttestationReportDto {
  return {
    id: r.id,
    object: 'attestation_report',
    job_id: r.jobId,
    lease_epoch: r.leaseEpoch,
    status: r.status as AttestationReportDto['status'],
    tee_type: r.teeType,
    simulated: r.simulated,
    reasons: r.reasons as Array<Record<string, unknown>>,
    claims: r.claims,
    policy: { id: r.policyId, hash: r.policyHash, document: r.policy },
    tee_key_thumbprint: r.teeKeyThumbprint,
    tee_public_jwk: r.teePublicJwk,
    evidence: r.evidence,
    submitted_by: r.submittedBy,
    created_at: r.createdAt.toISOString(),
  };
}
