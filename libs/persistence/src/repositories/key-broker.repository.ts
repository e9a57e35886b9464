import type { DataSource, EntityManager } from 'typeorm';
import { DatasetKeyEntity } from '../entities/dataset-key.entity.js';
import { KeyReleaseEntity } from '../entities/key-release.entity.js';
import { rowsOf } from './query-rows.js';
import { PreparedStatements } from './prepared-statements.js';
import type { RowInsert } from './row-insert.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY_COLUMNS = 'id, tenant_id, dataset_id, key_version, wrapped_dek, kek_id, kek_version, release_policy, created_by, created_at, updated_at';

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

/** The part of an attestation report a key release checks. */
export interface ReleaseReport {
  readonly status: string;
  readonly teePublicJwk: Record<string, unknown>;
  readonly teeKeyThumbprint: string;
}

function keyFromRow(r: Record<string, unknown>): DatasetKeyRecord {
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

/** Dataset keys (wrapped DEKs + release policies) and the record of every release. */
export class KeyBrokerRepository {
  private readonly prepared: PreparedStatements;
  constructor(private readonly ds: DataSource) {
    this.prepared = new PreparedStatements(ds);
  }

  async insertKey(em: EntityManager, key: Omit<DatasetKeyRecord, 'createdAt' | 'updatedAt'>): Promise<DatasetKeyRecord> {
    const repo = em.getRepository(DatasetKeyEntity);
    await repo.save(Object.assign(new DatasetKeyEntity(), key));
    return (await repo.findOneByOrFail({ id: key.id })) as DatasetKeyRecord;
  }

  /** A key of `tenantId`; another tenant's key is indistinguishable from a missing one. */
  async findKey(tenantId: string, id: string, em?: EntityManager): Promise<DatasetKeyRecord | null> {
    const rows = rowsOf(await (em ?? this.ds.manager).query(`SELECT ${KEY_COLUMNS} FROM attestation.dataset_keys WHERE tenant_id = $1 AND id = $2`, [tenantId, id])) as Array<
      Record<string, unknown>
    >;
    return rows[0] ? keyFromRow(rows[0]) : null;
  }

  /**
   * What a key release reads, in one round trip: the tenant's key (null if `keyId` is unknown or not a UUID) and the
   * attestation report the result names, reduced to what the release checks (never its raw evidence). One prepared
   * statement: TypeORM's query building and Postgres's planning cost more than the query.
   */
  async findForRelease(tenantId: string, keyId: string, reportId: string): Promise<{ key: DatasetKeyRecord | null; report: ReleaseReport | null }> {
    const uuid = (v: string): string | null => (UUID.test(v) ? v : null);
    const rows = await this.prepared.query<{ key: unknown; report: unknown }>(
      `SELECT (SELECT row_to_json(k) FROM (SELECT ${KEY_COLUMNS} FROM attestation.dataset_keys WHERE tenant_id = $1 AND id = $2::uuid) k) AS key,
              (SELECT row_to_json(r) FROM (SELECT status, tee_public_jwk, tee_key_thumbprint FROM attestation.reports WHERE tenant_id = $1 AND id = $3::uuid) r) AS report`,
      [tenantId, uuid(keyId), uuid(reportId)],
    );
    const json = (v: unknown): Record<string, unknown> | null => (v === null || v === undefined ? null : ((typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>));
    const key = json(rows[0]?.key);
    const report = json(rows[0]?.report);
    return {
      key: key ? keyFromRow(key) : null,
      report: report
        ? { status: String(report.status), teePublicJwk: json(report.tee_public_jwk) ?? {}, teeKeyThumbprint: String(report.tee_key_thumbprint) }
        : null,
    };
  }

  /**
   * A release record as a row to insert (`RowInsert`): the release is written by the statement that also checks the
   * lease and queues its audit record (`SchedulerRepository.commitIfLeaseHeld`), so a release exists only if the
   * lease held when it was recorded.
   */
  static releaseInsert(release: Omit<KeyReleaseRecord, 'createdAt'>): RowInsert {
    return {
      table: 'attestation.key_releases',
      columns: ['id', 'tenant_id', 'key_id', 'report_id', 'job_id', 'lease_epoch', 'tee_key_thumbprint', 'released_to'],
      values: [release.id, release.tenantId, release.keyId, release.reportId, release.jobId, release.leaseEpoch, release.teeKeyThumbprint, release.releasedTo],
    };
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
