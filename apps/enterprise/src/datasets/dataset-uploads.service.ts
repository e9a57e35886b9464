import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { auditActor, AuditLog } from '@confide/audit';
import type { CreateDatasetQuery, CreateUpload, DatasetDto, UploadDto } from '@confide/contracts';
import { assertPolicyName, buildProtectionPolicy, DatasetError, normaliseDatasetName, refuseCompressed } from '@confide/datasets';
import { canonicalJson, DomainError, type Principal } from '@confide/domain';
import { EnvelopeError, openBuffer, openIterable, sealBuffer, sealIterable, wrappedDekToString, type DataKey, type EnvelopeErrorCode } from '@confide/envelope';
import { FheError } from '@confide/fhe';
import { DatasetRepository, DatasetUploadRepository, type DatasetUploadChunkRecord, type DatasetUploadRecord } from '@confide/persistence';
import { DataSource } from 'typeorm';
import { assertIdempotencyKey, isUniqueViolation } from './dataset-outcomes.js';
import { DATASET_STORAGE, type DatasetStorage } from './dataset-storage.js';
import { DatasetsService, type CreateResult, type UploadMeta } from './datasets.service.js';
import { FheDatasetsService } from '../fhe/fhe-datasets.service.js';

/** A staging upload without a committed chunk (or any other change) for this long is swept with its chunks. */
export const UPLOAD_EXPIRES_AFTER_MS = 24 * 3600_000;
/** Chunks per upload at most (8 MiB chunks reach the default 4 GiB limit in 512). */
export const MAX_UPLOAD_CHUNKS = 10_000;

/** The dataset created from an upload carries this Idempotency-Key: the unique index makes it exactly once. */
export const UPLOAD_DATASET_KEY_PREFIX = 'upload.';
const datasetKeyOf = (uploadId: string): string => `${UPLOAD_DATASET_KEY_PREFIX}${uploadId}`;

/** Where an upload's sealed chunks live; the whole folder goes when the upload ends. */
const uploadBlobPrefix = (id: string): string => `uploads/${id}`;

/** What each sealed piece of an upload is bound to (AAD via the sealed-blob context): tenant + upload + place. */
const keyBinding = (p: { tenantId: string }, id: string) => ({ tenantId: p.tenantId, datasetId: `upload:${id}` });
const optionsContext = (tenantId: string, id: string) => ({ tenantId, datasetId: `upload:${id}#options` });
const chunkContext = (tenantId: string, id: string, index: number, offset: number) => ({ tenantId, datasetId: `upload:${id}#${index}@${offset}` });

/** The dataset options of an upload, kept sealed until the dataset is created. */
type UploadOptions = Omit<CreateUpload, 'bytes' | 'sha256'>;

export interface AppendMeta {
  readonly offset: string | undefined;
  readonly contentLength: number | undefined;
}

/**
 * Resumable uploads in the manner of tus.io / GCS resumable uploads: `create` declares the size (and optionally the
 * SHA-256) with the dataset options; `append` adds a chunk at exactly the committed offset; the staged bytes go
 * through the same pipeline as `POST /v1/datasets` (DatasetsService / FheDatasetsService) when the last byte arrives
 * or on `complete`, creating the dataset exactly once (its Idempotency-Key is `upload.<id>`).
 *
 * Staged bytes are raw, PII-bearing data: each chunk is sealed as it streams in (per-upload DEK, only KEK-wrapped;
 * context binding tenant, upload id, chunk index and offset) and stored in the blob store; the offset moves only once
 * the chunk's blob is stored whole, so a chunk cut off mid-way leaves nothing and the client resumes from the last
 * committed offset. The chunks are deleted when the dataset exists, on abort, and by the sweeper after
 * UPLOAD_EXPIRES_AFTER_MS without activity.
 */
