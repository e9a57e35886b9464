import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Jobs1795611202821 implements MigrationInterface {
  name = 'Jobs1795611202821';

  async up(q: QueryRunner): Promise<void> {
    await q.query("CREATE TABLE \"enterprise\".\"fine_tuning_jobs\" (\"id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"status\" text NOT NULL, \"phase\" text NOT NULL, \"trainer\" text NOT NULL, \"model\" text NOT NULL, \"training_file\" uuid NOT NULL, \"validation_file\" uuid, \"seed\" integer, \"suffix\" text, \"hyperparameters\" jsonb NOT NULL, \"metadata\" jsonb, \"privacy\" jsonb NOT NULL, \"placement\" jsonb NOT NULL, \"verification\" jsonb NOT NULL, \"budget\" jsonb NOT NULL, \"lease_epoch\" integer NOT NULL DEFAULT '0', \"leased\" boolean NOT NULL DEFAULT false, \"cancel_requested\" boolean NOT NULL DEFAULT false, \"infra_failures\" integer NOT NULL DEFAULT '0', \"user_failures\" integer NOT NULL DEFAULT '0', \"preemptions\" integer NOT NULL DEFAULT '0', \"priority\" integer NOT NULL DEFAULT '0', \"queued_at\" TIMESTAMP WITH TIME ZONE, \"not_before\" TIMESTAMP WITH TIME ZONE, \"event_seq\" integer NOT NULL DEFAULT '0', \"error\" jsonb, \"fine_tuned_model\" text, \"result_files\" jsonb NOT NULL, \"trained_tokens\" integer, \"created_by\" text NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"finished_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"pk_fine_tuning_jobs\" PRIMARY KEY (\"id\"))");
    await q.query("CREATE INDEX \"ix_fine_tuning_jobs_queue\" ON \"enterprise\".\"fine_tuning_jobs\"  (\"priority\", \"queued_at\") WHERE status = 'queued'");
    await q.query("CREATE INDEX \"ix_fine_tuning_jobs_tenant_created\" ON \"enterprise\".\"fine_tuning_jobs\"  (\"tenant_id\", \"created_at\", \"id\") ");
    await q.query("CREATE TABLE \"enterprise\".\"job_checkpoints\" (\"id\" uuid NOT NULL, \"job_id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"lease_epoch\" integer NOT NULL, \"step_number\" integer NOT NULL, \"metrics\" jsonb NOT NULL, \"artifact_sha256\" text, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"pk_job_checkpoints\" PRIMARY KEY (\"id\"))");
    await q.query("CREATE UNIQUE INDEX \"ux_job_checkpoints_job_step\" ON \"enterprise\".\"job_checkpoints\"  (\"job_id\", \"step_number\") ");
    await q.query("CREATE TABLE \"enterprise\".\"job_events\" (\"id\" uuid NOT NULL, \"job_id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"seq\" integer NOT NULL, \"level\" text NOT NULL, \"type\" text NOT NULL, \"message\" text NOT NULL, \"data\" jsonb NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"pk_job_events\" PRIMARY KEY (\"id\"))");
    await q.query("CREATE UNIQUE INDEX \"ux_job_events_job_seq\" ON \"enterprise\".\"job_events\"  (\"job_id\", \"seq\") ");
    await q.query("CREATE TABLE \"enterprise\".\"job_idempotency_keys\" (\"tenant_id\" text NOT NULL, \"key\" text NOT NULL, \"request_sha256\" text NOT NULL, \"job_id\" uuid NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"expires_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"pk_job_idempotency_keys\" PRIMARY KEY (\"tenant_id\", \"key\"))");
    await q.query("CREATE TABLE \"scheduler\".\"nodes\" (\"id\" uuid NOT NULL, \"name\" text NOT NULL, \"operator_tenant_id\" text NOT NULL, \"operator_subject\" text NOT NULL, \"provider\" text NOT NULL, \"region\" text NOT NULL, \"gpu_model\" text NOT NULL, \"gpu_count\" integer NOT NULL, \"gpu_memory_gb\" integer NOT NULL, \"tee_type\" text NOT NULL, \"hourly_price\" double precision NOT NULL, \"interruptible\" boolean NOT NULL DEFAULT false, \"max_concurrent_leases\" integer NOT NULL DEFAULT '1', \"active_leases\" integer NOT NULL DEFAULT '0', \"state\" text NOT NULL, \"identity_jkt\" text NOT NULL, \"identity_jwk\" jsonb NOT NULL, \"attestation_verified\" boolean NOT NULL DEFAULT false, \"attestation_simulated\" boolean NOT NULL DEFAULT false, \"measurement\" text, \"reliability\" double precision NOT NULL, \"available_until\" TIMESTAMP WITH TIME ZONE, \"registered_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"last_seen_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"pk_nodes\" PRIMARY KEY (\"id\"))");
    await q.query("CREATE INDEX \"ix_nodes_placement\" ON \"scheduler\".\"nodes\"  (\"state\", \"tee_type\", \"hourly_price\") ");
    await q.query("CREATE UNIQUE INDEX \"ux_nodes_identity_jkt\" ON \"scheduler\".\"nodes\"  (\"identity_jkt\") ");
    await q.query("CREATE TABLE \"scheduler\".\"leases\" (\"id\" uuid NOT NULL, \"job_id\" uuid NOT NULL, \"tenant_id\" text NOT NULL, \"node_id\" uuid NOT NULL, \"epoch\" integer NOT NULL, \"state\" text NOT NULL, \"hourly_price\" double precision NOT NULL, \"candidates_considered\" integer NOT NULL DEFAULT '0', \"granted_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"expires_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"last_heartbeat_at\" TIMESTAMP WITH TIME ZONE, \"acknowledged\" boolean NOT NULL DEFAULT false, \"ended_at\" TIMESTAMP WITH TIME ZONE, \"end_reason\" text, CONSTRAINT \"pk_leases\" PRIMARY KEY (\"id\"))");
    await q.query("CREATE INDEX \"ix_leases_node_state\" ON \"scheduler\".\"leases\"  (\"node_id\", \"state\") ");
    await q.query("CREATE INDEX \"ix_leases_active_expiry\" ON \"scheduler\".\"leases\"  (\"expires_at\") WHERE state = 'active'");
    await q.query("CREATE UNIQUE INDEX \"ux_leases_one_active_per_job\" ON \"scheduler\".\"leases\"  (\"job_id\") WHERE state = 'active'");
    await q.query("CREATE UNIQUE INDEX \"ux_leases_job_epoch\" ON \"scheduler\".\"leases\"  (\"job_id\", \"epoch\") ");
    await q.query("CREATE TABLE \"scheduler\".\"node_reputation\" (\"node_id\" uuid NOT NULL, \"completed\" integer NOT NULL DEFAULT '0', \"user_failed\" integer NOT NULL DEFAULT '0', \"infra_failed\" integer NOT NULL DEFAULT '0', \"lost\" integer NOT NULL DEFAULT '0', \"preempted\" integer NOT NULL DEFAULT '0', \"cancelled\" integer NOT NULL DEFAULT '0', \"verification_failed\" integer NOT NULL DEFAULT '0', \"score\" double precision NOT NULL, \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"pk_node_reputation\" PRIMARY KEY (\"node_id\"))");
    await q.query("CREATE TABLE \"scheduler\".\"proof_replays\" (\"key\" text NOT NULL, \"expires_at\" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT \"pk_proof_replays\" PRIMARY KEY (\"key\"))");
    await q.query("CREATE INDEX \"ix_proof_replays_expires\" ON \"scheduler\".\"proof_replays\"  (\"expires_at\") ");
    await q.query("ALTER TABLE \"enterprise\".\"job_checkpoints\" ADD CONSTRAINT \"fk_job_checkpoints_job\" FOREIGN KEY (\"job_id\") REFERENCES \"enterprise\".\"fine_tuning_jobs\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await q.query("ALTER TABLE \"enterprise\".\"job_events\" ADD CONSTRAINT \"fk_job_events_job\" FOREIGN KEY (\"job_id\") REFERENCES \"enterprise\".\"fine_tuning_jobs\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await q.query("ALTER TABLE \"scheduler\".\"leases\" ADD CONSTRAINT \"fk_leases_node\" FOREIGN KEY (\"node_id\") REFERENCES \"scheduler\".\"nodes\"(\"id\") ON DELETE RESTRICT ON UPDATE NO ACTION");
    await q.query("ALTER TABLE \"scheduler\".\"node_reputation\" ADD CONSTRAINT \"fk_node_reputation_node\" FOREIGN KEY (\"node_id\") REFERENCES \"scheduler\".\"nodes\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query("ALTER TABLE \"scheduler\".\"node_reputation\" DROP CONSTRAINT \"fk_node_reputation_node\"");
    await q.query("ALTER TABLE \"scheduler\".\"leases\" DROP CONSTRAINT \"fk_leases_node\"");
    await q.query("ALTER TABLE \"enterprise\".\"job_events\" DROP CONSTRAINT \"fk_job_events_job\"");
    await q.query("ALTER TABLE \"enterprise\".\"job_checkpoints\" DROP CONSTRAINT \"fk_job_checkpoints_job\"");
    await q.query("DROP INDEX \"scheduler\".\"ix_proof_replays_expires\"");
    await q.query("DROP TABLE \"scheduler\".\"proof_replays\"");
    await q.query("DROP TABLE \"scheduler\".\"node_reputation\"");
    await q.query("DROP INDEX \"scheduler\".\"ux_leases_job_epoch\"");
    await q.query("DROP INDEX \"scheduler\".\"ux_leases_one_active_per_job\"");
    await q.query("DROP INDEX \"scheduler\".\"ix_leases_active_expiry\"");
    await q.query("DROP INDEX \"scheduler\".\"ix_leases_node_state\"");
    await q.query("DROP TABLE \"scheduler\".\"leases\"");
    await q.query("DROP INDEX \"scheduler\".\"ux_nodes_identity_jkt\"");
    await q.query("DROP INDEX \"scheduler\".\"ix_nodes_placement\"");
    await q.query("DROP TABLE \"scheduler\".\"nodes\"");
    await q.query("DROP TABLE \"enterprise\".\"job_idempotency_keys\"");
    await q.query("DROP INDEX \"enterprise\".\"ux_job_events_job_seq\"");
    await q.query("DROP TABLE \"enterprise\".\"job_events\"");
    await q.query("DROP INDEX \"enterprise\".\"ux_job_checkpoints_job_step\"");
    await q.query("DROP TABLE \"enterprise\".\"job_checkpoints\"");
    await q.query("DROP INDEX \"enterprise\".\"ix_fine_tuning_jobs_tenant_created\"");
    await q.query("DROP INDEX \"enterprise\".\"ix_fine_tuning_jobs_queue\"");
    await q.query("DROP TABLE \"enterprise\".\"fine_tuning_jobs\"");
  }
}
