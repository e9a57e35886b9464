import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './transformers.js';

/**
 * A dataset of one tenant. `processing` while its upload streams; then `ready` (sealed blob stored) or `invalid`
 * (validation report only, no blob). A failed upload leaves no row behind.
 */
@Entity({ schema: 'enterprise', name: 'datasets' })
@Index('ix_datasets_tenant_created', ['tenantId', 'createdAt'])
@Index('ux_datasets_tenant_idempotency_key', ['tenantId', 'idempotencyKey'], { unique: true })
export class DatasetEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_datasets' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'name', type: 'text' })
  name!: string;

  @Column({ name: 'status', type: 'text' })
  status!: 'processing' | 'ready' | 'invalid';

  @Column({ name: 'format', type: 'text', nullable: true })
  format!: string | null;

  @Column({ name: 'protection', type: 'text' })
  protection!: 'tee' | 'fhe';

  @Column({ name: 'policy', type: 'text' })
  policy!: string;

  /** Operator per entity, as applied. */
  @Column({ name: 'operators', type: 'jsonb' })
  operators!: Record<string, string>;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  /** SHA-256 of the uploaded bytes, for idempotent restarts; set once the upload was read. */
  @Column({ name: 'content_sha256', type: 'text', nullable: true })
  contentSha256!: string | null;

  @Column({ name: 'bytes', type: 'bigint', transformer: bigintNumber, default: 0 })
  bytes!: number;

  @Column({ name: 'records', type: 'integer', default: 0 })
  records!: number;

  @Column({ name: 'valid_records', type: 'integer', default: 0 })
  validRecords!: number;

  @Column({ name: 'skipped_records', type: 'integer', default: 0 })
  skippedRecords!: number;

  @Column({ name: 'blob_key', type: 'text', nullable: true })
  blobKey!: string | null;

  @Column({ name: 'sealed_bytes', type: 'bigint', transformer: bigintNumber, nullable: true })
  sealedBytes!: number | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
