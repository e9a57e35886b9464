import { z } from 'zod';

/** Trainer names the node agent knows (libs/training). */
export const TRAINERS = ['text-classifier', 'fhe-logreg', 'command'] as const;
export const TEE_TYPES = ['sev-snp', 'tdx', 'none'] as const;
const REGION = z.string().regex(/^[a-z]{2}(-[a-z0-9-]{1,30})?$/, 'must be a region code such as "eu" or "eu-west-1"');
const METADATA = z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), z.string().max(512)).refine((m) => Object.keys(m).length <= 16, 'at most 16 keys');

export const JobPrivacySchema = z.strictObject({
  mode: z.enum(['tee', 'fhe']).default('tee'),
  /** Attestation/appraisal policy the node must satisfy (name as in attestation/policies). */
  policy: z.string().min(1).max(64).default('default'),
});

export const JobPlacementSchema = z.strictObject({
  tee_types: z.array(z.enum(TEE_TYPES)).min(1).max(3).optional(),
  min_gpu_memory_gb: z.number().int().min(0).max(4096).default(0),
  gpu_models: z.array(z.string().min(1).max(64)).max(16).optional(),
  /** Regions (or their prefixes: "eu" matches "eu-west-1") the node must be in; defaults to the organisation's residency. */
  regions: z.array(REGION).max(50).optional(),
  max_hourly_price: z.number().positive().max(10_000).optional(),
  min_reliability: z.number().min(0).max(1).default(0),
  interruptible: z.boolean().default(false),
});

export const JobVerificationSchema = z.strictObject({
  mode: z.enum(['attestation', 'canary', 'sampled_replay']).default('attestation'),
  sample_rate: z.number().min(0).max(1).default(0),
});

export const JobBudgetSchema = z.strictObject({
  max_total_cost: z.number().positive().max(1_000_000).optional(),
  max_duration_seconds: z.number().int().positive().max(30 * 86_400).default(3600),
});

export const JobHyperparametersSchema = z.strictObject({
  n_epochs: z.union([z.literal('auto'), z.number().int().min(1).max(50)]).default('auto'),
  batch_size: z.union([z.literal('auto'), z.number().int().min(1).max(4096)]).default('auto'),
  learning_rate_multiplier: z.union([z.literal('auto'), z.number().positive().max(100)]).default('auto'),
  /**
   * `trainer: command` only: which of the node operators' allow-listed external trainers to run (by name; a job never
   * carries an executable path or arguments), and optionally the digest it must have: SHA-256 over the executable
   * followed by its script argument(s), i.e. `cat /usr/bin/python3 /opt/train.py | sha256sum`.
   */
  command: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 characters of [a-z0-9._-]').optional(),
  command_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lower-case hex SHA-256').optional(),
});

/** Body of `POST /v1/fine_tuning/jobs` (and of the estimate): OpenAI's fields plus ours. */
export const CreateJobSchema = z.strictObject({
  training_file: z.uuid(),
  validation_file: z.uuid().optional(),
  model: z.string().min(1).max(128).default('confide-base'),
  trainer: z.enum(TRAINERS),
  suffix: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/).optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  hyperparameters: JobHyperparametersSchema.default({ n_epochs: 'auto', batch_size: 'auto', learning_rate_multiplier: 'auto' }),
  metadata: METADATA.optional(),
  privacy: JobPrivacySchema.default({ mode: 'tee', policy: 'default' }),
  placement: JobPlacementSchema.default({ min_gpu_memory_gb: 0, min_reliability: 0, interruptible: false }),
  verification: JobVerificationSchema.default({ mode: 'attestation', sample_rate: 0 }),
  budget: JobBudgetSchema.default({ max_duration_seconds: 3600 }),
}).superRefine((job, ctx) => {
  const isCommand = job.trainer === 'command';
  if (isCommand && job.hyperparameters.command === undefined) ctx.addIssue({ code: 'custom', path: ['hyperparameters', 'command'], message: 'required with trainer "command" (the name of an allow-listed node command)' });
  if (!isCommand && (job.hyperparameters.command !== undefined || job.hyperparameters.command_sha256 !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['hyperparameters', job.hyperparameters.command !== undefined ? 'command' : 'command_sha256'], message: 'only allowed with trainer "command"' });
  }
  // An external process next to decrypted data needs the enclave; there is no FHE variant of it.
  if (isCommand && job.privacy.mode !== 'tee') ctx.addIssue({ code: 'custom', path: ['privacy', 'mode'], message: 'trainer "command" runs only in a TEE' });
});
export type CreateJob = z.infer<typeof CreateJobSchema>;

