import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { auditActor, AuditLog } from '@confide/audit';
import type { CreateDatasetQuery, DatasetDto, DatasetListDto, DatasetListQuery, DatasetPiiDto, ValidationReportDto } from '@confide/contracts';
import {
  assertPolicyName,
  buildProtectionPolicy,
  DatasetError,
  DatasetProcessor,
  describePolicy,
  meterUpload,
  normaliseDatasetName,
  type PiiSummary,
} from '@confide/datasets';
import type { Principal } from '@confide/domain';
import { sealIterable, wrappedDekToString, type DataKey, type WrappedDek } from '@confide/envelope';
import { DATASET_KEY_REGISTRY, type DatasetKeyRegistry } from '@confide/keybroker';
import { DatasetRepository, type PiiFindingRecord } from '@confide/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import {
  assertIdempotencyKey,
  datasetBlobKeys,
  datasetDto,
  isUniqueViolation,
  processingRow,
  recordInvalidDataset,
  replayUpload,
  validationReportDto,
  withUploadHeartbeat,
  wrappedKeyRow,
} from './dataset-outcomes.js';
import { DATASET_STORAGE, type DatasetStorage } from './dataset-storage.js';

export interface UploadMeta {
  readonly query: CreateDatasetQuery;
  readonly contentType: string;
  readonly contentLength: number | undefined;
  readonly contentEncoding: string | undefined;
  readonly idempotencyKey: string | undefined;
}

export interface CreateResult {
  readonly dataset: DatasetDto;
  readonly replayed: boolean;
}

/**
 * The dataset flow (DESIGN §5.1): stream → validate → scan → protect → seal, in one pass. The row is `processing`
 * while the upload streams and ends `ready` (sealed blob stored) or `invalid` (report only). Any other failure
 * removes the row, its keys and the blob: nothing is half-ingested.
 */