@Injectable()
export class DatasetUploadsService {
  private readonly uploads: DatasetUploadRepository;
  private readonly datasetRows: DatasetRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(DATASET_STORAGE) private readonly storage: DatasetStorage,
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
    @Inject(FheDatasetsService) private readonly fheDatasets: FheDatasetsService,
  ) {
    this.uploads = new DatasetUploadRepository(ds);
    this.datasetRows = new DatasetRepository(ds);
  }

  async create(p: Principal, body: CreateUpload, idempotencyKey: string | undefined): Promise<{ upload: UploadDto; replayed: boolean }> {
    const max = this.storage.maxUploadBytes;
    if (body.bytes > max) throw new DatasetError('upload_too_large', `the upload exceeds the limit of ${max} bytes`, 'bytes');
    const { bytes, sha256, ...options } = body;
    // Refuse now what the pipeline would refuse after the whole file was sent.
    const name = normaliseDatasetName(options.filename ?? 'dataset');
    assertPolicyName(options.policy);
    buildProtectionPolicy(options.protect ?? {});
    if (options.protection === 'fhe' && options.fhe === undefined) throw new FheError('invalid_features', 'protection=fhe needs fhe: label_field, positive_class and feature fields', 'fhe');
    assertIdempotencyKey(idempotencyKey);
    const requestSha256 = createHash('sha256').update(canonicalJson(body as unknown as Parameters<typeof canonicalJson>[0]), 'utf8').digest('hex');
    if (idempotencyKey !== undefined) {
      const existing = await this.uploads.findByIdempotencyKey(p.tenantId, idempotencyKey);
      if (existing) return { upload: await this.replayCreate(p, existing, requestSha256), replayed: true };
    }

    const id = randomUUID();
    const { dek, wrapped } = await this.storage.keyring.generateDek(keyBinding(p, id), { keyId: `up.${id}` });
    let optionsSealed: Buffer;
    try {
      optionsSealed = sealBuffer(Buffer.from(JSON.stringify(options), 'utf8'), { dek, context: optionsContext(p.tenantId, id) });
    } finally {
      dek.destroy();
    }
    const now = new Date();
    const row: DatasetUploadRecord = {
      id,
      tenantId: p.tenantId,
      status: 'staging',
      protection: options.protection,
      declaredBytes: bytes,
      offset: 0,
      chunks: 0,
      contentSha256: sha256 ?? null,
      optionsSealed,
      wrappedKey: wrappedDekToString(wrapped),
      idempotencyKey: idempotencyKey ?? null,
      requestSha256,
      datasetId: null,
      createdBy: p.subject,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.ds.transaction(async (em) => {
        await this.uploads.insert(em, row);
        await this.audit.append(em, {
          tenantId: p.tenantId,
          actor: auditActor(p),
          action: 'upload.create',
          resource: { type: 'dataset_upload', id },
          outcome: 'success',
          details: { bytes, protection: options.protection, policy: options.policy, key_id: wrapped.keyId, sha256_declared: sha256 !== undefined },
          sensitive: { name },
        });
      });
    } catch (e) {
      if (idempotencyKey !== undefined && isUniqueViolation(e)) {
        const winner = await this.uploads.findByIdempotencyKey(p.tenantId, idempotencyKey);
        if (winner) return { upload: await this.replayCreate(p, winner, requestSha256), replayed: true };
      }
      throw e;
    }
    return { upload: uploadDto(row), replayed: false };
  }

  async get(p: Principal, id: string): Promise<UploadDto> {
    return uploadDto(await this.mustFind(p, id));
  }

  /**
   * Appends one chunk at `Upload-Offset`. The body is sealed while it streams, capped at the bytes the upload still
   * expects; the offset is committed only after the sealed chunk was stored whole. When the chunk completes the
   * file, the dataset is created before this returns.
   */
  async append(p: Principal, id: string, body: Readable, meta: AppendMeta): Promise<{ upload: UploadDto; dataset?: DatasetDto }> {
    if (meta.offset === undefined || !/^\d{1,16}$/.test(meta.offset)) throw new DatasetError('upload_offset_invalid', 'send the Upload-Offset header: the committed offset this chunk starts at', 'Upload-Offset');
    const offset = Number(meta.offset);
    const upload = await this.mustFind(p, id);
    if (upload.status !== 'staging') throw new DatasetError('upload_completed', 'this upload has already become a dataset', 'Upload-Offset');
    if (offset !== upload.offset) throw offsetMismatch(upload.offset);
    const remaining = upload.declaredBytes - upload.offset;
    if (meta.contentLength !== undefined && meta.contentLength > remaining) throw lengthExceeded(upload.declaredBytes);
    if (upload.chunks >= MAX_UPLOAD_CHUNKS) throw new DatasetError('upload_too_many_chunks', `an upload has at most ${MAX_UPLOAD_CHUNKS} chunks; send larger ones`, 'Upload-Offset');

    const index = upload.chunks;
    const blobKey = `${uploadBlobPrefix(id)}/${index}-${randomUUID()}.sealed`;
    const dek = await this.unwrap(upload);
    let received = 0;
    try {
      // The blob store wraps whatever its source throws; keep the refusal to answer with.
      let refusal: unknown;
      const guarded = async function* (): AsyncGenerator<Buffer> {
        let head: Buffer | undefined = offset === 0 ? Buffer.alloc(0) : undefined;
        try {
          for await (const raw of body as AsyncIterable<Buffer | Uint8Array>) {
            const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
            received += chunk.length;
            if (received > remaining) throw lengthExceeded(upload.declaredBytes);
            if (head !== undefined) {
              head = Buffer.concat([head, chunk.subarray(0, 8)]);
              if (head.length >= 8) {
                refuseCompressed(head);
                head = undefined;
              }
            }
            yield chunk;
          }
          if (head !== undefined && head.length > 0) refuseCompressed(head);
          if (meta.contentLength !== undefined && received !== meta.contentLength) throw new DatasetError('upload_aborted', 'the chunk ended before Content-Length bytes arrived', 'Content-Length');
        } catch (e) {
          // The connection cut off mid-chunk is the client's matter (400, logged as a warning), not a server failure.
          refusal = e instanceof DomainError ? e : new DatasetError('upload_aborted', 'the chunk was cut off before its end; resume from the committed offset', undefined, (e as Error).message);
          throw refusal;
        }
      };
      try {
        await this.storage.blobs.put(blobKey, sealIterable(guarded(), { dek, context: chunkContext(p.tenantId, id, index, offset) }));
      } catch (caught) {
        const e = refusal ?? caught;
        // As a refused one-shot upload is: the chunk left nothing behind, and the refusal is on the record.
        await this.ds
          .transaction((em) =>
            this.audit.append(em, {
              tenantId: p.tenantId,
              actor: auditActor(p),
              action: 'upload.append',
              resource: { type: 'dataset_upload', id },
              outcome: 'failure',
              reason: e instanceof DomainError ? `${e.area}_${e.code}` : 'upload_failed',
              details: { offset, chunk: index, received },
            }),
          )
          .catch(() => undefined);
        throw e;
      }
    } finally {
      dek.destroy();
    }
    if (received === 0) {
      // An empty PATCH commits nothing (it may still finish an upload whose bytes all arrived before).
      await this.storage.blobs.delete(blobKey).catch(() => undefined);
    } else {
      const chunk: DatasetUploadChunkRecord = { uploadId: id, index, offset, bytes: received, blobKey, createdAt: new Date() };
      const committed = await this.ds.transaction((em) => this.uploads.commitChunk(em, p.tenantId, chunk));
      if (!committed) {
        // Another request appended this range first (or the upload was aborted meanwhile): this copy goes.
        await this.storage.blobs.delete(blobKey).catch(() => undefined);
        const now = await this.uploads.findForTenant(p.tenantId, id);
        if (!now) throw notFound();
        throw offsetMismatch(now.offset);
      }
    }
    const after = await this.mustFind(p, id);
    if (after.offset < after.declaredBytes) return { upload: uploadDto(after) };
    const done = await this.complete(p, id);
    return { upload: done.upload, dataset: done.dataset };
  }

  /**
   * Turns the staged bytes into a dataset, once: a completed upload answers with its dataset again. A refusal by the
   * pipeline that is about the file (invalid records recorded as an invalid dataset aside) ends the upload and
   * deletes its chunks; any other failure leaves it staged so `complete` can be retried.
   */
  async complete(p: Principal, id: string): Promise<{ upload: UploadDto; dataset: DatasetDto; replayed: boolean }> {
    const upload = await this.mustFind(p, id);
    if (upload.status === 'completed') return { upload: uploadDto(upload), dataset: await this.datasetOf(p, upload), replayed: true };
    if (upload.offset !== upload.declaredBytes) {
      throw new DatasetError('upload_incomplete', `${upload.declaredBytes - upload.offset} of ${upload.declaredBytes} bytes are still missing`, undefined, undefined, { uploadOffset: upload.offset });
    }
    const dek = await this.unwrap(upload);
    let result: CreateResult;
    try {
      const options = JSON.parse((await openBuffer(upload.optionsSealed, { dek, context: optionsContext(p.tenantId, id) })).toString('utf8')) as UploadOptions;
      const chunks = await this.uploads.listChunks(id);
      const query: CreateDatasetQuery = options;
      const meta: UploadMeta = {
        query,
        // As POST /v1/datasets infers CSV from the content type, an upload infers it from the file name.
        contentType: options.format === undefined && options.filename?.toLowerCase().endsWith('.csv') ? 'text/csv' : '',
        contentLength: upload.declaredBytes,
        contentEncoding: undefined,
        idempotencyKey: datasetKeyOf(id),
      };
      const service = options.protection === 'fhe' ? this.fheDatasets : this.datasets;
      // One opened segment ahead at most (a segment is 1 MiB): the pipeline pulls the staged file as it goes.
      result = await service.create(p, Readable.from(this.staged(upload, chunks, dek), { highWaterMark: 1 }), meta);
    } catch (e) {
      const now = await this.uploads.findForTenant(p.tenantId, id);
      if (now?.status === 'completed') return { upload: uploadDto(now), dataset: await this.datasetOf(p, now), replayed: true };
      // Answer with the pipeline's refusal even if recording its outcome fails (an abort raced it, say).
      if (e instanceof DatasetError && e.code === 'dataset_invalid' && e.details.datasetId) await this.finish(p, upload, e.details.datasetId, 'invalid').catch(() => undefined);
      else if (endsUpload(e)) await this.discard(p, id, 'upload.complete', 'failure', `${e.area}_${e.code}`).catch(() => undefined);
      throw e;
    } finally {
      dek.destroy();
    }
    await this.finish(p, upload, result.dataset.id, result.dataset.status);
    const now = await this.mustFind(p, id);
    return { upload: uploadDto(now), dataset: result.dataset, replayed: result.replayed };
  }

  /** Deletes a staging upload and its staged chunks. */
  async abort(p: Principal, id: string): Promise<void> {
    const upload = await this.mustFind(p, id);
    if (upload.status === 'completed') throw new DatasetError('upload_completed', 'this upload has already become a dataset; delete the dataset instead');
    const processing = await this.datasetRows.findByIdempotencyKey(p.tenantId, datasetKeyOf(id));
    if (processing?.status === 'processing') throw new DatasetError('upload_in_progress', 'this upload is being turned into a dataset');
    await this.discard(p, id, 'upload.abort', 'success');
  }

  /** The staged file, chunk by chunk: opened (authenticated against its place in the file), counted and hashed. */
  private async *staged(upload: DatasetUploadRecord, chunks: readonly DatasetUploadChunkRecord[], dek: DataKey): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    let offset = 0;
    for (const [i, c] of chunks.entries()) {
      if (c.index !== i || c.offset !== offset) throw new Error(`upload ${upload.id}: staged chunk ${c.index} is not at index ${i}, offset ${offset}`);
      let bytes = 0;
      for await (const piece of openIterable(await this.storage.blobs.get(c.blobKey), { dek, context: chunkContext(upload.tenantId, upload.id, c.index, c.offset) })) {
        bytes += piece.length;
        hash.update(piece);
        yield piece;
      }
      if (bytes !== c.bytes) throw new Error(`upload ${upload.id}: staged chunk ${c.index} holds ${bytes} bytes, not ${c.bytes}`);
      offset += bytes;
    }
    if (offset !== upload.declaredBytes) throw new Error(`upload ${upload.id}: ${offset} bytes staged of ${upload.declaredBytes}`);
    if (upload.contentSha256 !== null && hash.digest('hex') !== upload.contentSha256) {
      throw new DatasetError('upload_checksum_mismatch', 'the uploaded bytes do not match the sha256 declared for the upload', 'sha256');
    }
  }

  /** Records the dataset on the upload and drops its chunks (rows in the transaction, blobs after it). */
  private async finish(p: Principal, upload: DatasetUploadRecord, datasetId: string, status: string): Promise<void> {
    await this.ds.transaction(async (em) => {
      await this.uploads.markCompleted(em, p.tenantId, upload.id, datasetId);
      await this.audit.append(em, {
        tenantId: p.tenantId,
        actor: auditActor(p),
        action: 'upload.complete',
        resource: { type: 'dataset_upload', id: upload.id },
        outcome: 'success',
        details: { dataset_id: datasetId, dataset_status: status, bytes: upload.declaredBytes, chunks: upload.chunks },
      });
    });
    await this.storage.blobs.deletePrefix(uploadBlobPrefix(upload.id)).catch(() => undefined);
  }

  /** Deletes the upload (and its chunk rows) with an audit entry, then its blobs. */
  private async discard(p: Principal, id: string, action: 'upload.abort' | 'upload.complete', outcome: 'success' | 'failure', reason?: string): Promise<void> {
    await this.ds.transaction(async (em) => {
      if (!(await this.uploads.deleteForTenant(em, p.tenantId, id))) throw notFound();
      await this.audit.append(em, {
        tenantId: p.tenantId,
        actor: auditActor(p),
        action,
        resource: { type: 'dataset_upload', id },
        outcome,
        ...(reason ? { reason } : {}),
        details: {},
      });
    });
    await this.storage.blobs.deletePrefix(uploadBlobPrefix(id)).catch(() => undefined);
  }

  private async replayCreate(p: Principal, existing: DatasetUploadRecord, requestSha256: string): Promise<UploadDto> {
    if (existing.requestSha256 !== requestSha256) throw new DatasetError('idempotency_key_reused', 'this Idempotency-Key was used for a different upload', 'Idempotency-Key');
    const dto = uploadDto(existing);
    return existing.status === 'completed' ? { ...dto, dataset: await this.datasetOf(p, existing) } : dto;
  }

  private async datasetOf(p: Principal, upload: DatasetUploadRecord): Promise<DatasetDto> {
    if (upload.datasetId === null) throw new DatasetError('dataset_not_found', 'the dataset of this upload was deleted');
    return this.datasets.get(p, upload.datasetId);
  }

  private async mustFind(p: Principal, id: string): Promise<DatasetUploadRecord> {
    const upload = await this.uploads.findForTenant(p.tenantId, id);
    if (!upload) throw notFound();
    return upload;
  }

  private unwrap(upload: DatasetUploadRecord): Promise<DataKey> {
    return this.storage.keyring.unwrapDek(upload.wrappedKey, keyBinding(upload, upload.id));
  }
}

