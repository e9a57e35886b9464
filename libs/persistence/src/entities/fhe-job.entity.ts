import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { FineTuningJobEntity } from './fine-tuning-job.entity.js';

/**
 * The enterprise side of an `fhe-logreg` job: how far the iterations got and the current plaintext weights (the
 * owner's copy; the node only ever sees them encrypted), so a job that moves to another lease resumes where it was.
 * `lease_epoch` is the epoch of the last accepted refresh.
 */
@Entity({ schema: 'enterprise', name: 'fhe_jobs' })
export class FheJobEntity {
  @PrimaryColumn({ name: 'job_id', type: 'uuid', primaryKeyConstraintName: 'pk_fhe_jobs' })
  jobId!: string;

  @OneToOne(() => FineTuningJobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id', foreignKeyConstraintName: 'fk_fhe_jobs_job' })
  job?: FineTuningJobEntity;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'dataset_id', type: 'uuid' })
  datasetId!: string;

  @Column({ name: 'iterations', type: 'integer' })
  iterations!: number;

  @Column({ name: 'learning_rate', type: 'double precision' })
  learningRate!: number;

  @Column({ name: 'completed_iterations', type: 'integer', default: 0 })
  completedIterations!: number;

  @Column({ name: 'lease_epoch', type: 'integer' })
  leaseEpoch!: number;

  @Column({ name: 'weights', type: 'jsonb' })
  weights!: number[];

  @Column({ name: 'state', type: 'text' })
  state!: 'running' | 'finished';

  @Column({ name: 'holdout_accuracy', type: 'double precision', nullable: true })
  holdoutAccuracy!: number | null;

  @Column({ name: 'baseline_accuracy', type: 'double precision', nullable: true })
  baselineAccuracy!: number | null;

  /**
   * Key of the iteration sampling for replay (HMAC-SHA-256 over job id and iteration): random per run and never
   * sent to a node, so the node cannot tell which steps will be replayed; stored, so the sampling is reproducible.
   */
  @Column({ name: 'replay_salt', type: 'bytea', nullable: true })
  replaySalt!: Buffer | null;

  /** SHA-256 of the final encrypted weights the node sent with the last refresh: its uploaded output must match. */
  @Column({ name: 'output_sha256', type: 'text', nullable: true })
  outputSha256!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
