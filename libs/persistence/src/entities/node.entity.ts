import { Column, Entity, Index, PrimaryColumn, VirtualColumn } from 'typeorm';

/** A GPU node of the marketplace, registered with an attested identity key (its thumbprint signs every request). */
@Entity({ schema: 'scheduler', name: 'nodes' })
@Index('ux_nodes_identity_jkt', ['identityJkt'], { unique: true })
@Index('ix_nodes_placement', ['state', 'teeType', 'hourlyPrice'])
export class NodeEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_nodes' })
  id!: string;

  @Column({ name: 'name', type: 'text' })
  name!: string;

  @Column({ name: 'operator_tenant_id', type: 'text' })
  operatorTenantId!: string;

  @Column({ name: 'operator_subject', type: 'text' })
  operatorSubject!: string;

  @Column({ name: 'provider', type: 'text' })
  provider!: string;

  @Column({ name: 'region', type: 'text' })
  region!: string;

  @Column({ name: 'gpu_model', type: 'text' })
  gpuModel!: string;

  @Column({ name: 'gpu_count', type: 'integer' })
  gpuCount!: number;

  @Column({ name: 'gpu_memory_gb', type: 'integer' })
  gpuMemoryGb!: number;

  @Column({ name: 'tee_type', type: 'text' })
  teeType!: string;

  @Column({ name: 'hourly_price', type: 'double precision' })
  hourlyPrice!: number;

  @Column({ name: 'interruptible', type: 'boolean', default: false })
  interruptible!: boolean;

  @Column({ name: 'max_concurrent_leases', type: 'integer', default: 1 })
  maxConcurrentLeases!: number;

  @Column({ name: 'active_leases', type: 'integer', default: 0 })
  activeLeases!: number;

  @Column({ name: 'state', type: 'text' })
  state!: 'active' | 'draining' | 'retired';

  @Column({ name: 'identity_jkt', type: 'text' })
  identityJkt!: string;

  @Column({ name: 'identity_jwk', type: 'jsonb' })
  identityJwk!: Record<string, string>;

  @Column({ name: 'attestation_verified', type: 'boolean', default: false })
  attestationVerified!: boolean;

  @Column({ name: 'attestation_simulated', type: 'boolean', default: false })
  attestationSimulated!: boolean;

  @Column({ name: 'measurement', type: 'text', nullable: true })
  measurement!: string | null;

  /** Mirror of the reputation score, so placement filters and ranks on one table. */
  @Column({ name: 'reliability', type: 'double precision' })
  reliability!: number;

  /** Read from scheduler.node_liveness (see NodeLivenessEntity): placeable only while in the future. */
  @VirtualColumn({ type: 'timestamptz', query: (n) => `SELECT l.available_until FROM scheduler.node_liveness l WHERE l.node_id = ${n}.id` })
  availableUntil!: Date | null;

  @Column({ name: 'registered_at', type: 'timestamptz' })
  registeredAt!: Date;

  /** Read from scheduler.node_liveness: the last heartbeat. */
  @VirtualColumn({ type: 'timestamptz', query: (n) => `SELECT l.last_seen_at FROM scheduler.node_liveness l WHERE l.node_id = ${n}.id` })
  lastSeenAt!: Date | null;
}
