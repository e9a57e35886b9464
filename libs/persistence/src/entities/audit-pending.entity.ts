import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An audit record written in the action's own transaction, waiting for the integrator to give it a leaf index and
 * hash it into the tree (Trillian's queue/sequencer split: appends never wait on the tree-head lock).
 */
@Entity({ schema: 'audit', name: 'pending' })
export class AuditPendingEntity {
  @PrimaryGeneratedColumn('identity', { name: 'id', type: 'bigint', primaryKeyConstraintName: 'pk_audit_pending' })
  id!: number;

  @Column({ name: 'tenant_id', type: 'text', nullable: true })
  tenantId!: string | null;

  @Column({ name: 'action', type: 'text' })
  action!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** The record without its index, as JSON. */
  @Column({ name: 'payload', type: 'text' })
  payload!: string;
}

