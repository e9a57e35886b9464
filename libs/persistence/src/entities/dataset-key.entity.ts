import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A dataset's data key, only ever stored wrapped by the KEK (`cfwd1.` text form), with the release policy that says
 * which attested enclaves may receive it.
 */
@Entity({ schema: 'attestation', name: 'dataset_keys' })
@Index('ix_attestation_dataset_keys_tenant_dataset', ['tenantId', 'datasetId'])
export class DatasetKeyEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_attestation_dataset_keys' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'dataset_id', type: 'text' })
  datasetId!: string;

  @Column({ name: 'key_version', type: 'integer' })
  keyVersion!: number;

  @Column({ name: 'wrapped_dek', type: 'text' })
  wrappedDek!: string;

  @Column({ name: 'kek_id', type: 'text' })
  kekId!: string;

  @Column({ name: 'kek_version', type: 'integer' })
  kekVersion!: number;

  @Column({ name: 'release_policy', type: 'jsonb' })
  releasePolicy!: Record<string, unknown>;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
