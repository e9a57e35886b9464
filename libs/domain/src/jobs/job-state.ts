/** OpenAI's fine-tuning statuses, unchanged, so clients with closed enums keep working. */
export const JOB_STATUSES = ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** What the node reports it is doing while it holds the lease. */
export const RUNNING_PHASES = ['provisioning', 'attesting', 'key_release', 'training', 'checkpointing', 'verifying', 'sealing_output'] as const;
export type RunningPhase = (typeof RUNNING_PHASES)[number];

/** Finer progress than `status`; a terminal job's phase equals its status. */
export const JOB_PHASES = ['validating_files', 'queued', 'recovering', ...RUNNING_PHASES, 'cancelling', 'succeeded', 'failed', 'cancelled'] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (s: JobStatus): boolean => TERMINAL_STATUSES.includes(s);

export interface JobState {
  readonly status: JobStatus;
  readonly phase: JobPhase;
  /** Epoch of the latest lease; 0 before the first. Every node call must present the current one. */
  readonly leaseEpoch: number;
  /** True while a lease is live for `leaseEpoch`. */
  readonly leased: boolean;
  readonly cancelRequested: boolean;
  /** Failures of the infrastructure (lost node, provider error): own budget, never charged to the user. */
  readonly infraFailures: number;
  /** Failures of the job itself (trainer error, diverged): the user's retry budget. */
  readonly userFailures: number;
  /** Preemptions of interruptible capacity: never a failure. */
  readonly preemptions: number;
}

export interface JobLimits {
  readonly maxInfraRetries: number;
  readonly maxUserRetries: number;
  readonly maxPreemptions: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
}

export const DEFAULT_JOB_LIMITS: JobLimits = { maxInfraRetries: 5, maxUserRetries: 0, maxPreemptions: 50, backoffBaseMs: 2_000, backoffCapMs: 300_000 };

export function initialJobState(): JobState {
  return { status: 'validating_files', phase: 'validating_files', leaseEpoch: 0, leased: false, cancelRequested: false, infraFailures: 0, userFailures: 0, preemptions: 0 };
}
