import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DatasetUploadEntity } from './dataset-upload.entity.js';
import { bigintNumber } from './transformers.js';

/**
 * One committed chunk of a resumable upload: bytes [offset, offset + bytes) of the file, sealed under the upload's
 * key with a context binding tenant, upload id, chunk index and offset, stored at `blob_key`. A row exists only
 * once its blob was stored whole.
 */
@Entity({ schema: 'enterprise', name: 'dataset_upload_chunks' })
export class DatasetUploadChunkEntity {
  @PrimaryColumn({ name: 'upload_id', type: 'uuid', primaryKeyConstraintName: 'pk_dataset_upload_chunks' })
  uploadId!: string;

  @PrimaryColumn({ name: 'chunk_index', type: 'integer', primaryKeyConstraintName: 'pk_dataset_upload_chunks' })
  index!: number;

  @ManyToOne(() => DatasetUploadEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'upload_id', foreignKeyConstraintName: 'fk_dataset_upload_chunks_upload' })
  upload?: DatasetUploadEntity;

  @Column({ name: 'chunk_offset', type: 'bigint', transformer: bigintNumber })
  offset!: number;

  @Column({ name: 'bytes', type: 'bigint', transformer: bigintNumber })
  bytes!: number;

  @Column({ name: 'blob_key', type: 'text' })
  blobKey!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
