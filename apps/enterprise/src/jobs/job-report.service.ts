import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { auditActor, AuditLog } from '@confide/audit';
import { canonicalJson, JobError, type Principal } from '@confide/domain';
import type { BlobStore } from '@confide/envelope';
import { FHE_LOGREG_WEIGHTS_FORMAT } from '@confide/fhe';
import { SERVICE_SIGNING_ALG, ServiceSigningKey } from '@confide/keybroker';
import { AttestationRepository, DatasetRepository, JobRepository, KeyBrokerRepository, SchedulerRepository } from '@confide/persistence';
import { APP_CONFIG, type AppConfig } from '@confide/platform';
import { CompactSign } from 'jose';
import { DataSource } from 'typeorm';
import { JOB_BLOBS, jobBlobKeys, readJson, type OutputManifest } from './job-artifacts.js';
import type { VerificationRecord } from './job-verification.service.js';

export const JOB_REPORT_TYPE = 'confide-job-report+jws';
export const JOB_REPORT_SIGNING_KEY = Symbol('JOB_REPORT_SIGNING_KEY');

export const jobReportKeyPath = (config: AppConfig) => join(config.dataDir, 'keys', 'job-report-signing-key.jwk');

/**
 * The provenance report of a finished job (DESIGN §5.6): what was trained on (dataset digest, protection), where
 * (each attempt's node and its attestation at registration), under which attestation reports and verdicts, which
 * key releases happened, what verification found, and the digest of the sealed output — signed as a compact JWS
 * (ES384, `typ` confide-job-report+jws) an auditor checks offline against the published JWKS.
 */
@Injectable()
export class JobReportService {
  private readonly jobs: JobRepository;
  private readonly datasets: DatasetRepository;
  private readonly scheduler: SchedulerRepository;
  private readonly reports: AttestationRepository;
  private readonly keys: KeyBrokerRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(JOB_BLOBS) private readonly blobs: BlobStore,
    @Inject(JOB_REPORT_SIGNING_KEY) private readonly key: ServiceSigningKey,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {
    this.jobs = new JobRepository(ds);
    this.datasets = new DatasetRepository(ds);
    this.scheduler = new SchedulerRepository(ds);
    this.reports = new AttestationRepository(ds);
    this.keys = new KeyBrokerRepository(ds);
  }

  jwks(): ReturnType<ServiceSigningKey['jwks']> {
    return this.key.jwks();
  }

  async signed(p: Principal, jobId: string): Promise<string> {
    const doc = await this.document(p, jobId);
    return new CompactSign(Buffer.from(canonicalJson(doc as never), 'utf8')).setProtectedHeader({ alg: SERVICE_SIGNING_ALG, kid: this.key.kid, typ: JOB_REPORT_TYPE }).sign(this.key.privateKey);
  }

  /**
   * The sealed model of a succeeded job, as stored: still encrypted under the output DEK that only the enterprise's
   * keyring unwraps, so downloading it discloses nothing. Any other job (or one without an output) is `job_not_found`.
   * The download is audited before the first byte goes out.
   */
  async sealedOutput(p: Principal, jobId: string): Promise<{ stream: Readable; bytes: number | null; filename: string; sha256: string | null }> {
    const job = await this.jobs.findForTenant(p.tenantId, jobId);
    if (!job || job.status !== 'succeeded') throw new JobError('job_not_found', 'No sealed output for this job (it exists once the job has succeeded).', 'id');
    const keys = jobBlobKeys(job.id, job.leaseEpoch);
    if (!(await this.blobs.exists(keys.model))) throw new JobError('job_not_found', 'No sealed output for this job (it exists once the job has succeeded).', 'id');
    const manifest = await readJson<OutputManifest>(this.blobs, keys.manifest);
    await this.ds.transaction((em) =>
      this.audit.append(em, {
        tenantId: job.tenantId,
        actor: auditActor(p),
        action: 'job.output_download',
        resource: { type: 'fine_tuning.job', id: job.id },
        outcome: 'success',
        details: { lease_epoch: job.leaseEpoch, output_sha256: manifest?.sha256 ?? null, bytes: manifest?.bytes ?? null, key_id: manifest?.key_id ?? null },
      }),
    );
    return { stream: await this.blobs.get(keys.model), bytes: manifest?.bytes ?? null, filename: `model-${job.id}.sealed`, sha256: manifest?.sha256 ?? null };
  }

