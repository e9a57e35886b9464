import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { FineTuningJobEntity } from './fine-tuning-job.entity.js';

export type FheReplayState = 'pending' | 'claimed' | 'match' | 'mismatch' | 'superseded';

/**
 * One sampled `fhe-logreg` iteration to be replayed on a second node (DESIGN §5.4, sampled replay for non-TEE
 * nodes). CKKS evaluation is deterministic given the same ciphertexts and keys, so the replay node runs the step on
 * the very input weights ciphertext the original node got (`input_blob_key`) and its output digest must equal the
 * one the original node sent with its refresh (`output_sha256`). `claimed_until` is on the database clock; an
 * expired claim goes back to the pool. `superseded`: the job was reset after a mismatch, the row is history.
 */
@Entity({ schema: 'enterprise', name: 'fhe_replays' })
@Index('ux_fhe_replays_job_epoch_iteration', ['jobId', 'leaseEpoch', 'iteration'], { unique: true })
@Index('ix_fhe_replays_state', ['state', 'createdAt'])
export class FheReplayEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_fhe_replays' })
  id!: string;

  @ManyToOne(() => FineTuningJobEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id', foreignKeyConstraintName: 'fk_fhe_replays_job' })
  job?: FineTuningJobEntity;

  @Column({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'dataset_id', type: 'uuid' })
  datasetId!: string;

  @Column({ name: 'lease_epoch', type: 'integer' })
  leaseEpoch!: number;

  @Column({ name: 'iteration', type: 'integer' })
  iteration!: number;

  @Column({ name: 'learning_rate', type: 'double precision' })
  learningRate!: number;

  @Column({ name: 'original_node_id', type: 'uuid' })
  originalNodeId!: string;

  @Column({ name: 'input_blob_key', type: 'text' })
  inputBlobKey!: string;

  @Column({ name: 'output_sha256', type: 'text' })
  outputSha256!: string;

  @Column({ name: 'state', type: 'text' })
  state!: FheReplayState;

  @Column({ name: 'replay_node_id', type: 'uuid', nullable: true })
  replayNodeId!: string | null;

  @Column({ name: 'claimed_until', type: 'timestamptz', nullable: true })
  claimedUntil!: Date | null;

  @Column({ name: 'replay_sha256', type: 'text', nullable: true })
  replaySha256!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;
}
