import { z } from 'zod';

/**
 * The scheduler's node-facing API (`/scheduler/v1/...`). Every request carries `Authorization: Bearer <token with
 * nodes:operate>` and `DPoP: <proof>` signed by the node's identity key (RFC 9449 shape: htm, htu, iat, jti, ath).
 * At registration the proof's key is the key being registered; afterwards it must be the registered key.
 */
const REGION = z.string().regex(/^[a-z]{2}(-[a-z0-9-]{1,30})?$/);
const B64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');

export const RegisterNodeSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  provider: z.string().min(1).max(64),
  region: REGION,
  gpu: z.strictObject({ model: z.string().min(1).max(64), count: z.number().int().min(0).max(64), memory_gb: z.number().int().min(0).max(4096) }),
  tee_type: z.enum(['sev-snp', 'tdx', 'none']),
  hourly_price: z.number().min(0).max(10_000),
  interruptible: z.boolean().default(false),
  max_concurrent_leases: z.number().int().min(1).max(64).default(1),
  /**
   * Composite evidence (CPU report + GPUs, JSON wire form of @confide/attestation) whose `teePublicJwk` is the node's
   * identity key and whose nonce is `nodeRegistrationNonce(jkt, proof jti)`. Required unless `tee_type` is `none`.
   */
  evidence: z
    .strictObject({
      cpu: z.strictObject({ format: z.enum(['sev-snp', 'tdx']), evidence: B64.min(1), certificates: z.array(B64.min(1)).max(8).default([]) }),
      gpus: z.array(z.strictObject({ format: z.literal('nvidia-spdm'), evidence: B64.min(1), certificates: z.array(B64.min(1)).min(1).max(8) })).max(16),
      teePublicJwk: z.looseObject({ kty: z.literal('EC'), crv: z.enum(['P-256', 'P-384', 'P-521']), x: B64.min(1), y: B64.min(1) }),
    })
    .optional(),
});
export type RegisterNode = z.infer<typeof RegisterNodeSchema>;

export const NodeSchema = z.object({
  id: z.string(),
  object: z.literal('node'),
  name: z.string(),
  provider: z.string(),
  region: z.string(),
  gpu: z.object({ model: z.string(), count: z.number().int(), memory_gb: z.number().int() }),
  tee_type: z.string(),
  hourly_price: z.number(),
  interruptible: z.boolean(),
  max_concurrent_leases: z.number().int(),
  active_leases: z.number().int(),
  state: z.enum(['active', 'draining', 'retired']),
  identity_jkt: z.string(),
  attestation: z.object({ verified: z.boolean(), simulated: z.boolean(), measurement: z.string().nullable() }),
  reliability: z.number(),
  registered_at: z.number().int(),
  last_seen_at: z.number().int().nullable(),
});
export type NodeDto = z.infer<typeof NodeSchema>;

export const LeaseReportSchema = z.strictObject({
  id: z.uuid(),
  epoch: z.number().int().min(1),
  phase: z.enum(['provisioning', 'attesting', 'key_release', 'training', 'checkpointing', 'verifying', 'sealing_output']).optional(),
});

/** `POST /scheduler/v1/nodes/{id}/heartbeat`: renews the node and every lease it reports. */
export const NodeHeartbeatSchema = z.strictObject({
  leases: z.array(LeaseReportSchema).max(64).default([]),
});
export type NodeHeartbeat = z.infer<typeof NodeHeartbeatSchema>;

export const LeaseAssignmentSchema = z.object({
  id: z.string(),
  job_id: z.string(),
  tenant_id: z.string(),
  epoch: z.number().int(),
  expires_at: z.number().int(),
  /** `continue`: keep working; `cancel`: stop, wipe plaintext, then complete with outcome `cancelled`; `abandon`: this lease is no longer yours (fenced): stop and wipe. */
  directive: z.enum(['start', 'continue', 'cancel', 'abandon']),
  job: z
    .object({
      trainer: z.string(),
      model: z.string(),
      training_file: z.string(),
      validation_file: z.string().nullable(),
      seed: z.number().int().nullable(),
      hyperparameters: z.record(z.string(), z.unknown()),
      privacy: z.record(z.string(), z.unknown()),
      verification: z.record(z.string(), z.unknown()),
      max_duration_seconds: z.number().int(),
    })
    .optional(),
});
export type LeaseAssignment = z.infer<typeof LeaseAssignmentSchema>;

export const NodeHeartbeatResponseSchema = z.object({
  node_expires_at: z.number().int(),
  heartbeat_interval_seconds: z.number().int(),
  leases: z.array(LeaseAssignmentSchema),
});
export type NodeHeartbeatResponse = z.infer<typeof NodeHeartbeatResponseSchema>;

/** `POST /scheduler/v1/leases/{id}/events`: metrics and messages (aggregates only, never sample text). */
export const LeaseEventsSchema = z.strictObject({
  epoch: z.number().int().min(1),
  events: z
    .array(
      z.strictObject({
        level: z.enum(['info', 'warn', 'error']).default('info'),
        type: z.enum(['message', 'metrics']),
        message: z.string().max(500),
        data: z.record(z.string().max(64), z.union([z.number(), z.string().max(200), z.boolean(), z.null()])).default({}),
      }),
    )
    .min(1)
    .max(100),
});
export type LeaseEvents = z.infer<typeof LeaseEventsSchema>;

export const LeaseCheckpointSchema = z.strictObject({
  epoch: z.number().int().min(1),
  step_number: z.number().int().min(0),
  metrics: z.record(z.string().max(64), z.number()).default({}),
  artifact_sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type LeaseCheckpoint = z.infer<typeof LeaseCheckpointSchema>;

/** `POST /scheduler/v1/leases/{id}/complete`: the attempt's end, exactly once per epoch. */
export const LeaseCompleteSchema = z.strictObject({
  epoch: z.number().int().min(1),
  outcome: z.enum(['succeeded', 'failed', 'preempted', 'cancelled']),
  error: z.strictObject({ code: z.string().regex(/^[a-z_]{1,64}$/), kind: z.enum(['infra', 'user']) }).optional(),
  result: z
    .strictObject({
      fine_tuned_model: z.string().max(200).optional(),
      trained_tokens: z.number().int().min(0).optional(),
      output_sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
      result_files: z.array(z.string().max(200)).max(16).default([]),
    })
    .optional(),
});
export type LeaseComplete = z.infer<typeof LeaseCompleteSchema>;

export const LeaseStateSchema = z.object({
  id: z.string(),
  job_id: z.string(),
  epoch: z.number().int(),
  state: z.string(),
  directive: z.enum(['start', 'continue', 'cancel', 'abandon']),
  expires_at: z.number().int().nullable(),
});
export type LeaseState = z.infer<typeof LeaseStateSchema>;
