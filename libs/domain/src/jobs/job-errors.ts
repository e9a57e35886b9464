import { DomainError } from '../errors/domain.error.js';

/** Stable codes for everything the job API refuses. Messages never carry dataset content or PII. */
export const JOB_ERROR_CODES = [
  'job_not_found',
  'dataset_not_found',
  'dataset_not_ready',
  'privacy_mode_mismatch',
  'idempotency_key_conflict',
  'idempotency_key_invalid',
  'job_not_cancellable',
  'invalid_cursor',
  'unknown_trainer',
] as const;
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

export class JobError extends DomainError<JobErrorCode> {
  readonly area = 'jobs';
}

/** Stable codes of the scheduler's node-facing API. */
export const SCHEDULER_ERROR_CODES = [
  'node_not_found',
  'node_key_mismatch',
  'node_evidence_required',
  'node_evidence_invalid',
  'node_not_owned',
  'node_retired',
  'lease_not_found',
  'lease_fenced',
  'transition_refused',
  'replay_not_claimed',
] as const;
export type SchedulerErrorCode = (typeof SCHEDULER_ERROR_CODES)[number];

export class SchedulerError extends DomainError<SchedulerErrorCode> {
  readonly area = 'scheduler';
}
