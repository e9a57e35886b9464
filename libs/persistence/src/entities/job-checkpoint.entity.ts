import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { FineTuningJobEntity } from './fine-tuning-job.entity.js';

/** A checkpoint a node committed under a lease epoch; one per (job, step). */
@Entity({ schema: 'enterprise', name: 'job_checkpoints' })
@Index('ux_job_checkpoints_job_step', ['jobId', 'stepNumber'], { unique: true })
export class JobCheckpointEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_job_checkpoints' })
  id!: string;

  @Column({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @ManyToOne(() => FineTuningJobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id', foreignKeyConstraintName: 'fk_job_checkpoints_job' })
  job?: FineTuningJobEntity;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'lease_epoch', type: 'integer' })
  leaseEpoch!: number;

  @Column({ name: 'step_number', type: 'integer' })
  stepNumber!: number;

  @Column({ name: 'metrics', type: 'jsonb' })
  metrics!: Record<string, number>;

  @Column({ name: 'artifact_sha256', type: 'text', nullable: true })
  artifactSha256!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
