import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A node's liveness (available_until, last_seen_at) moves out of scheduler.nodes into its own table: heartbeats
 * used to update the node row and so row-lock it for their whole transaction, and placement (`SKIP LOCKED` on node
 * rows) then passed over the best node whenever it happened to be heartbeating.
 */
export class NodeLiveness1796400000000 implements MigrationInterface {
  name = 'NodeLiveness1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE "scheduler"."node_liveness" ("node_id" uuid NOT NULL, "available_until" TIMESTAMP WITH TIME ZONE, "last_seen_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_node_liveness" PRIMARY KEY ("node_id"))');
    await q.query('ALTER TABLE "scheduler"."node_liveness" ADD CONSTRAINT "fk_node_liveness_node" FOREIGN KEY ("node_id") REFERENCES "scheduler"."nodes"("id") ON DELETE CASCADE ON UPDATE NO ACTION');
    await q.query('INSERT INTO "scheduler"."node_liveness" ("node_id", "available_until", "last_seen_at") SELECT "id", "available_until", "last_seen_at" FROM "scheduler"."nodes"');
    await q.query('ALTER TABLE "scheduler"."nodes" DROP COLUMN "available_until"');
    await q.query('ALTER TABLE "scheduler"."nodes" DROP COLUMN "last_seen_at"');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "scheduler"."nodes" ADD "available_until" TIMESTAMP WITH TIME ZONE');
    await q.query('ALTER TABLE "scheduler"."nodes" ADD "last_seen_at" TIMESTAMP WITH TIME ZONE');
    await q.query('UPDATE "scheduler"."nodes" n SET "available_until" = l."available_until", "last_seen_at" = l."last_seen_at" FROM "scheduler"."node_liveness" l WHERE l."node_id" = n."id"');
    await q.query('DROP TABLE "scheduler"."node_liveness"');
  }
}
