import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Schemas per service, the audit log (append-only, enforced by triggers) and organisations. */
export class Init1764072000000 implements MigrationInterface {
  name = 'Init1764072000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS "audit"`);
    await q.query(`CREATE SCHEMA IF NOT EXISTS "enterprise"`);
    await q.query(`CREATE SCHEMA IF NOT EXISTS "scheduler"`);
    await q.query(`CREATE SCHEMA IF NOT EXISTS "attestation"`);
    await q.query(
      `CREATE TABLE "audit"."checkpoints" ("size" bigint NOT NULL, "root" bytea NOT NULL, "signed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "note" text NOT NULL, CONSTRAINT "pk_audit_checkpoints" PRIMARY KEY ("size"))`,
    );
    await q.query(
      `CREATE TABLE "audit"."entries" ("leaf_index" bigint NOT NULL, "tenant_id" text, "action" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "canonical" text NOT NULL, "leaf_hash" bytea NOT NULL, CONSTRAINT "pk_audit_entries" PRIMARY KEY ("leaf_index"))`,
    );
    await q.query(`CREATE INDEX "ix_audit_entries_tenant_leaf" ON "audit"."entries" ("tenant_id", "leaf_index")`);
    await q.query(
      `CREATE TABLE "audit"."nodes" ("level" smallint NOT NULL, "idx" bigint NOT NULL, "hash" bytea NOT NULL, CONSTRAINT "pk_audit_nodes" PRIMARY KEY ("level", "idx"))`,
    );
    await q.query(
      `CREATE TABLE "audit"."tree_heads" ("id" smallint NOT NULL, "size" bigint NOT NULL, "root" bytea NOT NULL, "edge" bytea NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_audit_tree_heads" PRIMARY KEY ("id"))`,
    );
    await q.query(
      `INSERT INTO "audit"."tree_heads" ("id", "size", "root", "edge", "updated_at") VALUES (1, 0, decode('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex'), '\\x', now())`,
    );
    // The log is append-only in the database itself, not just by convention in the code.
    await q.query(
      `CREATE FUNCTION "audit"."forbid_change"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit log is append-only (% on %)', TG_OP, TG_TABLE_NAME; END $$`,
    );
    for (const table of ['entries', 'nodes', 'checkpoints']) {
      await q.query(
        `CREATE TRIGGER "tr_${table}_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "audit"."${table}" FOR EACH STATEMENT EXECUTE FUNCTION "audit"."forbid_change"()`,
      );
    }
    await q.query(
      `CREATE TABLE "enterprise"."organizations" ("id" text NOT NULL, "display_name" text NOT NULL, "data_residency" text array NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_organizations" PRIMARY KEY ("id"))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "enterprise"."organizations"`);
    await q.query(`DROP TABLE "audit"."tree_heads"`);
    await q.query(`DROP TABLE "audit"."nodes"`);
    await q.query(`DROP TABLE "audit"."entries"`);
    await q.query(`DROP TABLE "audit"."checkpoints"`);
    await q.query(`DROP FUNCTION "audit"."forbid_change"()`);
  }
}
