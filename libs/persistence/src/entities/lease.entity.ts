import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { NodeEntity } from './node.entity.js';

/**
 * One placement attempt: a job's lease on a node at a fencing epoch. At most one `active` lease per job (partial
 * unique index), whatever the number of scheduler replicas. Expiry is judged with the database clock.
 */
@Entity({ schema: 'scheduler', name: 'leases' })
@Index('ux_leases_job_epoch', ['jobId', 'epoch'], { unique: true })
@Index('ux_leases_one_active_per_job', ['jobId'], { unique: true, where: `state = 'active'` })
@Index('ix_leases_active_expiry', ['expiresAt'], { where: `state = 'active'` })
@Index('ix_leases_node_state', ['nodeId', 'state'])
export class LeaseEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_leases' })
  id!: string;

  @Column({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'node_id', type: 'uuid' })
  nodeId!: string;

  @ManyToOne(() => NodeEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'node_id', foreignKeyConstraintName: 'fk_leases_node' })
  node?: NodeEntity;

  @Column({ name: 'epoch', type: 'integer' })
  epoch!: number;

  @Column({ name: 'state', type: 'text' })
  state!: 'active' | 'completed' | 'failed' | 'preempted' | 'cancelled' | 'expired';

  @Column({ name: 'hourly_price', type: 'double precision' })
  hourlyPrice!: number;

  @Column({ name: 'candidates_considered', type: 'integer', default: 0 })
  candidatesConsidered!: number;

  @Column({ name: 'granted_at', type: 'timestamptz' })
  grantedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'last_heartbeat_at', type: 'timestamptz', nullable: true })
  lastHeartbeatAt!: Date | null;

  /** Set once the node saw the assignment (first heartbeat naming it). */
  @Column({ name: 'acknowledged', type: 'boolean', default: false })
  acknowledged!: boolean;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @Column({ name: 'end_reason', type: 'text', nullable: true })
  endReason!: string | null;
}
