import { In, LessThan, type DataSource, type EntityManager } from 'typeorm';
import { DatasetUploadChunkEntity } from '../entities/dataset-upload-chunk.entity.js';
import { DatasetUploadEntity } from '../entities/dataset-upload.entity.js';

export type DatasetUploadRecord = Omit<DatasetUploadEntity, 'dataset'>;
export type DatasetUploadChunkRecord = Omit<DatasetUploadChunkEntity, 'upload'>;

/** Resumable uploads and their committed chunks; every read is scoped by tenant. */
export class DatasetUploadRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(em: EntityManager, row: DatasetUploadRecord): Promise<void> {
    // A copy: insert writes the columns' database defaults back into the object it is given, untransformed.
    await em.getRepository(DatasetUploadEntity).insert({ ...row });
  }

  findForTenant(tenantId: string, id: string): Promise<DatasetUploadRecord | null> {
    return this.ds.getRepository(DatasetUploadEntity).findOneBy({ tenantId, id });
  }

  findByIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<DatasetUploadRecord | null> {
    return this.ds.getRepository(DatasetUploadEntity).findOneBy({ tenantId, idempotencyKey });
  }

  /** The committed chunks in file order. */
  listChunks(uploadId: string): Promise<DatasetUploadChunkRecord[]> {
    return this.ds.getRepository(DatasetUploadChunkEntity).find({ where: { uploadId }, order: { index: 'ASC' } });
  }

  /**
   * Commits a stored chunk: the upload moves from `expectedOffset` (with `index` chunks) to `expectedOffset + bytes`
   * only if it is still staging at exactly that offset — a concurrent append of the same range, an abort or an expiry
   * makes this false and the caller deletes its blob. Call inside a transaction.
   */
  async commitChunk(em: EntityManager, tenantId: string, chunk: DatasetUploadChunkRecord): Promise<boolean> {
    const r = await em
      .getRepository(DatasetUploadEntity)
      .createQueryBuilder()
      .update()
      .set({ offset: () => `upload_offset + ${Number(chunk.bytes)}`, chunks: () => 'chunks + 1', updatedAt: chunk.createdAt })
      .where('id = :id AND tenant_id = :tenantId AND status = :status AND upload_offset = :offset AND chunks = :index', {
        id: chunk.uploadId,
        tenantId,
        status: 'staging',
        offset: chunk.offset,
        index: chunk.index,
      })
      .execute();
    if ((r.affected ?? 0) !== 1) return false;
    await em.getRepository(DatasetUploadChunkEntity).insert(chunk);
    return true;
  }

  /** Marks the upload completed with its dataset and forgets its chunk rows (their blobs are deleted after the commit). */
  async markCompleted(em: EntityManager, tenantId: string, id: string, datasetId: string): Promise<void> {
    await em.getRepository(DatasetUploadEntity).update({ tenantId, id }, { status: 'completed', datasetId, updatedAt: new Date() });
    await em.getRepository(DatasetUploadChunkEntity).delete({ uploadId: id });
  }

  /** Deletes the upload and (cascade) its chunk rows; true when it existed. */
  async deleteForTenant(em: EntityManager, tenantId: string, id: string): Promise<boolean> {
    const r = await em.getRepository(DatasetUploadEntity).delete({ tenantId, id });
    return (r.affected ?? 0) > 0;
  }

  /**
   * Deletes (cascade) up to `limit` staging uploads without activity since before `cutoff` and returns them. Rows are
   * locked as they are chosen and rows another sweeper holds are skipped. Call inside a transaction.
   */
  async deleteExpired(em: EntityManager, cutoff: Date, limit: number): Promise<Array<Pick<DatasetUploadRecord, 'id' | 'tenantId' | 'offset' | 'chunks'>>> {
    const rows = await em
      .getRepository(DatasetUploadEntity)
      .find({ select: { id: true, tenantId: true, offset: true, chunks: true }, where: { status: 'staging', updatedAt: LessThan(cutoff) }, order: { updatedAt: 'ASC' }, take: limit, lock: { mode: 'pessimistic_write', onLocked: 'skip_locked' } });
    if (rows.length > 0) await em.getRepository(DatasetUploadEntity).delete({ id: In(rows.map((r) => r.id)) });
    return rows.map((r) => ({ id: r.id, tenantId: r.tenantId, offset: r.offset, chunks: r.chunks }));
  }
}
