import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber, bytes } from './transformers.js';

/** The single row every append locks: current size, root and right edge (compact range) of the tree. */
@Entity({ schema: 'audit', name: 'tree_heads' })
export class AuditTreeHeadEntity {
  @PrimaryColumn({ name: 'id', type: 'smallint', primaryKeyConstraintName: 'pk_audit_tree_heads' })
  id!: number;

  @Column({ name: 'size', type: 'bigint', transformer: bigintNumber })
  size!: number;

  @Column({ name: 'root', type: 'bytea', transformer: bytes })
  root!: Buffer;

  /** Concatenated 32-byte hashes of the complete subtrees on the right edge, leftmost first. */
  @Column({ name: 'edge', type: 'bytea', transformer: bytes })
  edge!: Buffer;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
