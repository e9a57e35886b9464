import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Seen DPoP proof ids (per key) until they could no longer be fresh; shared by every scheduler replica. */
@Entity({ schema: 'scheduler', name: 'proof_replays' })
@Index('ix_proof_replays_expires', ['expiresAt'])
export class ProofReplayEntity {
  @PrimaryColumn({ name: 'key', type: 'text', primaryKeyConstraintName: 'pk_proof_replays' })
  key!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
