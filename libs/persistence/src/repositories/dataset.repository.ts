import { randomUUID } from 'node:crypto';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { DatasetCanaryEntity } from '../entities/dataset-canary.entity.js';
import { DatasetPiiFindingEntity } from '../entities/dataset-pii-finding.entity.js';
import { DatasetValidationReportEntity } from '../entities/dataset-validation-report.entity.js';
import { DatasetWrappedKeyEntity } from '../entities/dataset-wrapped-key.entity.js';
import { DatasetEntity } from '../entities/dataset.entity.js';

export type DatasetStatus = DatasetEntity['status'];
export type DatasetRecord = Omit<DatasetEntity, never>;
export type DatasetKeyPurpose = DatasetWrappedKeyEntity['purpose'];

export interface WrappedDatasetKey {
  readonly purpose: DatasetKeyPurpose;
  readonly keyId: string;
  readonly keyVersion: number;
  readonly kekId: string;
  readonly kekVersion: number;
  /** `cfwd1.` text form. */
  readonly wrapped: string;
}

export interface PiiFindingRecord {
  readonly field: string;
  readonly entity: string;
  readonly count: number;
  readonly records: number;
  readonly maxScore: number;
  readonly meanScore: number;
  readonly maskedSample: string;
  readonly sampleHash: string;
  readonly operator: string;
}

export interface CanaryRecord {
  readonly trigger: string;
  readonly label: string;
  readonly afterRecord: number;
  /** Chance of a right answer by luck, as planned; null for canaries stored before it was kept. */
  readonly chance: number | null;
}

export interface DatasetOutcome {
  readonly status: 'ready' | 'invalid';
  readonly format: string | null;
  readonly contentSha256: string;
  readonly bytes: number;
  readonly records: number;
  readonly validRecords: number;
  readonly skippedRecords: number;
  readonly blobKey: string | null;
  readonly sealedBytes: number | null;
  readonly report: { ok: boolean; body: Record<string, unknown> };
  readonly findings: readonly PiiFindingRecord[];
  readonly canaries: readonly CanaryRecord[];
}

/** Datasets and what belongs to them; every read is scoped by tenant. */
export class DatasetRepository {
  constructor(private readonly ds: DataSource) {}

  async insertProcessing(em: EntityManager, row: DatasetRecord, keys: readonly WrappedDatasetKey[]): Promise<void> {
    await em.getRepository(DatasetEntity).insert(row);
    if (keys.length > 0) {
      await em.getRepository(DatasetWrappedKeyEntity).insert(keys.map((k) => ({ ...k, datasetId: row.id, tenantId: row.tenantId, createdAt: row.createdAt })));
    }
  }

  /** Records the final state with its report, findings and canaries; an invalid dataset keeps no keys. */
  async complete(em: EntityManager, tenantId: string, id: string, o: DatasetOutcome): Promise<void> {
    await em.getRepository(DatasetEntity).update(
      { id, tenantId },
      {
        status: o.status,
        format: o.format,
        contentSha256: o.contentSha256,
        bytes: o.bytes,
        records: o.records,
        validRecords: o.validRecords,
        skippedRecords: o.skippedRecords,
        blobKey: o.blobKey,
        sealedBytes: o.sealedBytes,
        updatedAt: new Date(),
      },
    );
    await em.getRepository(DatasetValidationReportEntity).save(em.getRepository(DatasetValidationReportEntity).create({ datasetId: id, tenantId, ok: o.report.ok, report: o.report.body }));
    if (o.findings.length > 0) {
      await em.getRepository(DatasetPiiFindingEntity).insert(o.findings.map((f) => ({ ...f, id: randomUUID(), datasetId: id, tenantId })));
    }
    if (o.canaries.length > 0) {
      await em.getRepository(DatasetCanaryEntity).insert(o.canaries.map((c) => ({ ...c, id: randomUUID(), datasetId: id, tenantId })));
    }
    if (o.status === 'invalid') await em.getRepository(DatasetWrappedKeyEntity).delete({ datasetId: id, tenantId });
  }

  /** Upload heartbeat: a `processing` row's updated_at moves while its upload streams (see deleteAbandoned). */
  async touchProcessing(tenantId: string, id: string): Promise<void> {
    await this.ds.getRepository(DatasetEntity).update({ id, tenantId, status: 'processing' }, { updatedAt: new Date() });
  }

