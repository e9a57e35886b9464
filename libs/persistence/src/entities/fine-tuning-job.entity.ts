import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A fine-tuning job. The row is also the queue entry: the scheduler claims `queued` rows whose `not_before` has
 * passed with `FOR UPDATE SKIP LOCKED`. `lease_epoch` is the fencing token of the current attempt, `event_seq` the
 * last event's per-job sequence (written under this row's lock, so events are gap-free and in commit order).
 */
@Entity({ schema: 'enterprise', name: 'fine_tuning_jobs' })
@Index('ix_fine_tuning_jobs_tenant_created', ['tenantId', 'createdAt', 'id'])
@Index('ix_fine_tuning_jobs_queue', ['priority', 'queuedAt'], { where: `status = 'queued'` })
export class FineTuningJobEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_fine_tuning_jobs' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'status', type: 'text' })
  status!: string;

  @Column({ name: 'phase', type: 'text' })
  phase!: string;

  @Column({ name: 'trainer', type: 'text' })
  trainer!: string;

  @Column({ name: 'model', type: 'text' })
  model!: string;

  @Column({ name: 'training_file', type: 'uuid' })
  trainingFile!: string;

  @Column({ name: 'validation_file', type: 'uuid', nullable: true })
  validationFile!: string | null;

  @Column({ name: 'seed', type: 'integer', nullable: true })
  seed!: number | null;

  @Column({ name: 'suffix', type: 'text', nullable: true })
  suffix!: string | null;

  @Column({ name: 'hyperparameters', type: 'jsonb' })
  hyperparameters!: Record<string, unknown>;

  @Column({ name: 'metadata', type: 'jsonb', nullable: true })
  metadata!: Record<string, string> | null;

  @Column({ name: 'privacy', type: 'jsonb' })
  privacy!: Record<string, unknown>;

  @Column({ name: 'placement', type: 'jsonb' })
  placement!: Record<string, unknown>;

  @Column({ name: 'verification', type: 'jsonb' })
  verification!: Record<string, unknown>;

  @Column({ name: 'budget', type: 'jsonb' })
  budget!: Record<string, unknown>;

  @Column({ name: 'lease_epoch', type: 'integer', default: 0 })
  leaseEpoch!: number;

  @Column({ name: 'leased', type: 'boolean', default: false })
  leased!: boolean;

  @Column({ name: 'cancel_requested', type: 'boolean', default: false })
  cancelRequested!: boolean;

  @Column({ name: 'infra_failures', type: 'integer', default: 0 })
  infraFailures!: number;

  @Column({ name: 'user_failures', type: 'integer', default: 0 })
  userFailures!: number;

  @Column({ name: 'preemptions', type: 'integer', default: 0 })
  preemptions!: number;

  @Column({ name: 'priority', type: 'integer', default: 0 })
  priority!: number;

  @Column({ name: 'queued_at', type: 'timestamptz', nullable: true })
  queuedAt!: Date | null;

  /** Backoff: the job is not placed before this (database clock). */
  @Column({ name: 'not_before', type: 'timestamptz', nullable: true })
  notBefore!: Date | null;

  @Column({ name: 'event_seq', type: 'integer', default: 0 })
  eventSeq!: number;

  @Column({ name: 'error', type: 'jsonb', nullable: true })
  error!: { code: string; message: string; param: string | null } | null;

  @Column({ name: 'fine_tuned_model', type: 'text', nullable: true })
  fineTunedModel!: string | null;

  @Column({ name: 'result_files', type: 'jsonb' })
  resultFiles!: string[];

  @Column({ name: 'trained_tokens', type: 'integer', nullable: true })
  trainedTokens!: number | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
