import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { NodeEntity } from './node.entity.js';

/** Outcome counters of a node; `score` is derived from them (see NodeRepository.recordOutcome). */
@Entity({ schema: 'scheduler', name: 'node_reputation' })
export class NodeReputationEntity {
  @PrimaryColumn({ name: 'node_id', type: 'uuid', primaryKeyConstraintName: 'pk_node_reputation' })
  nodeId!: string;

  @OneToOne(() => NodeEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'node_id', foreignKeyConstraintName: 'fk_node_reputation_node' })
  node?: NodeEntity;

  @Column({ name: 'completed', type: 'integer', default: 0 })
  completed!: number;

  @Column({ name: 'user_failed', type: 'integer', default: 0 })
  userFailed!: number;

  @Column({ name: 'infra_failed', type: 'integer', default: 0 })
  infraFailed!: number;

  @Column({ name: 'lost', type: 'integer', default: 0 })
  lost!: number;

  @Column({ name: 'preempted', type: 'integer', default: 0 })
  preempted!: number;

  @Column({ name: 'cancelled', type: 'integer', default: 0 })
  cancelled!: number;

  @Column({ name: 'verification_failed', type: 'integer', default: 0 })
  verificationFailed!: number;

  @Column({ name: 'score', type: 'double precision' })
  score!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