  /**
   * Deletes (cascade) up to `limit` rows still `processing` whose heartbeat stopped before `cutoff` — uploads whose
   * process died — and returns them. The rows are locked as they are chosen (a heartbeat racing the sweep waits, then
   * finds no row), and rows another sweeper holds are skipped. Call inside a transaction.
   */
  async deleteAbandoned(em: EntityManager, cutoff: Date, limit: number): Promise<Array<Pick<DatasetRecord, 'id' | 'tenantId' | 'protection'>>> {
    const rows = await em
      .getRepository(DatasetEntity)
      .createQueryBuilder('d')
      .select(['d.id', 'd.tenantId', 'd.protection'])
      .where(`d.status = 'processing'`)
      .andWhere('d.updated_at < :cutoff', { cutoff })
      .orderBy('d.updated_at', 'ASC')
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
    if (rows.length > 0) await em.getRepository(DatasetEntity).delete({ id: In(rows.map((r) => r.id)) });
    return rows.map((r) => ({ id: r.id, tenantId: r.tenantId, protection: r.protection }));
  }

  /** Removes a dataset and (cascade) its report, findings, keys and canaries. True when a row was deleted. */
  async deleteForTenant(em: EntityManager, tenantId: string, id: string): Promise<boolean> {
    const r = await em.getRepository(DatasetEntity).delete({ id, tenantId });
    return (r.affected ?? 0) > 0;
  }

  findForTenant(tenantId: string, id: string): Promise<DatasetRecord | null> {
    return this.ds.getRepository(DatasetEntity).findOneBy({ id, tenantId });
  }

  lockForTenant(em: EntityManager, tenantId: string, id: string): Promise<DatasetRecord | null> {
    return em.getRepository(DatasetEntity).findOne({ where: { id, tenantId }, lock: { mode: 'pessimistic_write' } });
  }

  findByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<DatasetRecord | null> {
    return this.ds.getRepository(DatasetEntity).findOneBy({ tenantId, idempotencyKey });
  }

  /** Newest first, keyset-paginated by (created_at, id). */
  async listForTenant(tenantId: string, o: { limit: number; status?: DatasetStatus; before?: { createdAt: Date; id: string } }): Promise<DatasetRecord[]> {
    const q = this.ds
      .getRepository(DatasetEntity)
      .createQueryBuilder('d')
      .where('d.tenant_id = :tenantId', { tenantId })
      .orderBy('d.created_at', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .limit(o.limit);
    if (o.status) q.andWhere('d.status = :status', { status: o.status });
    if (o.before) q.andWhere('(d.created_at, d.id) < (:at, :id)', { at: o.before.createdAt, id: o.before.id });
    return q.getMany();
  }

  async findReport(tenantId: string, datasetId: string): Promise<Record<string, unknown> | null> {
    const r = await this.ds.getRepository(DatasetValidationReportEntity).findOneBy({ tenantId, datasetId });
    return r?.report ?? null;
  }

  async findPiiFindings(tenantId: string, datasetId: string): Promise<PiiFindingRecord[]> {
    const rows = await this.ds.getRepository(DatasetPiiFindingEntity).find({ where: { tenantId, datasetId }, order: { field: 'ASC', entity: 'ASC' } });
    return rows.map(({ field, entity, count, records, maxScore, meanScore, maskedSample, sampleHash, operator }) => ({
      field,
      entity,
      count,
      records,
      maxScore,
      meanScore,
      maskedSample,
      sampleHash,
      operator,
    }));
  }

  async findCanaries(tenantId: string, datasetId: string): Promise<CanaryRecord[]> {
    const rows = await this.ds.getRepository(DatasetCanaryEntity).find({ where: { tenantId, datasetId }, order: { afterRecord: 'ASC' } });
    return rows.map(({ trigger, label, afterRecord, chance }) => ({ trigger, label, afterRecord, chance }));
  }

  /** The wrapped DEK of a dataset's sealed blob (for the key broker), or null. */
  findWrappedDek(tenantId: string, datasetId: string): Promise<WrappedDatasetKey | null> {
    return this.findWrappedKey(tenantId, datasetId, 'seal');
  }

  async findWrappedKey(tenantId: string, datasetId: string, purpose: DatasetKeyPurpose): Promise<WrappedDatasetKey | null> {
    const k = await this.ds.getRepository(DatasetWrappedKeyEntity).findOneBy({ tenantId, datasetId, purpose });
    return k ? { purpose: k.purpose, keyId: k.keyId, keyVersion: k.keyVersion, kekId: k.kekId, kekVersion: k.kekVersion, wrapped: k.wrapped } : null;
  }
}
