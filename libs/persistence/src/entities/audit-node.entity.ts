import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber, bytes } from './transformers.js';

/** Hash of a complete, aligned subtree (width 2^level starting at index * 2^level), kept for fast proofs. */
@Entity({ schema: 'audit', name: 'nodes' })
export class AuditNodeEntity {
  @PrimaryColumn({ name: 'level', type: 'smallint', primaryKeyConstraintName: 'pk_audit_nodes' })
  level!: number;

  @PrimaryColumn({ name: 'idx', type: 'bigint', transformer: bigintNumber, primaryKeyConstraintName: 'pk_audit_nodes' })
  index!: number;

  @Column({ name: 'hash', type: 'bytea', transformer: bytes })
  hash!: Buffer;
}
