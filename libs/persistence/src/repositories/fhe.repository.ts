import type { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { FheDatasetEntity } from '../entities/fhe-dataset.entity.js';
import { FheJobEntity } from '../entities/fhe-job.entity.js';
import { FineTuningJobEntity } from '../entities/fine-tuning-job.entity.js';

export type FheDatasetRecord = Omit<FheDatasetEntity, 'dataset'>;
/** What nodes may learn about an FHE dataset: no feature definition, label, holdout or key material. */
export type FhePublicDatasetRecord = Pick<FheDatasetEntity, 'datasetId' | 'tenantId' | 'parameters' | 'layout' | 'ciphertextsBlobKey' | 'ciphertextsBytes' | 'bundleBlobKey' | 'bundleBytes'>;
export type FheJobRecord = Omit<FheJobEntity, 'job'>;

/** The fine-tuning job fields the FHE coordination needs, read by id (the node may belong to another tenant). */
export interface FheJobTarget {
  readonly id: string;
  readonly tenantId: string;
  readonly trainer: string;
  readonly trainingFile: string;
  readonly status: string;
  readonly privacy: Record<string, unknown>;
  readonly hyperparameters: Record<string, unknown>;
  readonly verification: Record<string, unknown>;
}

const PUBLIC_COLUMNS = { datasetId: true, tenantId: true, parameters: true, layout: true, ciphertextsBlobKey: true, ciphertextsBytes: true, bundleBlobKey: true, bundleBytes: true } as const;

/** FHE datasets' material and FHE jobs' iteration state; dataset reads are tenant-scoped. */
export class FheRepository {
  constructor(private readonly ds: DataSource) {}

  async insertDataset(em: EntityManager, row: FheDatasetRecord): Promise<void> {
    await em.getRepository(FheDatasetEntity).insert(row as QueryDeepPartialEntity<FheDatasetEntity>);
  }

  /** Everything, including the sealed secret key: for the enterprise's own refresh and evaluation only. */
  findDatasetWithSecrets(tenantId: string, datasetId: string): Promise<FheDatasetRecord | null> {
    return this.ds.getRepository(FheDatasetEntity).findOneBy({ tenantId, datasetId });
  }

  findPublicDataset(tenantId: string, datasetId: string): Promise<FhePublicDatasetRecord | null> {
    return this.ds.getRepository(FheDatasetEntity).findOne({ where: { tenantId, datasetId }, select: PUBLIC_COLUMNS });
  }

  async findJobTarget(jobId: string): Promise<FheJobTarget | null> {
    const j = await this.ds.getRepository(FineTuningJobEntity).findOne({
      where: { id: jobId },
      select: { id: true, tenantId: true, trainer: true, trainingFile: true, status: true, privacy: true, hyperparameters: true, verification: true },
    });
    return j ? { id: j.id, tenantId: j.tenantId, trainer: j.trainer, trainingFile: j.trainingFile, status: j.status, privacy: j.privacy, hyperparameters: j.hyperparameters, verification: j.verification } : null;
  }

  findJob(tenantId: string, jobId: string): Promise<FheJobRecord | null> {
    return this.ds.getRepository(FheJobEntity).findOneBy({ tenantId, jobId });
  }

  lockJob(em: EntityManager, jobId: string): Promise<FheJobRecord | null> {
    return em.getRepository(FheJobEntity).findOne({ where: { jobId }, lock: { mode: 'pessimistic_write' } });
  }

  /** Inserts the job's iteration state unless it exists (a resumed job keeps its progress). */
  async ensureJob(em: EntityManager, row: FheJobRecord): Promise<void> {
    await em.createQueryBuilder().insert().into(FheJobEntity).values(row as QueryDeepPartialEntity<FheJobEntity>).orIgnore().execute();
  }

  async updateJob(em: EntityManager, jobId: string, patch: Partial<Pick<FheJobRecord, 'completedIterations' | 'leaseEpoch' | 'weights' | 'state' | 'holdoutAccuracy' | 'baselineAccuracy' | 'outputSha256' | 'replaySalt'>>): Promise<void> {
    await em.getRepository(FheJobEntity).update({ jobId }, { ...patch, updatedAt: new Date() });
  }
}
