import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DatasetEntity } from './dataset.entity.js';
import { bigintNumber, bytes } from './transformers.js';

/**
 * A resumable dataset upload (`/v1/uploads`): the client declares the size, appends chunks at the committed offset,
 * and the staged bytes become a dataset through the same pipeline as `POST /v1/datasets`. `staging` while chunks
 * arrive; `completed` once the dataset exists (`dataset_id`, ready or invalid). The create options (file name,
 * protection operators, FHE fields) are stored only sealed under the upload's own key (`options_sealed`), which is
 * stored only KEK-wrapped (`wrapped_key`); the staged bytes live sealed in the blob store (DatasetUploadChunkEntity).
 */
@Entity({ schema: 'enterprise', name: 'dataset_uploads' })
@Index('ux_dataset_uploads_tenant_idempotency_key', ['tenantId', 'idempotencyKey'], { unique: true })
@Index('ix_dataset_uploads_status_updated', ['status', 'updatedAt'])
export class DatasetUploadEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_dataset_uploads' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'status', type: 'text' })
  status!: 'staging' | 'completed';

  @Column({ name: 'protection', type: 'text' })
  protection!: 'tee' | 'fhe';

  /** Declared size of the whole file. */
  @Column({ name: 'declared_bytes', type: 'bigint', transformer: bigintNumber })
  declaredBytes!: number;

  /** Bytes durably staged (sealed chunks stored and recorded); the next chunk must start here. */
  @Column({ name: 'upload_offset', type: 'bigint', transformer: bigintNumber, default: 0 })
  offset!: number;

  @Column({ name: 'chunks', type: 'integer', default: 0 })
  chunks!: number;

  /** Declared SHA-256 of the whole file (hex), checked before the dataset is created; optional. */
  @Column({ name: 'content_sha256', type: 'text', nullable: true })
  contentSha256!: string | null;

  @Column({ name: 'options_sealed', type: 'bytea', transformer: bytes })
  optionsSealed!: Buffer;

  /** `cfwd1.` text form of the upload's DEK, wrapped by the KEK and bound to (tenant, `upload:<id>`). */
  @Column({ name: 'wrapped_key', type: 'text' })
  wrappedKey!: string;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  /** Hash of the create request, to tell a retry of it from another request with the same Idempotency-Key. */
  @Column({ name: 'request_sha256', type: 'text' })
  requestSha256!: string;

  @ManyToOne(() => DatasetEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'dataset_id', foreignKeyConstraintName: 'fk_dataset_uploads_dataset' })
  dataset?: DatasetEntity;

  @Column({ name: 'dataset_id', type: 'uuid', nullable: true })
  datasetId!: string | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
