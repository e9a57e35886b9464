import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, bytes } from './transformers.js';

/**
 * A challenge nonce (RCAR "challenge"): stored only as its SHA-256, single use, expiring by the database clock.
 * Consumed by one conditional UPDATE so two concurrent attestations cannot both use it.
 */
@Entity({ schema: 'attestation', name: 'nonces' })
@Index('ux_attestation_nonces_hash', ['nonceHash'], { unique: true })
export class AttestationNonceEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_attestation_nonces' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'nonce_hash', type: 'bytea', transformer: bytes })
  nonceHash!: Buffer;

  @Column({ name: 'job_id', type: 'text' })
  jobId!: string;

  @Column({ name: 'lease_epoch', type: 'bigint', transformer: bigintNumber })
  leaseEpoch!: number;

  @Column({ name: 'requested_by', type: 'text' })
  requestedBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;
}
