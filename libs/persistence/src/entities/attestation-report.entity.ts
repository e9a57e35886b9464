import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { AttestationNonceEntity } from './attestation-nonce.entity.js';
import { bigintNumber } from './transformers.js';

/**
 * One attestation as an auditor needs it later: the evidence exactly as submitted, the verified and appraised
 * claims, the policy (and its hash) it was appraised under, and the verdict with its reasons.
 */
@Entity({ schema: 'attestation', name: 'reports' })
@Index('ix_attestation_reports_tenant_created', ['tenantId', 'createdAt'])
export class AttestationReportEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_attestation_reports' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'nonce_id', type: 'uuid' })
  nonceId!: string;

  @ManyToOne(() => AttestationNonceEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'nonce_id', foreignKeyConstraintName: 'fk_attestation_reports_nonce' })
  nonce?: AttestationNonceEntity;

  @Column({ name: 'job_id', type: 'text' })
  jobId!: string;

  @Column({ name: 'lease_epoch', type: 'bigint', transformer: bigintNumber })
  leaseEpoch!: number;

  /** affirming | warning | contraindicated */
  @Column({ name: 'status', type: 'text' })
  status!: string;

  @Column({ name: 'tee_type', type: 'text', nullable: true })
  teeType!: string | null;

  @Column({ name: 'simulated', type: 'boolean' })
  simulated!: boolean;

  @Column({ name: 'reasons', type: 'jsonb' })
  reasons!: unknown[];

  @Column({ name: 'evidence', type: 'jsonb' })
  evidence!: Record<string, unknown>;

  @Column({ name: 'claims', type: 'jsonb', nullable: true })
  claims!: Record<string, unknown> | null;

  @Column({ name: 'policy', type: 'jsonb' })
  policy!: Record<string, unknown>;

  @Column({ name: 'policy_id', type: 'text' })
  policyId!: string;

  @Column({ name: 'policy_hash', type: 'text' })
  policyHash!: string;

  @Column({ name: 'tee_public_jwk', type: 'jsonb' })
  teePublicJwk!: Record<string, unknown>;

  @Column({ name: 'tee_key_thumbprint', type: 'text' })
  teeKeyThumbprint!: string;

  @Column({ name: 'submitted_by', type: 'text' })
  submittedBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
