import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { FineTuningJobEntity } from './fine-tuning-job.entity.js';

/** One `fine_tuning.job.event`. `seq` is per job, gap-free, assigned under the job row's lock. */
@Entity({ schema: 'enterprise', name: 'job_events' })
@Index('ux_job_events_job_seq', ['jobId', 'seq'], { unique: true })
export class JobEventEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_job_events' })
  id!: string;

  @Column({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @ManyToOne(() => FineTuningJobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id', foreignKeyConstraintName: 'fk_job_events_job' })
  job?: FineTuningJobEntity;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'seq', type: 'integer' })
  seq!: number;

  @Column({ name: 'level', type: 'text' })
  level!: 'info' | 'warn' | 'error';

  @Column({ name: 'type', type: 'text' })
  type!: string;

  @Column({ name: 'message', type: 'text' })
  message!: string;

  @Column({ name: 'data', type: 'jsonb' })
  data!: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
