import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber, bytes } from './transformers.js';

/** A signed statement of (size, root, time) in the C2SP signed-note checkpoint format. */
@Entity({ schema: 'audit', name: 'checkpoints' })
export class AuditCheckpointEntity {
  @PrimaryColumn({ name: 'size', type: 'bigint', transformer: bigintNumber, primaryKeyConstraintName: 'pk_audit_checkpoints' })
  size!: number;

  @Column({ name: 'root', type: 'bytea', transformer: bytes })
  root!: Buffer;

  @Column({ name: 'signed_at', type: 'timestamptz' })
  signedAt!: Date;

  @Column({ name: 'note', type: 'text' })
  note!: string;
}
