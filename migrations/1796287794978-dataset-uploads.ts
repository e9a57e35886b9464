import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Resumable dataset uploads (/v1/uploads) and their committed, sealed chunks. */
export class DatasetUploads1796287794978 implements MigrationInterface {
  name = 'DatasetUploads1796287794978';

  async up(q: QueryRunner): Promise<void> {
    await q.query("CREATE TABLE \"enterprise\".\"dataset_uploads\" (\"id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"status\" text NOT NULL, \"protection\" text NOT NULL, \"declared_bytes\" bigint NOT NULL, \"upload_offset\" bigint NOT NULL DEFAULT '0', \"chunks\" integer NOT NULL DEFAULT '0', \"content_sha256\" text, \"options_sealed\" bytea NOT NULL, \"wrapped_key\" text NOT NULL, \"idempotency_key\" text, \"request_sha256\" text NOT NULL, \"dataset_id\" uuid, \"created_by\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"pk_dataset_uploads\" PRIMARY KEY (\"id\"))");
    await q.query("CREATE INDEX \"ix_dataset_uploads_status_updated\" ON \"enterprise\".\"dataset_uploads\"  (\"status\", \"updated_at\") ");
    await q.query("CREATE UNIQUE INDEX \"ux_dataset_uploads_tenant_idempotency_key\" ON \"enterprise\".\"dataset_uploads\"  (\"tenant_id\", \"idempotency_key\") ");
    await q.query("CREATE TABLE \"enterprise\".\"dataset_upload_chunks\" (\"upload_id\" uuid NOT NULL, \"chunk_index\" integer NOT NULL, \"chunk_offset\" bigint NOT NULL, \"bytes\" bigint NOT NULL, \"blob_key\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"pk_dataset_upload_chunks\" PRIMARY KEY (\"upload_id\", \"chunk_index\"))");
    await q.query("ALTER TABLE \"enterprise\".\"dataset_uploads\" ADD CONSTRAINT \"fk_dataset_uploads_dataset\" FOREIGN KEY (\"dataset_id\") REFERENCES \"enterprise\".\"datasets\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await q.query("ALTER TABLE \"enterprise\".\"dataset_upload_chunks\" ADD CONSTRAINT \"fk_dataset_upload_chunks_upload\" FOREIGN KEY (\"upload_id\") REFERENCES \"enterprise\".\"dataset_uploads\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("ALTER TABLE \"enterprise\".\"dataset_upload_chunks\" DROP CONSTRAINT \"fk_dataset_upload_chunks_upload\"");
    await q.query("ALTER TABLE \"enterprise\".\"dataset_uploads\" DROP CONSTRAINT \"fk_dataset_uploads_dataset\"");
    await q.query("DROP TABLE \"enterprise\".\"dataset_upload_chunks\"");
    await q.query("DROP INDEX \"enterprise\".\"ux_dataset_uploads_tenant_idempotency_key\"");
    await q.query("DROP INDEX \"enterprise\".\"ix_dataset_uploads_status_updated\"");
    await q.query("DROP TABLE \"enterprise\".\"dataset_uploads\"");
  }
}
