import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DatasetEntity } from './dataset.entity.js';

/**
 * Wrapped keys of a dataset: `seal` (the DEK of the sealed blob, released by the key broker to attested
 * enclaves) and `protect` (token/FPE secret; never leaves the enterprise side); for FHE datasets `fhe_secret`
 * (seals the CKKS secret key) and `fhe_holdout` (seals the plaintext holdout) — both enterprise-only, never released.
 * Only wrapped forms are stored.
 */
@Entity({ schema: 'enterprise', name: 'dataset_keys' })
export class DatasetWrappedKeyEntity {
  @PrimaryColumn({ name: 'dataset_id', type: 'uuid', primaryKeyConstraintName: 'pk_dataset_keys' })
  datasetId!: string;

  @PrimaryColumn({ name: 'purpose', type: 'text', primaryKeyConstraintName: 'pk_dataset_keys' })
  purpose!: 'seal' | 'protect' | 'fhe_secret' | 'fhe_holdout';

  @ManyToOne(() => DatasetEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'dataset_id', foreignKeyConstraintName: 'fk_dataset_keys_dataset' })
  dataset?: DatasetEntity;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'key_id', type: 'text' })
  keyId!: string;

  @Column({ name: 'key_version', type: 'integer' })
  keyVersion!: number;

  @Column({ name: 'kek_id', type: 'text' })
  kekId!: string;

  @Column({ name: 'kek_version', type: 'integer' })
  kekVersion!: number;

  /** `cfwd1.` text form of the WrappedDek. */
  @Column({ name: 'wrapped', type: 'text' })
  wrapped!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
