import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The chance a planted canary is answered right by luck (1 / the labels its label was drawn from), kept with the
 * canary: the verifier's null hypothesis. Rows planted before have none; the verifier then falls back to 1 / the
 * distinct labels among the canaries (which can overstate the chance when a label was never drawn).
 */
export class CanaryChance1796300000000 implements MigrationInterface {
  name = 'CanaryChance1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "enterprise"."dataset_canaries" ADD "chance" double precision');
    await q.query('ALTER TABLE "enterprise"."dataset_canaries" ADD CONSTRAINT "ck_dataset_canaries_chance" CHECK ("chance" IS NULL OR ("chance" > 0 AND "chance" < 1))');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE "enterprise"."dataset_canaries" DROP CONSTRAINT "ck_dataset_canaries_chance"');
    await q.query('ALTER TABLE "enterprise"."dataset_canaries" DROP COLUMN "chance"');
  }
}
