import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '@confide/audit';
import { JobError, SchedulerError, type Principal } from '@confide/domain';
import { Keyring, wrappedDekToString, type BlobStore } from '@confide/envelope';
import { encryptDekForTee, normaliseTeePublicJwk, teeKeyThumbprint } from '@confide/keybroker';
import { DatasetRepository, JobRepository, KeyBrokerRepository, SchedulerLeaseAuthority, type JobRecord } from '@confide/persistence';
import { DataSource } from 'typeorm';
import { JOB_BLOBS, jobBlobKeys, outputBinding, outputKeyId, putHashed, readJson, type OutputManifest } from './job-artifacts.js';

/** Largest sealed output an attempt may upload. */
export const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

export interface LeaseInputs {
  readonly object: 'fine_tuning.job.inputs';
  readonly job_id: string;
  readonly lease_epoch: number;
  readonly training_file: { readonly dataset_id: string; readonly key_id: string; readonly format: string | null; readonly sealed_bytes: number; readonly records: number };
}

/**
 * What a node holding a job's current lease fetches and returns: the sealed training file (ciphertext only; the key
 * comes from the key broker after attestation), a fresh output key as a JWE to the same TEE key the dataset key was
 * released to, and the sealed output. Every call is fenced by the scheduler's lease (holder, epoch, liveness,
 * cancellation); a refusal is `lease_fenced`.
 */
