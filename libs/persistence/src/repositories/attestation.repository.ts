import type { DataSource, EntityManager } from 'typeorm';
import { AttestationNonceEntity } from '../entities/attestation-nonce.entity.js';
import { AttestationReportEntity } from '../entities/attestation-report.entity.js';

export interface IssuedNonce {
  readonly id: string;
  readonly expiresAt: Date;
}

export interface ConsumedNonce {
  readonly id: string;
  readonly tenantId: string;
  readonly jobId: string;
  readonly leaseEpoch: number;
}

/** Why a nonce could not be consumed, judged by the database clock. */
export type NonceRefusal = 'nonce_unknown' | 'nonce_expired' | 'nonce_reused';

export interface AttestationReportRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly nonceId: string;
  readonly jobId: string;
  readonly leaseEpoch: number;
  readonly status: string;
  readonly teeType: string | null;
  readonly simulated: boolean;
  readonly reasons: unknown[];
  readonly evidence: Record<string, unknown>;
  readonly claims: Record<string, unknown> | null;
  readonly policy: Record<string, unknown>;
  readonly policyId: string;
  readonly policyHash: string;
  readonly teePublicJwk: Record<string, unknown>;
  readonly teeKeyThumbprint: string;
  readonly submittedBy: string;
  readonly createdAt: Date;
}

/** Challenge nonces and attestation reports of the attestation service. */
export class AttestationRepository {
  constructor(private readonly ds: DataSource) {}

  /** Stores a nonce's hash with an expiry of `ttlSeconds` from the database's now(). */
  async issueNonce(
    em: EntityManager,
    nonce: { id: string; tenantId: string; nonceHash: Buffer; jobId: string; leaseEpoch: number; requestedBy: string; ttlSeconds: number },
  ): Promise<IssuedNonce> {
    const rows = (await em.query(
      `INSERT INTO "attestation"."nonces" ("id", "tenant_id", "nonce_hash", "job_id", "lease_epoch", "requested_by", "created_at", "expires_at")
       VALUES ($1, $2, $3, $4, $5, $6, now(), now() + make_interval(secs => $7)) RETURNING "expires_at"`,
      [nonce.id, nonce.tenantId, nonce.nonceHash, nonce.jobId, nonce.leaseEpoch, nonce.requestedBy, nonce.ttlSeconds],
    )) as Array<{ expires_at: Date | string }>;
    return { id: nonce.id, expiresAt: new Date(rows[0]!.expires_at) };
  }

  /**
   * Consumes a nonce of `tenantId` atomically: one conditional UPDATE, so of two concurrent callers exactly one wins.
   * On refusal, says why (a second read, for the audit entry only).
   */
  async consumeNonce(em: EntityManager, tenantId: string, nonceHash: Buffer): Promise<ConsumedNonce | NonceRefusal> {
    const result = (await em.query(
      `UPDATE "attestation"."nonces" SET "consumed_at" = now()
        WHERE "nonce_hash" = $1 AND "tenant_id" = $2 AND "consumed_at" IS NULL AND "expires_at" > now()
        RETURNING "id", "tenant_id", "job_id", "lease_epoch"`,
      [nonceHash, tenantId],
    )) as unknown;
    // pg returns [rows, count] for UPDATE ... RETURNING through TypeORM; PGlite returns rows.
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as Array<{ id: string; tenant_id: string; job_id: string; lease_epoch: string | number }>;
    const row = rows[0];
    if (row) return { id: row.id, tenantId: row.tenant_id, jobId: row.job_id, leaseEpoch: Number(row.lease_epoch) };
    const seen = (await em.query(
      `SELECT "consumed_at" IS NOT NULL AS "consumed", "expires_at" <= now() AS "expired" FROM "attestation"."nonces" WHERE "nonce_hash" = $1 AND "tenant_id" = $2`,
      [nonceHash, tenantId],
    )) as Array<{ consumed: boolean; expired: boolean }>;
    const s = seen[0];
    if (!s) return 'nonce_unknown';
    return s.consumed ? 'nonce_reused' : 'nonce_expired';
  }

  async insertReport(em: EntityManager, report: Omit<AttestationReportRecord, 'createdAt'>): Promise<AttestationReportRecord> {
    const repo = em.getRepository(AttestationReportEntity);
    await repo.save(Object.assign(new AttestationReportEntity(), report));
    return (await repo.findOneByOrFail({ id: report.id })) as AttestationReportRecord;
  }

  /** A report of `tenantId`; another tenant's report is indistinguishable from a missing one. */
  findReport(tenantId: string, id: string, em?: EntityManager): Promise<AttestationReportRecord | null> {
    return (em ?? this.ds.manager).getRepository(AttestationReportEntity).findOneBy({ tenantId, id }) as Promise<AttestationReportRecord | null>;
  }

  /** Reports of a tenant, newest first. */
  listReports(tenantId: string, limit: number): Promise<AttestationReportRecord[]> {
    return this.ds.getRepository(AttestationReportEntity).find({ where: { tenantId }, order: { createdAt: 'DESC' }, take: limit }) as Promise<
      AttestationReportRecord[]
    >;
  }

  /** Test and ops helper: the nonce row by id (never exposes the nonce itself, only its hash). */
  /** Attestation reports made for one job (every lease epoch), oldest first. */
  listReportsForJob(tenantId: string, jobId: string): Promise<AttestationReportRecord[]> {
    return this.ds.getRepository(AttestationReportEntity).find({ where: { tenantId, jobId }, order: { createdAt: 'ASC' } }) as Promise<AttestationReportRecord[]>;
  }

  findNonce(id: string): Promise<AttestationNonceEntity | null> {
    return this.ds.getRepository(AttestationNonceEntity).findOneBy({ id });
  }
}
