import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Sampled replay of fhe-logreg iterations on a second node, and the per-run sampling key and output digest. */
export class FheReplays1795613400000 implements MigrationInterface {
  name = 'FheReplays1795613400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query("ALTER TABLE \"enterprise\".\"fhe_jobs\" ADD \"replay_salt\" bytea");
    await q.query("ALTER TABLE \"enterprise\".\"fhe_jobs\" ADD \"output_sha256\" text");
    await q.query("CREATE TABLE \"enterprise\".\"fhe_replays\" (\"id\" uuid NOT NULL, \"job_id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"dataset_id\" uuid NOT NULL, \"lease_epoch\" integer NOT NULL, \"iteration\" integer NOT NULL, \"learning_rate\" double precision NOT NULL, \"original_node_id\" uuid NOT NULL, \"input_blob_key\" text NOT NULL, \"output_sha256\" text NOT NULL, \"state\" text NOT NULL, \"replay_node_id\" uuid, \"claimed_until\" TIMESTAMP WITH TIME ZONE, \"replay_sha256\" text, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"resolved_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"pk_fhe_replays\" PRIMARY KEY (\"id\"))");
    await q.query("CREATE UNIQUE INDEX \"ux_fhe_replays_job_epoch_iteration\" ON \"enterprise\".\"fhe_replays\" (\"job_id\", \"lease_epoch\", \"iteration\") ");
    await q.query("CREATE INDEX \"ix_fhe_replays_state\" ON \"enterprise\".\"fhe_replays\" (\"state\", \"created_at\") ");
    await q.query("ALTER TABLE \"enterprise\".\"fhe_replays\" ADD CONSTRAINT \"fk_fhe_replays_job\" FOREIGN KEY (\"job_id\") REFERENCES \"enterprise\".\"fine_tuning_jobs\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("ALTER TABLE \"enterprise\".\"fhe_replays\" DROP CONSTRAINT \"fk_fhe_replays_job\"");
    await q.query("DROP INDEX \"enterprise\".\"ix_fhe_replays_state\"");
    await q.query("DROP INDEX \"enterprise\".\"ux_fhe_replays_job_epoch_iteration\"");
    await q.query("DROP TABLE \"enterprise\".\"fhe_replays\"");
    await q.query("ALTER TABLE \"enterprise\".\"fhe_jobs\" DROP COLUMN \"output_sha256\"");
    await q.query("ALTER TABLE \"enterprise\".\"fhe_jobs\" DROP COLUMN \"replay_salt\"");
  }
}
