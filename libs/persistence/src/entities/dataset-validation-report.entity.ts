import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { DatasetEntity } from './dataset.entity.js';

/** The line-numbered validation report of a dataset: counts and the first issues (codes, lines, field paths). */
@Entity({ schema: 'enterprise', name: 'dataset_validation_reports' })
export class DatasetValidationReportEntity {
  @PrimaryColumn({ name: 'dataset_id', type: 'uuid', primaryKeyConstraintName: 'pk_dataset_validation_reports' })
  datasetId!: string;

  @ManyToOne(() => DatasetEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'dataset_id', foreignKeyConstraintName: 'fk_dataset_validation_reports_dataset' })
  dataset?: DatasetEntity;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'ok', type: 'boolean' })
  ok!: boolean;

  @Column({ name: 'report', type: 'jsonb' })
  report!: Record<string, unknown>;
}
