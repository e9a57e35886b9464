import type { DataSource, EntityManager } from 'typeorm';
import { DatasetKeyEntity } from '../entities/dataset-key.entity.js';
import { KeyReleaseEntity } from '../entities/key-release.entity.js';

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

  /** A key of `tenantId`; another tenant's key is indistinguishable from a missing one. */
  findKey(tenantId: string, id: string, em?: EntityManager): Promise<DatasetKeyRecord | null> {
    return (em ?? this.ds.manager).getRepository(DatasetKeyEntity).findOneBy({ tenantId, id }) as Promise<DatasetKeyRecord | null>;
  }

  /** One INSERT … RETURNING created_at (no existence check, no re-read): the id is fresh, a duplicate is an error. */
  async recordRelease(em: EntityManager, release: Omit<KeyReleaseRecord, 'createdAt'>): Promise<KeyReleaseRecord> {
    const result = await em.getRepository(KeyReleaseEntity).insert({ ...release });
    const createdAt = (result.generatedMaps[0] as { createdAt?: Date } | undefined)?.createdAt;
    return { ...release, createdAt: createdAt instanceof Date ? createdAt : new Date(String(createdAt)) };
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