export const JOB_STATUS_VALUES = ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export const JobSchema = z.object({
  id: z.string(),
  object: z.literal('fine_tuning.job'),
  created_at: z.number().int(),
  finished_at: z.number().int().nullable(),
  estimated_finish: z.number().int().nullable(),
  model: z.string(),
  trainer: z.string(),
  fine_tuned_model: z.string().nullable(),
  organization_id: z.string(),
  training_file: z.string(),
  validation_file: z.string().nullable(),
  result_files: z.array(z.string()),
  trained_tokens: z.number().int().nullable(),
  seed: z.number().int().nullable(),
  hyperparameters: z.record(z.string(), z.unknown()),
  metadata: z.record(z.string(), z.string()).nullable(),
  status: z.enum(JOB_STATUS_VALUES),
  phase: z.string(),
  queue_position: z.number().int().nullable(),
  pending_reason: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string(), param: z.string().nullable() }).nullable(),
  privacy: z.record(z.string(), z.unknown()),
  placement: z.record(z.string(), z.unknown()),
  verification: z.record(z.string(), z.unknown()),
  budget: z.record(z.string(), z.unknown()),
  current_attempt: z
    .object({ lease_epoch: z.number().int(), node_id: z.string(), lease_expires_at: z.number().int().nullable() })
    .nullable(),
  retries: z.object({ infra_used: z.number().int(), user_used: z.number().int(), preemptions: z.number().int() }),
});
export type Job = z.infer<typeof JobSchema>;

export const ListJobsQuerySchema = z.strictObject({
  after: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  status: z.enum(JOB_STATUS_VALUES).optional(),
  phase: z.string().max(32).optional(),
  trainer: z.enum(TRAINERS).optional(),
});
export type ListJobsQuery = z.infer<typeof ListJobsQuerySchema>;

export const JobListSchema = z.object({ object: z.literal('list'), data: z.array(JobSchema), has_more: z.boolean(), first_id: z.string().nullable(), last_id: z.string().nullable() });
export type JobList = z.infer<typeof JobListSchema>;

export const JobEventSchema = z.object({
  id: z.string(),
  object: z.literal('fine_tuning.job.event'),
  created_at: z.number().int(),
  level: z.enum(['info', 'warn', 'error']),
  type: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()),
  /** Monotonic per job; the SSE `id` and what `Last-Event-ID` resumes after. */
  seq: z.number().int(),
});
export type JobEvent = z.infer<typeof JobEventSchema>;

export const ListJobEventsQuerySchema = z.strictObject({
  after: z.string().regex(/^\d{1,18}$/, 'an event seq').optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  stream: z.enum(['true', 'false']).optional(),
});
export type ListJobEventsQuery = z.infer<typeof ListJobEventsQuerySchema>;

export const JobEventListSchema = z.object({ object: z.literal('list'), data: z.array(JobEventSchema), has_more: z.boolean() });
export type JobEventList = z.infer<typeof JobEventListSchema>;

export const JobCheckpointSchema = z.object({
  id: z.string(),
  object: z.literal('fine_tuning.job.checkpoint'),
  created_at: z.number().int(),
  fine_tuned_model_checkpoint: z.string(),
  fine_tuning_job_id: z.string(),
  step_number: z.number().int(),
  metrics: z.record(z.string(), z.number()),
  artifact_sha256: z.string().nullable(),
});
export type JobCheckpoint = z.infer<typeof JobCheckpointSchema>;

export const ListCheckpointsQuerySchema = z.strictObject({
  after: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
export type ListCheckpointsQuery = z.infer<typeof ListCheckpointsQuerySchema>;

export const JobCheckpointListSchema = z.object({ object: z.literal('list'), data: z.array(JobCheckpointSchema), has_more: z.boolean() });
export type JobCheckpointList = z.infer<typeof JobCheckpointListSchema>;

export const EstimateCandidateSchema = z.object({
  node_id: z.string(),
  provider: z.string(),
  gpu_model: z.string(),
  gpu_count: z.number().int(),
  gpu_memory_gb: z.number().int(),
  tee_type: z.string(),
  region: z.string(),
  hourly_price: z.number(),
  reliability: z.number(),
  available: z.boolean(),
  chosen: z.boolean(),
  /** Why the node cannot take this job; empty when it can. */
  filtered_by: z.array(z.string()),
});

export const JobEstimateSchema = z.object({
  object: z.literal('fine_tuning.job.estimate'),
  feasible: z.boolean(),
  pending_reason: z.string().nullable(),
  expected_duration_seconds: z.number().int(),
  cost: z.object({ min: z.number(), expected: z.number(), max: z.number(), currency: z.literal('USD') }),
  candidates_considered: z.number().int(),
  candidates: z.array(EstimateCandidateSchema),
  filtered: z.record(z.string(), z.number().int()),
});
export type JobEstimate = z.infer<typeof JobEstimateSchema>;
