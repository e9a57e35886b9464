import type { MigrationInterface, QueryRunner } from 'typeorm';

/** FHE datasets (CKKS material, sealed secret key and holdout references) and the owner-side state of fhe-logreg jobs. */
export class FheDatasets1795612800000 implements MigrationInterface {
  name = 'FheDatasets1795612800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query("CREATE TABLE \"enterprise\".\"fhe_datasets\" (\"dataset_id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"parameters\" jsonb NOT NULL, \"layout\" jsonb NOT NULL, \"feature_definition\" jsonb NOT NULL, \"label\" jsonb NOT NULL, \"split\" jsonb NOT NULL, \"row_norm_bound\" double precision NOT NULL, \"ciphertexts_blob_key\" text NOT NULL, \"ciphertexts_bytes\" integer NOT NULL, \"bundle_blob_key\" text NOT NULL, \"bundle_bytes\" integer NOT NULL, \"holdout_blob_key\" text NOT NULL, \"sealed_secret_key\" bytea NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"pk_fhe_datasets\" PRIMARY KEY (\"dataset_id\"))");
    await q.query("CREATE TABLE \"enterprise\".\"fhe_jobs\" (\"job_id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"dataset_id\" uuid NOT NULL, \"iterations\" integer NOT NULL, \"learning_rate\" double precision NOT NULL, \"completed_iterations\" integer NOT NULL DEFAULT '0', \"lease_epoch\" integer NOT NULL, \"weights\" jsonb NOT NULL, \"state\" text NOT NULL, \"holdout_accuracy\" double precision, \"baseline_accuracy\" double precision, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"pk_fhe_jobs\" PRIMARY KEY (\"job_id\"))");
    await q.query("ALTER TABLE \"enterprise\".\"fhe_datasets\" ADD CONSTRAINT \"fk_fhe_datasets_dataset\" FOREIGN KEY (\"dataset_id\") REFERENCES \"enterprise\".\"datasets\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await q.query("ALTER TABLE \"enterprise\".\"fhe_jobs\" ADD CONSTRAINT \"fk_fhe_jobs_job\" FOREIGN KEY (\"job_id\") REFERENCES \"enterprise\".\"fine_tuning_jobs\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("ALTER TABLE \"enterprise\".\"fhe_jobs\" DROP CONSTRAINT \"fk_fhe_jobs_job\"");
    await q.query("ALTER TABLE \"enterprise\".\"fhe_datasets\" DROP CONSTRAINT \"fk_fhe_datasets_dataset\"");
    await q.query("DROP TABLE \"enterprise\".\"fhe_jobs\"");
    await q.query("DROP TABLE \"enterprise\".\"fhe_datasets\"");
  }
}
