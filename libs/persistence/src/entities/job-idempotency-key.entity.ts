import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * `Idempotency-Key` of a job create. The primary key is the guard: concurrent creates with one key insert one row;
 * the others wait on the unique index, then find it.
 */
@Entity({ schema: 'enterprise', name: 'job_idempotency_keys' })
export class JobIdempotencyKeyEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text', primaryKeyConstraintName: 'pk_job_idempotency_keys' })
  tenantId!: string;

  @PrimaryColumn({ name: 'key', type: 'text', primaryKeyConstraintName: 'pk_job_idempotency_keys' })
  key!: string;

  /** SHA-256 of the canonical JSON of the validated body. */
  @Column({ name: 'request_sha256', type: 'text' })
  requestSha256!: string;

  @Column({ name: 'job_id', type: 'uuid' })
  jobId!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