export function uploadDto(u: DatasetUploadRecord): UploadDto {
  return {
    id: u.id,
    object: 'dataset.upload',
    status: u.status,
    protection: u.protection,
    bytes: u.declaredBytes,
    offset: u.offset,
    chunks: u.chunks,
    sha256: u.contentSha256,
    dataset_id: u.datasetId,
    created_at: Math.floor(u.createdAt.getTime() / 1000),
    updated_at: Math.floor(u.updatedAt.getTime() / 1000),
    expires_at: u.status === 'staging' ? Math.floor((u.updatedAt.getTime() + UPLOAD_EXPIRES_AFTER_MS) / 1000) : null,
  };
}

/** Staged chunks that no longer open as sealed: tampered with or cut short in the blob store. */
const STAGED_BLOB_BROKEN: ReadonlySet<EnvelopeErrorCode> = new Set([
  'header_malformed',
  'header_bad_magic',
  'header_unsupported_version',
  'key_id_mismatch',
  'key_version_mismatch',
  'context_mismatch',
  'segment_authentication_failed',
  'blob_truncated',
  'blob_trailing_data',
  'blob_not_found',
]);

/**
 * Whether a failure to turn the staged bytes into a dataset is about those bytes (the pipeline refused the file, or
 * they no longer open), so retrying cannot help and the upload ends. Anything else — the database, the KEK, another
 * completion in progress — leaves the upload staged for `complete` to be retried.
 */
function endsUpload(e: unknown): e is DomainError {
  if (e instanceof DatasetError) return e.code !== 'upload_in_progress';
  if (e instanceof FheError) return true;
  return e instanceof EnvelopeError && STAGED_BLOB_BROKEN.has(e.code);
}

function notFound(): DatasetError {
  return new DatasetError('upload_not_found', 'no upload with this id');
}

function offsetMismatch(current: number): DatasetError {
  return new DatasetError('upload_offset_mismatch', `the upload is at offset ${current}; resume from there`, 'Upload-Offset', undefined, { uploadOffset: current });
}

function lengthExceeded(declared: number): DatasetError {
  return new DatasetError('upload_length_exceeded', `the chunk goes past the ${declared} bytes declared for the upload`, 'Upload-Offset');
}
