import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { auditActor, AuditLog } from '@confide/audit';
import type { FheDatasetDto, FheDatasetOptions } from '@confide/contracts';
import {
  assertPolicyName,
  buildProtectionPolicy,
  DatasetError,
  DatasetProcessor,
  describePolicy,
  meterUpload,
  normaliseDatasetName,
} from '@confide/datasets';
import type { Principal } from '@confide/domain';
import { sealBuffer, type DataKey, type WrappedDek } from '@confide/envelope';
import { encryptFheDataset, FheError, prepareFheDataset, type FheDatasetSpec } from '@confide/fhe';
import { DatasetRepository, FheRepository } from '@confide/persistence';
import { DataSource } from 'typeorm';
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
} from '../datasets/dataset-outcomes.js';
import { DATASET_STORAGE, type DatasetStorage } from '../datasets/dataset-storage.js';
import type { CreateResult, UploadMeta } from '../datasets/datasets.service.js';
import { collectFheRows } from './fhe-rows.js';
import { FHE_SETTINGS, type FheSettings } from './fhe-storage.js';

/**
 * `protection = fhe` (DESIGN §5.1): the same streaming validate → PII scan → protect pass as the TEE branch, then
 * features and a binary label derived here, on the enterprise side, from the protected rows; the training split
 * CKKS-encrypted under fresh keys for this dataset; the public bundle (relin + only the needed Galois keys) and the
 * ciphertexts stored as blobs; the plaintext holdout sealed like a TEE dataset; the secret key stored only sealed
 * under a DEK wrapped by the KEK (bound to tenant + dataset). Nothing is half-written: any failure removes the
 * blobs and the row, with an audit entry.
 */
