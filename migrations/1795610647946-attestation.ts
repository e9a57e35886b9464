import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Attestation service and key broker: challenge nonces, attestation reports, dataset keys (wrapped) and releases. */
export class Attestation1795610647946 implements MigrationInterface {
  name = 'Attestation1795610647946';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "attestation"."nonces" ("id" uuid NOT NULL, "tenant_id" text NOT NULL, "nonce_hash" bytea NOT NULL, "job_id" text NOT NULL, "lease_epoch" bigint NOT NULL, "requested_by" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "consumed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "pk_attestation_nonces" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE UNIQUE INDEX "ux_attestation_nonces_hash" ON "attestation"."nonces" ("nonce_hash")`);
    await q.query(
      `CREATE TABLE "attestation"."reports" ("id" uuid NOT NULL, "tenant_id" text NOT NULL, "nonce_id" uuid NOT NULL, "job_id" text NOT NULL, "lease_epoch" bigint NOT NULL, "status" text NOT NULL, "tee_type" text, "simulated" boolean NOT NULL, "reasons" jsonb NOT NULL, "evidence" jsonb NOT NULL, "claims" jsonb, "policy" jsonb NOT NULL, "policy_id" text NOT NULL, "policy_hash" text NOT NULL, "tee_public_jwk" jsonb NOT NULL, "tee_key_thumbprint" text NOT NULL, "submitted_by" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_attestation_reports" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "ix_attestation_reports_tenant_created" ON "attestation"."reports" ("tenant_id", "created_at")`);
    await q.query(
      `CREATE TABLE "attestation"."dataset_keys" ("id" uuid NOT NULL, "tenant_id" text NOT NULL, "dataset_id" text NOT NULL, "key_version" integer NOT NULL, "wrapped_dek" text NOT NULL, "kek_id" text NOT NULL, "kek_version" integer NOT NULL, "release_policy" jsonb NOT NULL, "created_by" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_attestation_dataset_keys" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "ix_attestation_dataset_keys_tenant_dataset" ON "attestation"."dataset_keys" ("tenant_id", "dataset_id")`);
    await q.query(
      `CREATE TABLE "attestation"."key_releases" ("id" uuid NOT NULL, "tenant_id" text NOT NULL, "key_id" uuid NOT NULL, "report_id" uuid NOT NULL, "job_id" text NOT NULL, "lease_epoch" bigint NOT NULL, "tee_key_thumbprint" text NOT NULL, "released_to" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_attestation_key_releases" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "ix_attestation_key_releases_tenant_key" ON "attestation"."key_releases" ("tenant_id", "key_id")`);
    await q.query(
      `ALTER TABLE "attestation"."reports" ADD CONSTRAINT "fk_attestation_reports_nonce" FOREIGN KEY ("nonce_id") REFERENCES "attestation"."nonces"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "attestation"."key_releases" ADD CONSTRAINT "fk_attestation_key_releases_key" FOREIGN KEY ("key_id") REFERENCES "attestation"."dataset_keys"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "attestation"."key_releases" ADD CONSTRAINT "fk_attestation_key_releases_report" FOREIGN KEY ("report_id") REFERENCES "attestation"."reports"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "attestation"."key_releases" DROP CONSTRAINT "fk_attestation_key_releases_report"`);
    await q.query(`ALTER TABLE "attestation"."key_releases" DROP CONSTRAINT "fk_attestation_key_releases_key"`);
    await q.query(`ALTER TABLE "attestation"."reports" DROP CONSTRAINT "fk_attestation_reports_nonce"`);
    await q.query(`DROP INDEX "attestation"."ix_attestation_key_releases_tenant_key"`);
    await q.query(`DROP TABLE "attestation"."key_releases"`);
    await q.query(`DROP INDEX "attestation"."ix_attestation_dataset_keys_tenant_dataset"`);
    await q.query(`DROP TABLE "attestation"."dataset_keys"`);
    await q.query(`DROP INDEX "attestation"."ix_attestation_reports_tenant_created"`);
    await q.query(`DROP TABLE "attestation"."reports"`);
    await q.query(`DROP INDEX "attestation"."ux_attestation_nonces_hash"`);
    await q.query(`DROP TABLE "attestation"."nonces"`);
  }
}
