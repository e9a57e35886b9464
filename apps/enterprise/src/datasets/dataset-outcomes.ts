import type { AuditLog } from '@confide/audit';
import { auditActor } from '@confide/audit';
import type { DatasetDto, ValidationReportDto } from '@confide/contracts';
import { DatasetError, meterUpload, type ValidationReport } from '@confide/datasets';
import type { Readable } from 'node:stream';
import type { Principal } from '@confide/domain';
import { wrappedDekToString, type WrappedDek } from '@confide/envelope';
import type { DatasetRecord, DatasetRepository, WrappedDatasetKey } from '@confide/persistence';
import type { DataSource } from 'typeorm';

/**
 * What every upload path (TEE sealing, FHE encryption) records the same way: the validation report as the API
 * shows it, wrapped keys as rows, and an invalid dataset with its report and audit entry.
 */
export function validationReportDto(r: ValidationReport): ValidationReportDto {
  return {
    ok: r.ok,
    format: r.format,
    lines: r.lines,
    bytes: r.bytes,
    records: r.records,
    valid_records: r.validRecords,
    skipped_records: r.skippedRecords,
    errors: r.errors,
    warnings: r.warnings,
    issue_counts: { ...r.issueCounts } as Record<string, number>,
    issues: r.issues.map((i) => ({ code: i.code, severity: i.severity, line: i.line, ...(i.field ? { field: i.field } : {}) })),
    issues_truncated: r.issuesTruncated,
  };
}

/** The row an upload starts as: `processing`, nothing counted yet, no blob; the upload fills it in when it succeeds. */
export function processingRow(
  p: Principal,
  d: Pick<DatasetRecord, 'id' | 'name' | 'format' | 'protection' | 'policy' | 'operators' | 'idempotencyKey'>,
): DatasetRecord {
  const now = new Date();
  return {
    ...d,
    tenantId: p.tenantId,
    status: 'processing',
    contentSha256: null,
    bytes: 0,
    records: 0,
    validRecords: 0,
    skippedRecords: 0,
    blobKey: null,
    sealedBytes: null,
    createdBy: p.subject,
    createdAt: now,
    updatedAt: now,
  };
}

export function wrappedKeyRow(purpose: WrappedDatasetKey['purpose'], w: WrappedDek): WrappedDatasetKey {
  return { purpose, keyId: w.keyId, keyVersion: w.keyVersion, kekId: w.kekId, kekVersion: w.kekVersion, wrapped: wrappedDekToString(w) };
}

/** Marks the dataset invalid with its report (and audits it) in one transaction, then throws the client's error. */
export async function recordInvalidDataset(
  deps: { ds: DataSource; repo: DatasetRepository; audit: AuditLog },
  p: Principal,
  id: string,
  upload: { sha256: string; bytes: number },
  r: ValidationReport,
): Promise<never> {
  await deps.ds.transaction(async (em) => {
    await deps.repo.complete(em, p.tenantId, id, {
      status: 'invalid',
      format: r.format,
      contentSha256: upload.sha256,
      bytes: upload.bytes,
      records: r.records,
      validRecords: r.validRecords,
      skippedRecords: r.skippedRecords,
      blobKey: null,
      sealedBytes: null,
      report: { ok: false, body: validationReportDto(r) },
      findings: [],
      canaries: [],
    });
    await deps.audit.append(em, {
      tenantId: p.tenantId,
      actor: auditActor(p),
      action: 'dataset.invalid',
      resource: { type: 'dataset', id },
      outcome: 'failure',
      reason: 'dataset_invalid',
      details: { errors: r.errors, warnings: r.warnings, codes: Object.keys(r.issueCounts).sort().join(',') },
    });
  });
  throw new DatasetError('dataset_invalid', `the dataset has ${r.errors} error(s); it was recorded as invalid with its report`, undefined, undefined, {
    datasetId: id,
    issues: r.issues.slice(0, 50).map((i) => ({ line: i.line, code: i.code, ...(i.field ? { field: i.field } : {}) })),
  });
}

/** A dataset row as the API shows it (without its report and findings). */
export function datasetDto(d: DatasetRecord): DatasetDto {
  return {
    id: d.id,
    object: 'dataset',
    name: d.name,
    status: d.status,
    format: d.format,
    protection: d.protection,
    policy: d.policy,
    operators: { ...d.operators },
    bytes: d.bytes,
    records: d.records,
    valid_records: d.validRecords,
    skipped_records: d.skippedRecords,
    sealed_bytes: d.sealedBytes,
    content_sha256: d.contentSha256,
    created_at: Math.floor(d.createdAt.getTime() / 1000),
    updated_at: Math.floor(d.updatedAt.getTime() / 1000),
  };
}

/** Where a dataset's blobs live: TEE datasets one sealed blob; FHE datasets ciphertexts, key bundle and sealed holdout. */
export function datasetBlobKeys(id: string): { sealed: string; fhe: { ciphertexts: string; bundle: string; holdout: string } } {
  return {
    sealed: `datasets/${id}/v1.sealed`,
    fhe: { ciphertexts: `datasets/${id}/fhe/ciphertexts.bin`, bundle: `datasets/${id}/fhe/bundle.bin`, holdout: `datasets/${id}/fhe/holdout.sealed` },
  };
}

/** How often a streaming upload marks its `processing` row alive, and how long a silent one is left before sweeping. */
export const UPLOAD_HEARTBEAT_MS = 30_000;
export const UPLOAD_ABANDONED_AFTER_MS = 5 * 60_000;

/**
 * Passes the upload body through, moving its `processing` row's updated_at every UPLOAD_HEARTBEAT_MS while it streams,
 * so the abandoned-upload sweeper can tell a live upload (on any replica) from one whose process died.
 */
export async function* withUploadHeartbeat<T>(source: AsyncIterable<T>, repo: DatasetRepository, tenantId: string, id: string, intervalMs = UPLOAD_HEARTBEAT_MS): AsyncGenerator<T> {
  const timer = setInterval(() => void repo.touchProcessing(tenantId, id).catch(() => undefined), intervalMs);
  timer.unref();
  try {
    yield* source;
  } finally {
    clearInterval(timer);
  }
}

/** Idempotency-Key on dataset uploads (TEE and FHE alike): 8-128 characters of [A-Za-z0-9._:-]. */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

export function assertIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw new DatasetError('idempotency_key_reused', 'Idempotency-Key must be 8-128 characters of [A-Za-z0-9._:-]', 'Idempotency-Key');
  }
}

export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; driverError?: { code?: string } };
  return err?.code === '23505' || err?.driverError?.code === '23505';
}

/**
 * A retry with the Idempotency-Key of an earlier upload: the body must be the same bytes (compared by SHA-256 while
 * streaming it through the same size limit) sent with the same protection, and the stored dataset is returned. A key
 * whose upload is still running answers upload_in_progress.
 */
export async function replayUpload<T>(
  existing: DatasetRecord,
  protection: DatasetRecord['protection'],
  body: Readable,
  maxBytes: number,
  dataset: () => Promise<T>,
): Promise<{ dataset: T; replayed: true }> {
  if (existing.status === 'processing') throw new DatasetError('upload_in_progress', 'an upload with this Idempotency-Key is in progress');
  const meter = meterUpload(body, maxBytes);
  for await (const _chunk of meter.source) {
    // hashing only
  }
  if (meter.sha256() !== existing.contentSha256 || existing.protection !== protection) {
    throw new DatasetError('idempotency_key_reused', 'this Idempotency-Key was used for a different file', 'Idempotency-Key');
  }
  return { dataset: await dataset(), replayed: true };
}
