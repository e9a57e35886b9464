import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { AttestationReportEntity } from './attestation-report.entity.js';
import { DatasetKeyEntity } from './dataset-key.entity.js';
import { bigintNumber } from './transformers.js';

/** One DEK handed to an attested enclave (as a JWE to its key). Denials are in the audit log, not here. */
@Entity({ schema: 'attestation', name: 'key_releases' })
@Index('ix_attestation_key_releases_tenant_key', ['tenantId', 'keyId'])
export class KeyReleaseEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_attestation_key_releases' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'key_id', type: 'uuid' })
  keyId!: string;

  @ManyToOne(() => DatasetKeyEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'key_id', foreignKeyConstraintName: 'fk_attestation_key_releases_key' })
  key?: DatasetKeyEntity;

  @Column({ name: 'report_id', type: 'uuid' })
  reportId!: string;

  @ManyToOne(() => AttestationReportEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'report_id', foreignKeyConstraintName: 'fk_attestation_key_releases_report' })
  report?: AttestationReportEntity;

  @Column({ name: 'job_id', type: 'text' })
  jobId!: string;

  @Column({ name: 'lease_epoch', type: 'bigint', transformer: bigintNumber })
  leaseEpoch!: number;

  @Column({ name: 'tee_key_thumbprint', type: 'text' })
  teeKeyThumbprint!: string;

  @Column({ name: 'released_to', type: 'text' })
  releasedTo!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
