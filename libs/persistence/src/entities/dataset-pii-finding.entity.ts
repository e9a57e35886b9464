import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DatasetEntity } from './dataset.entity.js';

/** PII found per field path and entity: counts, scores, masked sample and keyed hash — never a raw value. */
@Entity({ schema: 'enterprise', name: 'dataset_pii_findings' })
@Index('ix_dataset_pii_findings_dataset', ['datasetId'])
export class DatasetPiiFindingEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_dataset_pii_findings' })
  id!: string;

  @Column({ name: 'dataset_id', type: 'uuid' })
  datasetId!: string;

  @ManyToOne(() => DatasetEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'dataset_id', foreignKeyConstraintName: 'fk_dataset_pii_findings_dataset' })
  dataset?: DatasetEntity;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'field', type: 'text' })
  field!: string;

  @Column({ name: 'entity', type: 'text' })
  entity!: string;

  @Column({ name: 'count', type: 'integer' })
  count!: number;

  @Column({ name: 'records', type: 'integer' })
  records!: number;

  @Column({ name: 'max_score', type: 'real' })
  maxScore!: number;

  @Column({ name: 'mean_score', type: 'real' })
  meanScore!: number;

  @Column({ name: 'masked_sample', type: 'text' })
  maskedSample!: string;

  @Column({ name: 'sample_hash', type: 'text' })
  sampleHash!: string;

  @Column({ name: 'operator', type: 'text' })
  operator!: string;
}
