import { z } from 'zod';

const FIELD = z.string().min(1).max(128);

/**
 * `fhe` query parameter of `POST /v1/datasets?protection=fhe`, a JSON object: which field is the binary label (and
 * its positive class), which text fields are hashed and which numeric columns are z-scored into features.
 */
export const FheDatasetOptionsSchema = z
  .strictObject({
    label_field: FIELD,
    positive_class: z.string().min(1).max(256),
    negative_class: z.string().min(1).max(256).optional(),
    text_fields: z.array(FIELD).max(8).optional(),
    numeric_columns: z.array(FIELD).max(255).optional(),
    text_dimension: z.number().int().min(1).max(4095).optional(),
    holdout_fraction: z.number().gt(0).lt(0.9).default(0.2),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  })
  .refine((o) => (o.text_fields?.length ?? 0) + (o.numeric_columns?.length ?? 0) > 0, 'name at least one text field or numeric column');
export type FheDatasetOptions = z.infer<typeof FheDatasetOptionsSchema>;

/** The same object as it arrives in one query parameter. */
export const FheDatasetOptionsParamSchema = z
  .string()
  .max(8000)
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(FheDatasetOptionsSchema);

export const FheLayoutSchema = z.object({
  version: z.literal(1),
  features: z.number().int(),
  stride: z.number().int(),
  slots: z.number().int(),
  rowsPerCiphertext: z.number().int(),
  samples: z.number().int(),
  ciphertexts: z.number().int(),
});

export const CkksParametersSchema = z.object({
  polyModulusDegree: z.union([z.literal(4096), z.literal(8192), z.literal(16384)]),
  coeffModulusBits: z.array(z.number().int()),
  scaleBits: z.number().int(),
  securityLevel: z.enum(['tc128', 'none']),
});

/** `GET /v1/fhe/datasets/{id}` (data owner): how the dataset was featurised and encrypted; never key material. */
export const FheDatasetSchema = z.object({
  object: z.literal('fhe.dataset'),
  dataset_id: z.string(),
  parameters: CkksParametersSchema,
  layout: FheLayoutSchema,
  feature_definition: z.record(z.string(), z.unknown()),
  label: z.object({ field: z.string(), positive: z.string(), negative: z.string().optional() }),
  split: z.object({ seed: z.number().int(), holdoutFraction: z.number(), train: z.number().int(), holdout: z.number().int(), trainPositives: z.number().int() }),
  bundle_bytes: z.number().int(),
  ciphertexts_bytes: z.number().int(),
});
export type FheDatasetDto = z.infer<typeof FheDatasetSchema>;

export const FheJobIdParamSchema = z.strictObject({ job_id: z.uuid() });
export const FheLeaseQuerySchema = z.strictObject({ lease_epoch: z.coerce.number().int().min(1) });

/** `POST /v1/fhe/jobs/{job_id}/start` (node): the job's public manifest and the encrypted weights to start from. */
export const FheStartRequestSchema = z.strictObject({ lease_epoch: z.number().int().min(1) });
export const FheStartResponseSchema = z.object({
  object: z.literal('fhe.job.start'),
  job_id: z.string(),
  parameters: CkksParametersSchema,
  layout: FheLayoutSchema,
  iterations: z.number().int(),
  completed_iterations: z.number().int(),
  learning_rate: z.number(),
  /** Fresh encrypted weights (base64), top level. */
  weights: z.string(),
  bundle_bytes: z.number().int(),
  ciphertexts_bytes: z.number().int(),
});
export type FheStartResponse = z.infer<typeof FheStartResponseSchema>;

/** `POST /v1/fhe/jobs/{job_id}/refresh` (node): one step's output; the owner decrypts and re-encrypts. */
export const FheRefreshRequestSchema = z.strictObject({
  lease_epoch: z.number().int().min(1),
  iteration: z.number().int().min(1),
  /** Encrypted weights after the step (base64; ≈350 KB at N=16384). */
  weights: z.string().min(1).max(2_000_000),
});
export type FheRefreshRequestDto = z.infer<typeof FheRefreshRequestSchema>;
export const FheRefreshResponseSchema = z.object({
  object: z.literal('fhe.refresh'),
  iteration: z.number().int(),
  done: z.boolean(),
  /** Fresh encrypted weights for the next step (absent after the final one). */
  weights: z.string().optional(),
});
export type FheRefreshResponse = z.infer<typeof FheRefreshResponseSchema>;

/** `GET /v1/fhe/jobs/{job_id}` (data owner): progress and, once finished, the holdout figures. */
export const FheJobSchema = z.object({
  object: z.literal('fhe.job'),
  job_id: z.string(),
  dataset_id: z.string(),
  state: z.enum(['running', 'finished']),
  iterations: z.number().int(),
  completed_iterations: z.number().int(),
  learning_rate: z.number(),
  holdout_accuracy: z.number().nullable(),
  baseline_accuracy: z.number().nullable(),
  /** The trained weights, bias first (the owner's model; only after the final iteration). */
  weights: z.array(z.number()).nullable(),
});
export type FheJobDto = z.infer<typeof FheJobSchema>;

/** `PUT /v1/fhe/jobs/{job_id}/output` (node): the final encrypted weights, as sent with the last refresh. */
export const FheOutputQuerySchema = z.strictObject({ lease_epoch: z.coerce.number().int().min(1) });

/**
 * Sampled replay (node, DPoP-signed by the node's identity key): `POST /v1/fhe/replays/claim` hands a node one
 * sampled iteration of another node's job; it fetches the public material and the step's input weights, runs the
 * step and posts the digest of its output to `POST /v1/fhe/replays/{replay_id}/result`.
 */
export const FheReplayClaimRequestSchema = z.strictObject({ node_id: z.uuid() });
export const FheReplayIdParamSchema = z.strictObject({ replay_id: z.uuid() });
export const FheReplayMaterialParamSchema = z.strictObject({ replay_id: z.uuid(), what: z.enum(['bundle', 'ciphertexts', 'weights']) });
export const FheReplayNodeQuerySchema = z.strictObject({ node_id: z.uuid() });
export const FheReplayTaskSchema = z.object({
  object: z.literal('fhe.replay'),
  id: z.string(),
  job_id: z.string(),
  iteration: z.number().int(),
  learning_rate: z.number(),
  layout: FheLayoutSchema,
  bundle_bytes: z.number().int(),
  ciphertexts_bytes: z.number().int(),
  /** Until when the claim holds (RFC 3339, database clock). */
  claimed_until: z.string(),
});
export type FheReplayTask = z.infer<typeof FheReplayTaskSchema>;
export const FheReplayResultRequestSchema = z.strictObject({ node_id: z.uuid(), output_sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type FheReplayResultRequest = z.infer<typeof FheReplayResultRequestSchema>;
export const FheReplayResultSchema = z.object({ object: z.literal('fhe.replay.result'), id: z.string(), recorded: z.boolean() });
export type FheReplayResult = z.infer<typeof FheReplayResultSchema>;
