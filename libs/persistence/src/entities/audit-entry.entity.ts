import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, bytes } from './transformers.js';

/** One leaf of the deployment's append-only audit log. `canonical` is exactly the bytes that were hashed. */
@Entity({ schema: 'audit', name: 'entries' })
@Index('ix_audit_entries_tenant_leaf', ['tenantId', 'leafIndex'])
export class AuditEntryEntity {
  @PrimaryColumn({ name: 'leaf_index', type: 'bigint', transformer: bigintNumber, primaryKeyConstraintName: 'pk_audit_entries' })
  leafIndex!: number;

  @Column({ name: 'tenant_id', type: 'text', nullable: true })
  tenantId!: string | null;

  @Column({ name: 'action', type: 'text' })
  action!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'canonical', type: 'text' })
  canonical!: string;

  @Column({ name: 'leaf_hash', type: 'bytea', transformer: bytes })
  leafHash!: Buffer;
}