@Injectable()
export class NodeArtifactsService {
  private readonly jobs: JobRepository;
  private readonly datasets: DatasetRepository;
  private readonly keys: KeyBrokerRepository;
  private readonly leases: SchedulerLeaseAuthority;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(Keyring) private readonly keyring: Keyring,
    @Inject(JOB_BLOBS) private readonly blobs: BlobStore,
  ) {
    this.jobs = new JobRepository(ds);
    this.datasets = new DatasetRepository(ds);
    this.keys = new KeyBrokerRepository(ds);
    this.leases = new SchedulerLeaseAuthority(ds);
  }

  async inputs(p: Principal, jobId: string, epoch: number): Promise<LeaseInputs> {
    const job = await this.holder(p, jobId, epoch);
    const dataset = await this.datasets.findForTenant(job.tenantId, job.trainingFile);
    const key = await this.keys.findKeyForDataset(job.tenantId, job.trainingFile);
    if (!dataset || !dataset.blobKey || !key) throw new JobError('dataset_not_ready', 'The training file is not available to this job.', 'training_file');
    return {
      object: 'fine_tuning.job.inputs',
      job_id: job.id,
      lease_epoch: epoch,
      training_file: { dataset_id: dataset.id, key_id: key.id, format: dataset.format, sealed_bytes: dataset.sealedBytes ?? 0, records: dataset.validRecords },
    };
  }

  async trainingFile(p: Principal, jobId: string, epoch: number): Promise<Readable> {
    const job = await this.holder(p, jobId, epoch);
    const dataset = await this.datasets.findForTenant(job.tenantId, job.trainingFile);
    if (!dataset?.blobKey) throw new JobError('dataset_not_ready', 'The training file is not available to this job.', 'training_file');
    return this.blobs.get(dataset.blobKey);
  }

  /**
   * A fresh output DEK for this attempt, stored only wrapped by the enterprise KEK next to where the output will
   * go, and handed to the enclave as a JWE to the TEE key the dataset key was released to for this epoch (so only
   * the attested enclave can seal the output, and only the enterprise can open it afterwards).
   */
  async outputKey(p: Principal, jobId: string, epoch: number, teePublicJwk: unknown): Promise<{ key_id: string; jwe: string }> {
    const job = await this.holder(p, jobId, epoch);
    const teeKey = await normaliseTeePublicJwk(teePublicJwk);
    const jkt = await teeKeyThumbprint(teeKey);
    const release = (await this.keys.listReleasesForJob(job.tenantId, jobId)).find((r) => r.leaseEpoch === epoch && r.teeKeyThumbprint === jkt);
    if (!release) throw new SchedulerError('node_key_mismatch', 'The output key goes only to the attested key the training data was released to.');
    const keys = jobBlobKeys(jobId, epoch);
    const binding = outputBinding(job.tenantId, jobId);
    const { dek, wrapped } = await this.keyring.generateDek(binding, { keyId: outputKeyId(jobId, epoch) });
    try {
      await this.blobs.put(keys.outputDek, [Buffer.from(wrappedDekToString(wrapped), 'utf8')]);
      const bytes = dek.exportBytes();
      try {
        const jwe = await encryptDekForTee(bytes, teeKey, { keyId: dek.keyId, keyVersion: dek.version, datasetId: binding.datasetId, reportId: release.reportId });
        await this.ds.transaction((em) =>
          this.audit.append(em, {
            tenantId: job.tenantId,
            actor: { type: 'node', id: p.subject },
            action: 'job.output_key_issue',
            resource: { type: 'fine_tuning.job', id: jobId },
            outcome: 'success',
            details: { lease_epoch: epoch, key_id: dek.keyId, tee_key_thumbprint: jkt, report_id: release.reportId },
          }),
        );
        return { key_id: dek.keyId, jwe };
      } finally {
        bytes.fill(0);
      }
    } finally {
      dek.destroy();
    }
  }

  /** Stores the sealed output (hashing it on the way); the manifest records its digest for verification and the report. */
  async uploadOutput(p: Principal, jobId: string, epoch: number, body: Readable, meta: { format: string; modelSha256: string }): Promise<OutputManifest> {
    const job = await this.holder(p, jobId, epoch);
    const keys = jobBlobKeys(jobId, epoch);
    if (!(await this.blobs.exists(keys.outputDek))) throw new SchedulerError('node_key_mismatch', 'Ask for the output key before uploading an output.');
    const put = await putHashed(this.blobs, keys.model, body, MAX_OUTPUT_BYTES);
    const manifest: OutputManifest = { lease_epoch: epoch, sha256: put.sha256, bytes: put.bytes, key_id: outputKeyId(jobId, epoch), format: meta.format, model_sha256: meta.modelSha256, uploaded_by: p.subject };
    await this.blobs.put(keys.manifest, [Buffer.from(JSON.stringify(manifest), 'utf8')]);
    await this.ds.transaction(async (em) => {
      const locked = await this.jobs.lock(em, jobId);
      if (locked) await this.jobs.appendEvent(em, locked, { level: 'info', type: 'message', message: 'Sealed output received', data: { lease_epoch: epoch, output_sha256: manifest.sha256, bytes: manifest.bytes } });
      await this.audit.append(em, {
        tenantId: job.tenantId,
        actor: { type: 'node', id: p.subject },
        action: 'job.output_upload',
        resource: { type: 'fine_tuning.job', id: jobId },
        outcome: 'success',
        details: { lease_epoch: epoch, output_sha256: manifest.sha256, bytes: manifest.bytes },
      });
    });
    return manifest;
  }

  manifest(jobId: string, epoch: number): Promise<OutputManifest | null> {
    return readJson<OutputManifest>(this.blobs, jobBlobKeys(jobId, epoch).manifest);
  }

  /** The job, if the caller's node holds its lease at `epoch`, live and not cancelled. */
  private async holder(p: Principal, jobId: string, epoch: number): Promise<JobRecord> {
    const job = await this.jobs.findById(jobId);
    if (!job) throw new JobError('job_not_found', 'No such job.', 'id');
    const verdict = await this.leases.checkLease({ tenantId: p.tenantId, jobId, leaseEpoch: epoch, nodeId: p.subject }, this.ds.manager);
    if (!verdict.ok) throw new SchedulerError('lease_fenced', 'This lease is no longer current: stop work and discard plaintext.', undefined, verdict.reason);
    return job;
  }
}