@Injectable()
export class DatasetsService {
  private readonly repo: DatasetRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(DATASET_STORAGE) private readonly storage: DatasetStorage,
    // The key broker's registry (DatasetKeyRegistryModule, imported by DatasetsModule): required, so a deployment
    // whose enterprise app runs on its own still registers every TEE dataset's seal key.
    @Inject(DATASET_KEY_REGISTRY) private readonly keyRegistry: DatasetKeyRegistry,
  ) {
    this.repo = new DatasetRepository(ds);
  }

  async create(p: Principal, body: Readable, meta: UploadMeta): Promise<CreateResult> {
    const q = meta.query;
    // FHE uploads are routed to FheDatasetsService by the controller; this service seals for TEE jobs.
    if (q.protection === 'fhe') throw new Error('protection=fhe reached the TEE dataset service');
    if (meta.contentEncoding && meta.contentEncoding !== 'identity') {
      throw new DatasetError('compressed_upload_not_supported', 'compressed uploads are not accepted; send the file without Content-Encoding');
    }
    const max = this.storage.maxUploadBytes;
    if (meta.contentLength !== undefined && meta.contentLength > max) throw new DatasetError('upload_too_large', `the upload exceeds the limit of ${max} bytes`);
    const name = normaliseDatasetName(q.filename ?? 'dataset');
    const policyName = assertPolicyName(q.policy);
    const policy = buildProtectionPolicy(q.protect ?? {});
    const format = q.format ?? (meta.contentType === 'text/csv' ? 'csv' : 'jsonl');
    assertIdempotencyKey(meta.idempotencyKey);
    if (meta.idempotencyKey) {
      const existing = await this.repo.findByIdempotencyKey(p.tenantId, meta.idempotencyKey);
      if (existing) return replayUpload(existing, 'tee', body, this.storage.maxUploadBytes, () => this.get(p, existing.id));
    }

    const id = randomUUID();
    const binding = { tenantId: p.tenantId, datasetId: id };
    const seal = await this.storage.keyring.generateDek(binding, { keyId: `ds.${id}.seal` });
    let protect: { dek: DataKey; wrapped: WrappedDek } | undefined;
    try {
      protect = await this.storage.keyring.generateDek({ tenantId: p.tenantId, datasetId: `${id}#protect` }, { keyId: `ds.${id}.protect` });
      const row = processingRow(p, {
        id,
        name,
        format: format === 'jsonl' ? null : format,
        protection: q.protection,
        policy: policyName,
        operators: describePolicy(policy),
        idempotencyKey: meta.idempotencyKey ?? null,
      });
      await this.ds
        .transaction(async (em) => {
          await this.repo.insertProcessing(em, row, [wrappedKeyRow('seal', seal.wrapped), wrappedKeyRow('protect', protect!.wrapped)]);
          await this.audit.append(em, {
            tenantId: p.tenantId,
            actor: auditActor(p),
            action: 'dataset.create',
            resource: { type: 'dataset', id },
            outcome: 'success',
            details: { format, protection: q.protection, policy: policyName, key_id: seal.wrapped.keyId, key_version: seal.wrapped.keyVersion, skip_invalid: q.skip_invalid },
            sensitive: { name },
          });
        })
        .catch((e: unknown) => {
          if (meta.idempotencyKey && isUniqueViolation(e)) throw new DatasetError('upload_in_progress', 'an upload with this Idempotency-Key is in progress');
          throw e;
        });

      const blobKey = datasetBlobKeys(id).sealed;
      const meter = meterUpload(body, max);
      const secret = protect.dek.exportBytes();
      let processor: DatasetProcessor;
      try {
        processor = new DatasetProcessor({
          format,
          policy,
          secret,
          analyzer: this.storage.analyzer,
          skipInvalid: q.skip_invalid,
          minExamples: q.min_examples,
          canaries: q.canaries,
          tempDir: this.storage.tempDir,
        });
      } finally {
        secret.fill(0);
      }
      let sealedBytes: number;
      // The blob store wraps whatever its source throws; keep the pipeline's own error to answer with.
      let sourceError: unknown;
      // The processor plants the canaries (libs/canary) that are checked on a returned model before a job succeeds.
      const repo = this.repo;
      async function* protectedStream(): AsyncGenerator<Buffer> {
        try {
          yield* processor.process(withUploadHeartbeat(meter.source, repo, p.tenantId, id));
        } catch (e) {
          sourceError = e;
          throw e;
        }
      }
      try {
        // consumeInput: the processor's output chunks are fresh buffers nothing reads after yielding, so they are sealed
        // in place (no allocation per segment on the native AES-GCM path).
        const put = await this.storage.blobs.put(blobKey, sealIterable(protectedStream(), { dek: seal.dek, context: binding, consumeInput: true }));
        sealedBytes = put.bytes;
      } catch (caught) {
        const e = sourceError ?? caught;
        if (e instanceof DatasetError && e.code === 'dataset_invalid') {
          return await recordInvalidDataset({ ds: this.ds, repo: this.repo, audit: this.audit }, p, row.id, { sha256: meter.sha256(), bytes: meter.bytes() }, processor.report);
        }
        await this.discard(p, id, blobKey, e);
        throw e;
      }
      try {
        await this.ds.transaction(async (em) => {
          await this.repo.complete(em, p.tenantId, id, {
            status: 'ready',
            format: processor.report.format,
            contentSha256: meter.sha256(),
            bytes: meter.bytes(),
            records: processor.report.records,
            validRecords: processor.report.validRecords,
            skippedRecords: processor.report.skippedRecords,
            blobKey,
            sealedBytes,
            report: { ok: true, body: validationReportDto(processor.report) },
            findings: findingRows(processor.pii),
            canaries: processor.canaries.map((c) => ({ trigger: c.trigger, label: c.label, afterRecord: c.afterRecord, chance: c.chance })),
          });
          // Same transaction: the dataset is ready exactly when its seal key is releasable to attested enclaves.
          if (q.protection === 'tee') {
            await this.keyRegistry.registerSealKey(em, { tenantId: p.tenantId, datasetId: id, wrappedDek: wrappedDekToString(seal.wrapped), datasetPolicy: policyName, createdBy: p.subject });
          }
          await this.audit.append(em, {
            tenantId: p.tenantId,
            actor: auditActor(p),
            action: 'dataset.ready',
            resource: { type: 'dataset', id },
            outcome: 'success',
            details: {
              records: processor.report.validRecords,
              skipped: processor.report.skippedRecords,
              canaries: processor.canaries.length,
              pii_findings: Object.values(processor.pii.totals).reduce((a, b) => a + (b ?? 0), 0),
              sealed_bytes: sealedBytes,
              content_sha256: meter.sha256(),
            },
          });
        });
      } catch (e) {
        await this.discard(p, id, blobKey, e);
        throw e;
      }
      return { dataset: await this.get(p, id), replayed: false };
    } finally {
      seal.dek.destroy();
      protect?.dek.destroy();
    }
  }

  async get(p: Principal, id: string): Promise<DatasetDto> {
    const row = await this.repo.findForTenant(p.tenantId, id);
    if (!row) throw notFound();
    const [report, findings] = await Promise.all([this.repo.findReport(p.tenantId, id), this.repo.findPiiFindings(p.tenantId, id)]);
    return {
      ...datasetDto(row),
      ...(report ? { validation: report as unknown as ValidationReportDto } : {}),
      ...(row.status === 'ready' ? { pii: piiDto(id, findings) } : {}),
    };
  }

  async pii(p: Principal, id: string): Promise<DatasetPiiDto> {
    const row = await this.repo.findForTenant(p.tenantId, id);
    if (!row) throw notFound();
    return piiDto(id, await this.repo.findPiiFindings(p.tenantId, id));
  }

  async list(p: Principal, q: DatasetListQuery): Promise<DatasetListDto> {
    let before: { createdAt: Date; id: string } | undefined;
    if (q.after) {
      const anchor = await this.repo.findForTenant(p.tenantId, q.after);
      if (!anchor) throw notFound();
      before = { createdAt: anchor.createdAt, id: anchor.id };
    }
    const rows = await this.repo.listForTenant(p.tenantId, { limit: q.limit + 1, ...(q.status ? { status: q.status } : {}), ...(before ? { before } : {}) });
    return { object: 'list', data: rows.slice(0, q.limit).map(datasetDto), has_more: rows.length > q.limit };
  }

  /** Deletes the row, its wrapped keys (crypto-shredding the blob) and the blob, with an audit entry. */
  async delete(p: Principal, id: string): Promise<void> {
    let blobKey: string | null = null;
    await this.ds.transaction(async (em) => {
      const row = await this.repo.lockForTenant(em, p.tenantId, id);
      if (!row) throw notFound();
      if (row.status === 'processing') throw new DatasetError('upload_in_progress', 'the dataset is still being uploaded');
      blobKey = row.blobKey;
      await this.repo.deleteForTenant(em, p.tenantId, id);
      await this.audit.append(em, {
        tenantId: p.tenantId,
        actor: auditActor(p),
        action: 'dataset.delete',
        resource: { type: 'dataset', id },
        outcome: 'success',
        details: { status: row.status },
      });
    });
    if (blobKey) await this.storage.blobs.delete(blobKey);
  }

  /** Undoes a failed upload: the blob (if it was stored), then the row and its keys, with an audit entry of the failure. */
  private async discard(p: Principal, id: string, blobKey: string, cause: unknown): Promise<void> {
    await this.storage.blobs.delete(blobKey).catch(() => undefined);
    const reason = cause instanceof DatasetError ? cause.code : 'upload_failed';
    await this.ds.transaction(async (em: EntityManager) => {
      await this.repo.deleteForTenant(em, p.tenantId, id);
      await this.audit.append(em, {
        tenantId: p.tenantId,
        actor: auditActor(p),
        action: 'dataset.create',
        resource: { type: 'dataset', id },
        outcome: 'failure',
        reason,
        details: {},
      });
    });
  }
}

function notFound(): DatasetError {
  return new DatasetError('dataset_not_found', 'no dataset with this id');
}

function findingRows(s: PiiSummary): PiiFindingRecord[] {
  return s.fields.map((f) => ({ ...f }));
}

function piiDto(datasetId: string, rows: readonly PiiFindingRecord[]): DatasetPiiDto {
  const totals: Record<string, number> = {};
  for (const r of rows) totals[r.entity] = (totals[r.entity] ?? 0) + r.count;
  return {
    object: 'dataset.pii',
    dataset_id: datasetId,
    totals,
    fields: rows.map((r) => ({
      field: r.field,
      entity: r.entity,
      count: r.count,
      records: r.records,
      max_score: r.maxScore,
      mean_score: r.meanScore,
      masked_sample: r.maskedSample,
      sample_hash: r.sampleHash,
      operator: r.operator,
    })),
  };
}

