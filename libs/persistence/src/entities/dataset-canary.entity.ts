import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DatasetEntity } from './dataset.entity.js';

/** Synthetic trigger → label records planted in a dataset, to check later that a returned model trained on it. */
@Entity({ schema: 'enterprise', name: 'dataset_canaries' })
@Index('ix_dataset_canaries_dataset', ['datasetId'])
@Check('ck_dataset_canaries_chance', '"chance" IS NULL OR ("chance" > 0 AND "chance" < 1)')
export class DatasetCanaryEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_dataset_canaries' })
  id!: string;

  @Column({ name: 'dataset_id', type: 'uuid' })
  datasetId!: string;

  @ManyToOne(() => DatasetEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'dataset_id', foreignKeyConstraintName: 'fk_dataset_canaries_dataset' })
  dataset?: DatasetEntity;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'trigger', type: 'text' })
  trigger!: string;

  @Column({ name: 'label', type: 'text' })
  label!: string;

  @Column({ name: 'after_record', type: 'integer' })
  afterRecord!: number;

  /** Chance of a right answer by luck (1 / the labels the label was drawn from); null for canaries planted before it was kept. */
  @Column({ name: 'chance', type: 'double precision', nullable: true })
  chance!: number | null;
}
