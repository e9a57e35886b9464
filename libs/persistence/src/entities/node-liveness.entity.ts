import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { NodeEntity } from './node.entity.js';

/**
 * When a node was last heard from and until when it may be placed on (database clock), renewed by every heartbeat.
 * Kept apart from `scheduler.nodes` so a heartbeat never row-locks the node: placement takes node rows with
 * `FOR NO KEY UPDATE SKIP LOCKED`, and a heartbeat holding the node row would make it pass over the best node.
 */
@Entity({ schema: 'scheduler', name: 'node_liveness' })
export class NodeLivenessEntity {
  @PrimaryColumn({ name: 'node_id', type: 'uuid', primaryKeyConstraintName: 'pk_node_liveness' })
  nodeId!: string;

  @OneToOne(() => NodeEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'node_id', foreignKeyConstraintName: 'fk_node_liveness_node' })
  node?: NodeEntity;

  /** The node is placeable only while this is in the future; null until its first heartbeat. */
  @Column({ name: 'available_until', type: 'timestamptz', nullable: true })
  availableUntil!: Date | null;

  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true })
  lastSeenAt!: Date | null;
}