  async document(p: Principal, jobId: string): Promise<Record<string, unknown>> {
    const job = await this.jobs.findForTenant(p.tenantId, jobId);
    if (!job) throw new JobError('job_not_found', 'No such job.', 'id');
    if (!['succeeded', 'failed', 'cancelled'].includes(job.status)) throw new JobError('job_not_cancellable', 'A provenance report exists once the job has finished.', 'id');
    const dataset = await this.datasets.findForTenant(job.tenantId, job.trainingFile);
    const findings = dataset ? await this.datasets.findPiiFindings(job.tenantId, dataset.id) : [];
    const piiTotals: Record<string, number> = {};
    for (const f of findings) piiTotals[f.entity] = (piiTotals[f.entity] ?? 0) + f.count;
    const leases = await this.scheduler.leasesOfJob(job.id);
    const attempts = [];
    for (const l of leases) {
      const node = await this.scheduler.findNode(l.nodeId);
      const manifest = await readJson<OutputManifest>(this.blobs, jobBlobKeys(job.id, l.epoch).manifest);
      const verification = await readJson<VerificationRecord>(this.blobs, jobBlobKeys(job.id, l.epoch).verification);
      attempts.push({
        lease_epoch: l.epoch,
        lease_state: l.state,
        node: node
          ? { id: node.id, name: node.name, provider: node.provider, region: node.region, tee_type: node.teeType, identity_jkt: node.identityJkt, attested_at_registration: node.attestationVerified, simulated: node.attestationSimulated, measurement: node.measurement }
          : { id: l.nodeId },
        output: manifest ? { sha256: manifest.sha256, bytes: manifest.bytes, model_sha256: manifest.model_sha256, format: manifest.format, sealed_to: { key_id: manifest.key_id, wrapped_by: manifest.format === FHE_LOGREG_WEIGHTS_FORMAT ? 'fhe-dataset-secret-key' : 'enterprise-kek' } } : null,
        verification,
      });
    }
    const reports = await this.reports.listReportsForJob(job.tenantId, job.id);
    const releases = await this.keys.listReleasesForJob(job.tenantId, job.id);
    const events = await this.jobs.listEvents(job.tenantId, job.id, { limit: 1000 });
    const finalMetrics = events.find((e) => e.type === 'metrics' && typeof e.data['validation_accuracy'] === 'number');
    const sec = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);
    return {
      type: 'confide.job_report.v1',
      issued_at: Math.floor(Date.now() / 1000),
      job: { id: job.id, tenant_id: job.tenantId, trainer: job.trainer, model: job.model, status: job.status, fine_tuned_model: job.fineTunedModel, created_at: sec(job.createdAt), finished_at: sec(job.finishedAt), privacy: job.privacy, verification: job.verification },
      dataset: dataset
        ? { id: dataset.id, content_sha256: dataset.contentSha256, records: dataset.validRecords, sealed_bytes: dataset.sealedBytes, protection: dataset.protection, policy: dataset.policy, operators: dataset.operators, pii_totals: piiTotals }
        : { id: job.trainingFile, deleted: true },
      attempts,
      attestation_reports: reports.map((r) => ({ id: r.id, lease_epoch: Number(r.leaseEpoch), status: r.status, tee_type: r.teeType, simulated: r.simulated, policy_id: r.policyId, policy_hash: r.policyHash, tee_key_thumbprint: r.teeKeyThumbprint, measurement: (r.claims as { measurement?: string } | null)?.measurement ?? null, created_at: sec(r.createdAt) })),
      key_releases: releases.map((r) => ({ id: r.id, key_id: r.keyId, report_id: r.reportId, lease_epoch: Number(r.leaseEpoch), tee_key_thumbprint: r.teeKeyThumbprint, released_at: sec(r.createdAt) })),
      metrics: finalMetrics ? { ...finalMetrics.data } : null,
    };
  }
}
