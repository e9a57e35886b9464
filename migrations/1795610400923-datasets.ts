import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Datasets: rows, validation reports, PII findings per field, wrapped dataset keys and canaries (enterprise schema). */
export class Datasets1795610400923 implements MigrationInterface {
  name = 'Datasets1795610400923';

  async up(q: QueryRunner): Promise<void> {
    await q.query("CREATE TABLE \"enterprise\".\"datasets\" (\"id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"name\" text NOT NULL, \"status\" text NOT NULL, \"format\" text, \"protection\" text NOT NULL, \"policy\" text NOT NULL, \"operators\" jsonb NOT NULL, \"idempotency_key\" text, \"content_sha256\" text, \"bytes\" bigint NOT NULL DEFAULT '0', \"records\" integer NOT NULL DEFAULT '0', \"valid_records\" integer NOT NULL DEFAULT '0', \"skipped_records\" integer NOT NULL DEFAULT '0', \"blob_key\" text, \"sealed_bytes\" bigint, \"created_by\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"pk_datasets\" PRIMARY KEY (\"id\"))");
    await q.query("CREATE UNIQUE INDEX \"ux_datasets_tenant_idempotency_key\" ON \"enterprise\".\"datasets\"  (\"tenant_id\", \"idempotency_key\") ");
    await q.query("CREATE INDEX \"ix_datasets_tenant_created\" ON \"enterprise\".\"datasets\"  (\"tenant_id\", \"created_at\") ");
    await q.query("CREATE TABLE \"enterprise\".\"dataset_canaries\" (\"id\" uuid NOT NULL, \"dataset_id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"trigger\" text NOT NULL, \"label\" text NOT NULL, \"after_record\" integer NOT NULL, CONSTRAINT \"pk_dataset_canaries\" PRIMARY KEY (\"id\"))");
    await q.query("CREATE INDEX \"ix_dataset_canaries_dataset\" ON \"enterprise\".\"dataset_canaries\"  (\"dataset_id\") ");
    await q.query("CREATE TABLE \"enterprise\".\"dataset_pii_findings\" (\"id\" uuid NOT NULL, \"dataset_id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"field\" text NOT NULL, \"entity\" text NOT NULL, \"count\" integer NOT NULL, \"records\" integer NOT NULL, \"max_score\" real NOT NULL, \"mean_score\" real NOT NULL, \"masked_sample\" text NOT NULL, \"sample_hash\" text NOT NULL, \"operator\" text NOT NULL, CONSTRAINT \"pk_dataset_pii_findings\" PRIMARY KEY (\"id\"))");
    await q.query("CREATE INDEX \"ix_dataset_pii_findings_dataset\" ON \"enterprise\".\"dataset_pii_findings\"  (\"dataset_id\") ");
    await q.query("CREATE TABLE \"enterprise\".\"dataset_validation_reports\" (\"dataset_id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"ok\" boolean NOT NULL, \"report\" jsonb NOT NULL, CONSTRAINT \"pk_dataset_validation_reports\" PRIMARY KEY (\"dataset_id\"))");
    await q.query("CREATE TABLE \"enterprise\".\"dataset_keys\" (\"dataset_id\" uuid NOT NULL, \"purpose\" text NOT NULL, \"tenant_id\" text NOT NULL, \"key_id\" text NOT NULL, \"key_version\" integer NOT NULL, \"kek_id\" text NOT NULL, \"kek_version\" integer NOT NULL, \"wrapped\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"pk_dataset_keys\" PRIMARY KEY (\"dataset_id\", \"purpose\"))");
    await q.query("ALTER TABLE \"enterprise\".\"dataset_canaries\" ADD CONSTRAINT \"fk_dataset_canaries_dataset\" FOREIGN KEY (\"dataset_id\") REFERENCES \"enterprise\".\"datasets\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await q.query("ALTER TABLE \"enterprise\".\"dataset_pii_findings\" ADD CONSTRAINT \"fk_dataset_pii_findings_dataset\" FOREIGN KEY (\"dataset_id\") REFERENCES \"enterprise\".\"datasets\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await q.query("ALTER TABLE \"enterprise\".\"dataset_validation_reports\" ADD CONSTRAINT \"fk_dataset_validation_reports_dataset\" FOREIGN KEY (\"dataset_id\") REFERENCES \"enterprise\".\"datasets\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await q.query("ALTER TABLE \"enterprise\".\"dataset_keys\" ADD CONSTRAINT \"fk_dataset_keys_dataset\" FOREIGN KEY (\"dataset_id\") REFERENCES \"enterprise\".\"datasets\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("ALTER TABLE \"enterprise\".\"dataset_keys\" DROP CONSTRAINT \"fk_dataset_keys_dataset\"");
    await q.query("ALTER TABLE \"enterprise\".\"dataset_validation_reports\" DROP CONSTRAINT \"fk_dataset_validation_reports_dataset\"");
    await q.query("ALTER TABLE \"enterprise\".\"dataset_pii_findings\" DROP CONSTRAINT \"fk_dataset_pii_findings_dataset\"");
    await q.query("ALTER TABLE \"enterprise\".\"dataset_canaries\" DROP CONSTRAINT \"fk_dataset_canaries_dataset\"");
    await q.query("DROP TABLE \"enterprise\".\"dataset_keys\"");
    await q.query("DROP TABLE \"enterprise\".\"dataset_validation_reports\"");
    await q.query("DROP INDEX \"enterprise\".\"ix_dataset_pii_findings_dataset\"");
    await q.query("DROP TABLE \"enterprise\".\"dataset_pii_findings\"");
    await q.query("DROP INDEX \"enterprise\".\"ix_dataset_canaries_dataset\"");
    await q.query("DROP TABLE \"enterprise\".\"dataset_canaries\"");
    await q.query("DROP INDEX \"enterprise\".\"ix_datasets_tenant_created\"");
    await q.query("DROP INDEX \"enterprise\".\"ux_datasets_tenant_idempotency_key\"");
    await q.query("DROP TABLE \"enterprise\".\"datasets\"");
  }
}
