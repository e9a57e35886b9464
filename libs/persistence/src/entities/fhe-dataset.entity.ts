import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { DatasetEntity } from './dataset.entity.js';
import { bytes } from './transformers.js';

/**
 * The FHE material of a `protection = fhe` dataset. Public to nodes: parameters, layout, the public-bundle and
 * ciphertext blobs. Enterprise-only: the feature definition (with the fitted scaler), the label mapping, the sealed
 * holdout blob and the CKKS secret key, stored only sealed under a DEK that is itself wrapped by the KEK
 * (`dataset_keys` purpose `fhe_secret`, bound to tenant + dataset). No route serves `sealed_secret_key`.
 */
@Entity({ schema: 'enterprise', name: 'fhe_datasets' })
export class FheDatasetEntity {
  @PrimaryColumn({ name: 'dataset_id', type: 'uuid', primaryKeyConstraintName: 'pk_fhe_datasets' })
  datasetId!: string;

  @OneToOne(() => DatasetEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'dataset_id', foreignKeyConstraintName: 'fk_fhe_datasets_dataset' })
  dataset?: DatasetEntity;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'parameters', type: 'jsonb' })
  parameters!: Record<string, unknown>;

  @Column({ name: 'layout', type: 'jsonb' })
  layout!: Record<string, unknown>;

  @Column({ name: 'feature_definition', type: 'jsonb' })
  featureDefinition!: Record<string, unknown>;

  @Column({ name: 'label', type: 'jsonb' })
  label!: Record<string, unknown>;

  @Column({ name: 'split', type: 'jsonb' })
  split!: Record<string, unknown>;

  @Column({ name: 'row_norm_bound', type: 'double precision' })
  rowNormBound!: number;

  @Column({ name: 'ciphertexts_blob_key', type: 'text' })
  ciphertextsBlobKey!: string;

  @Column({ name: 'ciphertexts_bytes', type: 'integer' })
  ciphertextsBytes!: number;

  @Column({ name: 'bundle_blob_key', type: 'text' })
  bundleBlobKey!: string;

  @Column({ name: 'bundle_bytes', type: 'integer' })
  bundleBytes!: number;

  @Column({ name: 'holdout_blob_key', type: 'text' })
  holdoutBlobKey!: string;

  @Column({ name: 'sealed_secret_key', type: 'bytea', transformer: bytes })
  sealedSecretKey!: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
