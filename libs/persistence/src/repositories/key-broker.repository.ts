import type { DataSource, EntityManager } from 'typeorm';
import { DatasetKeyEntity } from '../entities/dataset-key.entity.js';
import { KeyReleaseEntity } from '../entities/key-release.entity.js';
import { rowsOf } from './query-rows.js';

export interface DatasetKeyRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly datasetId: string;
  readonly keyVersion: number;
  /** `cfwd1.` text form of the KEK-wrapped DEK; never the plaintext. */
  readonly wrappedDek: string;
  readonly kekId: string;
  readonly kekVersion: number;
  readonly releasePolicy: Record<string, unknown>;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface KeyReleaseRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly keyId: string;
  readonly reportId: string;
  readonly jobId: string;
  readonly leaseEpoch: number;
  readonly teeKeyThumbprint: string;
  readonly releasedTo: string;
  readonly createdAt: Date;
}

/** Dataset keys (wrapped DEKs + release policies) and the record of every release. */
export class KeyBrokerRepository {
  constructor(private readonly ds: DataSource) {}

  async insertKey(em: EntityManager, key: Omit<DatasetKeyRecord, 'createdAt' | 'updatedAt'>): Promise<DatasetKeyRecord> {
    const repo = em.getRepository(DatasetKeyEntity);
    await repo.save(Object.assign(new DatasetKeyEntity(), key));
    return (await repo.findOneByOrFail({ id: key.id })) as DatasetKeyRecord;
  }

  /**
   * A key of `tenantId`; another tenant's key is indistinguishable from a missing one. Plain SQL: every key release
   * reads its key, and TypeORM's query building costs more than the query.
   */
  async findKey(tenantId: string, id: string, em?: EntityManager): Promise<DatasetKeyRecord | null> {
    const rows = rowsOf(await (em ?? this.ds.manager).query(
      `SELECT id, tenant_id, dataset_id, key_version, wrapped_dek, kek_id, kek_version, release_policy, created_by, created_at, updated_at
         FROM attestation.dataset_keys WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    )) as Array<Record<string, unknown>>;
    const r = rows[0];
    if (!r) return null;
    return {
      id: String(r.id),
      tenantId: String(r.tenant_id),
      datasetId: String(r.dataset_id),
      keyVersion: Number(r.key_version),
      wrappedDek: String(r.wrapped_dek),
      kekId: String(r.kek_id),
      kekVersion: Number(r.kek_version),
      releasePolicy: (typeof r.release_policy === 'string' ? JSON.parse(r.release_policy) : r.release_policy) as Record<string, unknown>,
      createdBy: String(r.created_by),
      createdAt: new Date(r.created_at as string | Date),
      updatedAt: new Date(r.updated_at as string | Date),
    };
  }

  /** One INSERT … RETURNING created_at (no existence check, no re-read): the id is fresh, a duplicate is an error. */
  async recordRelease(em: EntityManager, release: Omit<KeyReleaseRecord, 'createdAt'>): Promise<KeyReleaseRecord> {
    const rows = rowsOf(await em.query(
      `INSERT INTO attestation.key_releases (id, tenant_id, key_id, report_id, job_id, lease_epoch, tee_key_thumbprint, released_to)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING created_at`,
      [release.id, release.tenantId, release.keyId, release.reportId, release.jobId, release.leaseEpoch, release.teeKeyThumbprint, release.releasedTo],
    )) as Array<{ created_at: Date | string }>;
    return { ...release, createdAt: new Date(rows[0]!.created_at) };
  }

  /** Releases of one key (tests, auditors), oldest first. */
  listReleases(tenantId: string, keyId: string): Promise<KeyReleaseRecord[]> {
    return this.ds.getRepository(KeyReleaseEntity).find({ where: { tenantId, keyId }, order: { createdAt: 'ASC' } }) as Promise<KeyReleaseRecord[]>;
  }

  /** The newest seal key registered for a dataset (the datasets flow registers one per dataset). */
  findKeyForDataset(tenantId: string, datasetId: string): Promise<DatasetKeyRecord | null> {
    return this.ds.getRepository(DatasetKeyEntity).findOne({ where: { tenantId, datasetId }, order: { createdAt: 'DESC' } }) as Promise<DatasetKeyRecord | null>;
  }

  /** Every release made for one job, oldest first (provenance, the output key's recipient check). */
  listReleasesForJob(tenantId: string, jobId: string): Promise<KeyReleaseRecord[]> {
    return this.ds.getRepository(KeyReleaseEntity).find({ where: { tenantId, jobId }, order: { createdAt: 'ASC' } }) as Promise<KeyReleaseRecord[]>;
  }

  countReleases(tenantId: string): Promise<number> {
    return this.ds.getRepository(KeyReleaseEntity).countBy({ tenantId });
  }
}
