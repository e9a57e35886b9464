import { z } from 'zod';
import { FheDatasetOptionsParamSchema, FheDatasetOptionsSchema } from './fhe.contract.js';

const ENTITY = z.string().regex(/^[A-Z_]{2,32}$/);
const OPERATOR = z.string().regex(/^(keep|redact|token|fpe|mask(:\d{1,2})?)$/, 'must be keep, redact, token, fpe or mask:N');

/** `protect` arrives as a JSON object in one query parameter: `{"EMAIL":"token","PHONE":"mask:4"}`. */
const ProtectParamSchema = z
  .string()
  .max(2000)
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of ENTITY: operator' });
      return z.NEVER;
    }
  })
  .pipe(z.record(ENTITY, OPERATOR));

const BOOL = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Query of `POST /v1/datasets`; the body is the raw file (application/jsonl, text/csv or application/octet-stream). */
export const CreateDatasetQuerySchema = z.strictObject({
  filename: z.string().min(1).max(1024).optional(),
  format: z.enum(['jsonl', 'chat', 'prompt_completion', 'csv']).optional(),
  protection: z.enum(['tee', 'fhe']).default('tee'),
  policy: z.string().min(1).max(64).default('default'),
  protect: ProtectParamSchema.optional(),
  skip_invalid: BOOL.default(false),
  min_examples: z.coerce.number().int().min(1).max(1_000_000).default(10),
  /** Canaries (libs/canary) to plant at least; 0 disables. Classification-shaped data gets as many as α = 1e-6 needs. */
  canaries: z.coerce.number().int().min(0).max(20).default(3),
  /** protection=fhe: label and feature fields (JSON object, see FheDatasetOptionsSchema). */
  fhe: FheDatasetOptionsParamSchema.optional(),
});
export type CreateDatasetQuery = z.infer<typeof CreateDatasetQuerySchema>;

export const DatasetIssueSchema = z.object({
  code: z.string(),
  severity: z.enum(['error', 'warning']),
  line: z.number().int().nullable(),
  field: z.string().optional(),
});

export const ValidationReportSchema = z.object({
  ok: z.boolean(),
  format: z.string().nullable(),
  lines: z.number().int(),
  bytes: z.number().int(),
  records: z.number().int(),
  valid_records: z.number().int(),
  skipped_records: z.number().int(),
  errors: z.number().int(),
  warnings: z.number().int(),
  issue_counts: z.record(z.string(), z.number().int()),
  issues: z.array(DatasetIssueSchema),
  issues_truncated: z.boolean(),
});
export type ValidationReportDto = z.infer<typeof ValidationReportSchema>;

export const PiiFindingSchema = z.object({
  field: z.string(),
  entity: z.string(),
  count: z.number().int(),
  records: z.number().int(),
  max_score: z.number(),
  mean_score: z.number(),
  masked_sample: z.string(),
  sample_hash: z.string(),
  operator: z.string(),
});
export type PiiFindingDto = z.infer<typeof PiiFindingSchema>;

export const DatasetPiiSchema = z.object({
  object: z.literal('dataset.pii'),
  dataset_id: z.string(),
  totals: z.record(z.string(), z.number().int()),
  fields: z.array(PiiFindingSchema),
});
export type DatasetPiiDto = z.infer<typeof DatasetPiiSchema>;

export const DatasetSchema = z.object({
  id: z.string(),
  object: z.literal('dataset'),
  name: z.string(),
  status: z.enum(['processing', 'ready', 'invalid']),
  format: z.string().nullable(),
  protection: z.enum(['tee', 'fhe']),
  policy: z.string(),
  operators: z.record(z.string(), z.string()),
  bytes: z.number().int(),
  records: z.number().int(),
  valid_records: z.number().int(),
  skipped_records: z.number().int(),
  sealed_bytes: z.number().int().nullable(),
  content_sha256: z.string().nullable(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
  validation: ValidationReportSchema.optional(),
  pii: DatasetPiiSchema.optional(),
});
export type DatasetDto = z.infer<typeof DatasetSchema>;

export const DatasetListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  status: z.enum(['processing', 'ready', 'invalid']).optional(),
  after: z.uuid().optional(),
});
export type DatasetListQuery = z.infer<typeof DatasetListQuerySchema>;

export const DatasetListSchema = z.object({
  object: z.literal('list'),
  data: z.array(DatasetSchema),
  has_more: z.boolean(),
});
export type DatasetListDto = z.infer<typeof DatasetListSchema>;

export const DatasetIdParamSchema = z.strictObject({ id: z.uuid() });

/**
 * Body of `POST /v1/uploads` (resumable upload): the whole file's size, optionally its SHA-256, and the same dataset
 * options as `POST /v1/datasets` takes in its query (here as JSON values, not strings).
 */
export const CreateUploadSchema = z.strictObject({
  bytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits').optional(),
  filename: z.string().min(1).max(1024).optional(),
  format: z.enum(['jsonl', 'chat', 'prompt_completion', 'csv']).optional(),
  protection: z.enum(['tee', 'fhe']).default('tee'),
  policy: z.string().min(1).max(64).default('default'),
  protect: z.record(ENTITY, OPERATOR).optional(),
  skip_invalid: z.boolean().default(false),
  min_examples: z.number().int().min(1).max(1_000_000).default(10),
  canaries: z.number().int().min(0).max(20).default(3),
  fhe: FheDatasetOptionsSchema.optional(),
});
export type CreateUpload = z.infer<typeof CreateUploadSchema>;

export const UploadSchema = z.object({
  id: z.string(),
  object: z.literal('dataset.upload'),
  /** staging: chunks are being appended; completed: the dataset exists (ready or invalid). */
  status: z.enum(['staging', 'completed']),
  protection: z.enum(['tee', 'fhe']),
  /** Declared size of the file. */
  bytes: z.number().int(),
  /** Bytes committed so far: the next chunk starts here. */
  offset: z.number().int(),
  chunks: z.number().int(),
  sha256: z.string().nullable(),
  dataset_id: z.string().nullable(),
  /** When the last chunk or `complete` created the dataset. */
  dataset: DatasetSchema.optional(),
  created_at: z.number().int(),
  updated_at: z.number().int(),
  /** A staging upload without activity until then is deleted with its staged chunks. */
  expires_at: z.number().int().nullable(),
});
export type UploadDto = z.infer<typeof UploadSchema>;

export const UploadIdParamSchema = z.strictObject({ id: z.uuid() });