@Injectable()
export class FheDatasetsService {
  private readonly datasets: DatasetRepository;
  private readonly fhe: FheRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(DATASET_STORAGE) private readonly storage: DatasetStorage,
    @Inject(FHE_SETTINGS) private readonly settings: FheSettings,
  ) {
    this.datasets = new DatasetRepository(ds);
    this.fhe = new FheRepository(ds);
  }

  async create(p: Principal, body: Readable, meta: UploadMeta): Promise<CreateResult> {
    const q = meta.query;
    const options = q.fhe;
    if (options === undefined) throw new FheError('invalid_features', 'protection=fhe needs the fhe parameter: label_field, positive_class and feature fields', 'fhe');
    if (meta.contentEncoding && meta.contentEncoding !== 'identity') {
      throw new DatasetError('compressed_upload_not_supported', 'compressed uploads are not accepted; send the file without Content-Encoding');
    }
    const max = this.storage.maxUploadBytes;
    if (meta.contentLength !== undefined && meta.contentLength > max) throw new DatasetError('upload_too_large', `the upload exceeds the limit of ${max} bytes`);
    assertIdempotencyKey(meta.idempotencyKey);
    if (meta.idempotencyKey) {
      const existing = await this.datasets.findByIdempotencyKey(p.tenantId, meta.idempotencyKey);
      if (existing) return replayUpload(existing, 'fhe', body, max, () => this.get(p, existing.id));
    }
    const name = normaliseDatasetName(q.filename ?? 'dataset');
    const policyName = assertPolicyName(q.policy);
    const policy = buildProtectionPolicy(q.protect ?? {});
    const format = q.format ?? (meta.contentType === 'text/csv' ? 'csv' : 'jsonl');
    const spec = specOf(options);

    const id = randomUUID();
    const keys: { purpose: 'protect' | 'fhe_secret' | 'fhe_holdout'; key: { dek: DataKey; wrapped: WrappedDek } }[] = [];
    const binding = (purpose: string) => ({ tenantId: p.tenantId, datasetId: `${id}#${purpose}` });
    const blobs = datasetBlobKeys(id).fhe;
    try {
      for (const purpose of ['protect', 'fhe_secret', 'fhe_holdout'] as const) {
        keys.push({ purpose, key: await this.storage.keyring.generateDek(binding(purpose), { keyId: `ds.${id}.${purpose}` }) });
      }
      const keyOf = (purpose: string) => keys.find((k) => k.purpose === purpose)!.key;
      const row = processingRow(p, {
        id,
        name,
        format: format === 'jsonl' ? null : format,
        protection: 'fhe',
        policy: policyName,
        operators: describePolicy(policy),
        idempotencyKey: meta.idempotencyKey ?? null,
      });
      await this.ds.transaction(async (em) => {
        await this.datasets.insertProcessing(em, row, keys.map((k) => wrappedKeyRow(k.purpose, k.key.wrapped)));
        await this.audit.append(em, {
          tenantId: p.tenantId,
          actor: auditActor(p),
          action: 'dataset.create',
          resource: { type: 'dataset', id },
          outcome: 'success',
          details: { format, protection: 'fhe', policy: policyName, key_id: keyOf('fhe_secret').wrapped.keyId, key_version: keyOf('fhe_secret').wrapped.keyVersion, skip_invalid: q.skip_invalid },
          sensitive: { name },
        }).catch((e: unknown) => {
        if (meta.idempotencyKey && isUniqueViolation(e)) throw new DatasetError('upload_in_progress', 'an upload with this Idempotency-Key is in progress');
        throw e;
      });
      });

      const meter = meterUpload(body, max);
      const secret = keyOf('protect').dek.exportBytes();
      let processor: DatasetProcessor;
      try {
        processor = new DatasetProcessor({ format, policy, secret, analyzer: this.storage.analyzer, skipInvalid: q.skip_invalid, minExamples: q.min_examples, canaries: 0, tempDir: this.storage.tempDir });
      } finally {
        secret.fill(0);
      }
      try {
        const fields = [spec.label.field, ...(spec.text ?? []), ...(spec.numeric ?? [])];
        let rows;
        try {
          rows = await collectFheRows(processor.process(withUploadHeartbeat(meter.source, this.datasets, p.tenantId, id)), () => processor.report.format, fields);
        } catch (e) {
          if (e instanceof DatasetError && e.code === 'dataset_invalid') return await recordInvalidDataset({ ds: this.ds, repo: this.datasets, audit: this.audit }, p, id, { sha256: meter.sha256(), bytes: meter.bytes() }, processor.report);
          throw e;
        }
        if (rows.length > this.settings.maxRows) throw new FheError('invalid_layout', `an FHE dataset holds at most ${this.settings.maxRows} rows`);
        const prepared = prepareFheDataset(rows, spec);
        const encrypted = await encryptFheDataset(prepared, this.settings.parameters, { allowInsecure: this.settings.allowInsecure });
        let sealedSecretKey: Buffer;
        try {
          sealedSecretKey = sealBuffer(encrypted.secretKey, { dek: keyOf('fhe_secret').dek, context: binding('fhe_secret') });
        } finally {
          encrypted.secretKey.fill(0);
        }
        const holdout = Buffer.from(JSON.stringify({ features: prepared.holdout.features.map((x) => Array.from(x)), labels: prepared.holdout.labels }));
        const sealedHoldout = sealBuffer(holdout, { dek: keyOf('fhe_holdout').dek, context: binding('fhe_holdout') });
        holdout.fill(0);
        await this.storage.blobs.put(blobs.ciphertexts, [encrypted.ciphertexts]);
        await this.storage.blobs.put(blobs.bundle, [encrypted.bundle]);
        await this.storage.blobs.put(blobs.holdout, [sealedHoldout]);

        const report = processor.report;
        await this.ds.transaction(async (em) => {
          await this.datasets.complete(em, p.tenantId, id, {
            status: 'ready',
            format: report.format,
            contentSha256: meter.sha256(),
            bytes: meter.bytes(),
            records: report.records,
            validRecords: report.validRecords,
            skippedRecords: report.skippedRecords,
            blobKey: blobs.ciphertexts,
            sealedBytes: encrypted.ciphertexts.length,
            report: { ok: true, body: validationReportDto(report) },
            findings: processor.pii.fields.map((f) => ({ ...f })),
            canaries: [],
          });
          await this.fhe.insertDataset(em, {
            datasetId: id,
            tenantId: p.tenantId,
            parameters: { ...encrypted.parameters },
            layout: { ...encrypted.layout },
            featureDefinition: JSON.parse(JSON.stringify(prepared.definition)) as Record<string, unknown>,
            label: { ...prepared.label },
            split: { ...prepared.split },
            rowNormBound: prepared.rowNormBound,
            ciphertextsBlobKey: blobs.ciphertexts,
            ciphertextsBytes: encrypted.ciphertexts.length,
            bundleBlobKey: blobs.bundle,
            bundleBytes: encrypted.bundle.length,
            holdoutBlobKey: blobs.holdout,
            sealedSecretKey,
            createdAt: new Date(),
          });
          await this.audit.append(em, {
            tenantId: p.tenantId,
            actor: auditActor(p),
            action: 'dataset.ready',
            resource: { type: 'dataset', id },
            outcome: 'success',
            details: {
              records: report.validRecords,
              skipped: report.skippedRecords,
              protection: 'fhe',
              poly_modulus_degree: encrypted.parameters.polyModulusDegree,
              features: encrypted.layout.features,
              train: prepared.split.train,
              holdout: prepared.split.holdout,
              galois_steps: encrypted.layout.ciphertexts > 0 ? 'layout' : 'none',
              bundle_bytes: encrypted.bundle.length,
              ciphertext_bytes: encrypted.ciphertexts.length,
              content_sha256: meter.sha256(),
            },
          });
        });
      } catch (e) {
        await this.discard(p, id, Object.values(blobs), e);
        throw e;
      }
      return { dataset: await this.get(p, id), replayed: false };
    } finally {
      for (const k of keys) k.key.dek.destroy();
    }
  }

  private async get(p: Principal, id: string): Promise<CreateResult['dataset']> {
    const d = await this.datasets.findForTenant(p.tenantId, id);
    if (!d) throw new DatasetError('dataset_not_found', 'no dataset with this id');
    return datasetDto(d);
  }

  /** `GET /v1/fhe/datasets/{id}`: how the dataset was featurised and encrypted, for its owner. */
  async describe(p: Principal, id: string): Promise<FheDatasetDto> {
    const d = await this.fhe.findDatasetWithSecrets(p.tenantId, id);
    if (!d) throw new DatasetError('dataset_not_found', 'no FHE dataset with this id');
    return {
      object: 'fhe.dataset',
      dataset_id: d.datasetId,
      parameters: d.parameters as FheDatasetDto['parameters'],
      layout: d.layout as FheDatasetDto['layout'],
      feature_definition: d.featureDefinition,
      label: d.label as FheDatasetDto['label'],
      split: d.split as FheDatasetDto['split'],
      bundle_bytes: d.bundleBytes,
      ciphertexts_bytes: d.ciphertextsBytes,
    };
  }

  private async discard(p: Principal, id: string, blobKeys: readonly string[], cause: unknown): Promise<void> {
    for (const key of blobKeys) await this.storage.blobs.delete(key).catch(() => undefined);
    const reason = cause instanceof DatasetError || cause instanceof FheError ? `${cause.area}_${cause.code}` : 'upload_failed';
    await this.ds.transaction(async (em) => {
      await this.datasets.deleteForTenant(em, p.tenantId, id);
      await this.audit.append(em, { tenantId: p.tenantId, actor: auditActor(p), action: 'dataset.create', resource: { type: 'dataset', id }, outcome: 'failure', reason, details: {} });
    });
  }
}

function specOf(o: FheDatasetOptions): FheDatasetSpec {
  return {
    label: { field: o.label_field, positive: o.positive_class, ...(o.negative_class !== undefined ? { negative: o.negative_class } : {}) },
    ...(o.text_fields ? { text: o.text_fields } : {}),
    ...(o.numeric_columns ? { numeric: o.numeric_columns } : {}),
    ...(o.text_dimension !== undefined ? { textDimension: o.text_dimension } : {}),
    holdoutFraction: o.holdout_fraction,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
  };
}


