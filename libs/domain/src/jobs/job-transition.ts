import { backoffDelayMs } from './backoff.js';
import { isTerminal, type JobLimits, type JobState, type RunningPhase } from './job-state.js';

export type FailureKind = 'infra' | 'user';

/** Everything that can happen to a job. Events that come from a node carry the lease epoch they were made under. */
export type JobEvent =
  | { readonly type: 'files_validated' }
  | { readonly type: 'files_rejected'; readonly code: string }
  | { readonly type: 'lease_granted'; readonly epoch: number; readonly nodeId: string }
  | { readonly type: 'phase_reported'; readonly epoch: number; readonly phase: RunningPhase }
  | { readonly type: 'cancel_requested' }
  /** The node stopped work after a cancel directive, or the lease of a cancelling job ended. */
  | { readonly type: 'cancel_confirmed'; readonly epoch: number }
  | { readonly type: 'lease_expired'; readonly epoch: number; readonly jitter: number }
  | { readonly type: 'preempted'; readonly epoch: number; readonly jitter: number }
  | { readonly type: 'attempt_failed'; readonly epoch: number; readonly kind: FailureKind; readonly code: string; readonly jitter: number }
  | { readonly type: 'attempt_succeeded'; readonly epoch: number; readonly verificationRequired: boolean }
  | { readonly type: 'verification_passed' }
  | { readonly type: 'verification_failed'; readonly code: string; readonly jitter: number };

export type JobEventType = JobEvent['type'];

/** What to record about a transition: a job event for the user and the audit action for the log. */
export interface JobRecord {
  readonly level: 'info' | 'warn' | 'error';
  readonly type: 'lifecycle' | 'placement' | 'message';
  readonly message: string;
  readonly data: Readonly<Record<string, string | number | boolean | null>>;
}

export type Transition =
  | {
      readonly ok: true;
      readonly state: JobState;
      readonly record: JobRecord;
      /** Set when the job goes back to the queue: not before now + delay. */
      readonly requeueDelayMs?: number;
      /** Set when the job ends in `failed`. */
      readonly error?: { readonly code: string; readonly message: string };
      /** True when the transition ends the live lease (the node's capacity is free again). */
      readonly endsLease: boolean;
    }
  | { readonly ok: false; readonly reason: 'terminal' | 'stale_epoch' | 'not_leased' | 'not_allowed' };

const refuse = (reason: 'terminal' | 'stale_epoch' | 'not_leased' | 'not_allowed'): Transition => ({ ok: false, reason });

function ok(state: JobState, record: JobRecord, extra: { requeueDelayMs?: number; error?: { code: string; message: string }; endsLease?: boolean } = {}): Transition {
  return { ok: true, state, record, endsLease: extra.endsLease ?? false, ...(extra.requeueDelayMs !== undefined ? { requeueDelayMs: extra.requeueDelayMs } : {}), ...(extra.error ? { error: extra.error } : {}) };
}

/**
 * The job state machine: total over (state, event). Every pair either yields the next state and what to record,
 * or a refusal reason; nothing throws. A node event with an epoch other than the current lease's is `stale_epoch`
 * (fencing), and nothing moves a terminal job.
 */
export function transitionJob(s: JobState, e: JobEvent, limits: JobLimits): Transition {
  if (isTerminal(s.status)) return refuse('terminal');
  if ('epoch' in e && e.type !== 'lease_granted') {
    if (e.epoch !== s.leaseEpoch) return refuse('stale_epoch');
    if (!s.leased) return refuse('not_leased');
  }
  switch (e.type) {
    case 'files_validated':
      if (s.status !== 'validating_files') return refuse('not_allowed');
      return ok({ ...s, status: 'queued', phase: 'queued' }, { level: 'info', type: 'lifecycle', message: 'Files validated; job queued', data: {} });

    case 'files_rejected':
      if (s.status !== 'validating_files') return refuse('not_allowed');
      return ok({ ...s, status: 'failed', phase: 'failed' }, { level: 'error', type: 'lifecycle', message: 'Training file validation failed', data: { code: e.code } }, { error: { code: 'invalid_training_file', message: 'The training file did not pass validation.' } });

    case 'lease_granted':
      if (s.status !== 'queued' || s.leased || s.cancelRequested) return refuse('not_allowed');
      if (e.epoch !== s.leaseEpoch + 1) return refuse('stale_epoch');
      return ok({ ...s, status: 'running', phase: 'provisioning', leaseEpoch: e.epoch, leased: true }, { level: 'info', type: 'placement', message: 'Placed on a node', data: { node_id: e.nodeId, lease_epoch: e.epoch } });

    case 'phase_reported':
      if (s.cancelRequested) return refuse('not_allowed');
      if (s.phase === e.phase) return refuse('not_allowed');
      return ok({ ...s, phase: e.phase }, { level: 'info', type: 'lifecycle', message: `Phase ${e.phase}`, data: { phase: e.phase, lease_epoch: e.epoch } });

    case 'cancel_requested':
      if (s.cancelRequested) return refuse('not_allowed');
      if (!s.leased) {
        return ok({ ...s, status: 'cancelled', phase: 'cancelled', cancelRequested: true }, { level: 'info', type: 'lifecycle', message: 'Job cancelled', data: {} });
      }
      return ok({ ...s, phase: 'cancelling', cancelRequested: true }, { level: 'info', type: 'lifecycle', message: 'Cancellation requested; waiting for the node to stop', data: { lease_epoch: s.leaseEpoch } });

    case 'cancel_confirmed':
      if (!s.cancelRequested) return refuse('not_allowed');
      return ok({ ...s, status: 'cancelled', phase: 'cancelled', leased: false }, { level: 'info', type: 'lifecycle', message: 'Job cancelled; the node stopped', data: { lease_epoch: e.epoch } }, { endsLease: true });

    case 'lease_expired':
      if (s.cancelRequested) {
        return ok({ ...s, status: 'cancelled', phase: 'cancelled', leased: false }, { level: 'info', type: 'lifecycle', message: 'Job cancelled; the lease ended', data: { lease_epoch: e.epoch } }, { endsLease: true });
      }
      return retryOrFail({ ...s, leased: false, infraFailures: s.infraFailures + 1 }, 'infra', 'provider_lost', s.infraFailures + 1, e.jitter, limits, {
        level: 'warn',
        type: 'lifecycle',
        message: 'Lost contact with the node (lease expired)',
        data: { lease_epoch: e.epoch, infra_failures: s.infraFailures + 1 },
      });

    case 'preempted':
      if (s.cancelRequested) {
        return ok({ ...s, status: 'cancelled', phase: 'cancelled', leased: false }, { level: 'info', type: 'lifecycle', message: 'Job cancelled; the node was preempted', data: { lease_epoch: e.epoch } }, { endsLease: true });
      }
      if (s.preemptions + 1 > limits.maxPreemptions) {
        return ok({ ...s, status: 'failed', phase: 'failed', leased: false, preemptions: s.preemptions + 1 }, { level: 'error', type: 'lifecycle', message: 'Preempted too often', data: { preemptions: s.preemptions + 1 } }, { endsLease: true, error: { code: 'provider_lost', message: 'The job was preempted more often than allowed.' } });
      }
      return ok(
        { ...s, status: 'queued', phase: 'recovering', leased: false, preemptions: s.preemptions + 1 },
        { level: 'warn', type: 'lifecycle', message: 'Preempted; re-queued (not a failure)', data: { lease_epoch: e.epoch, preemptions: s.preemptions + 1 } },
        { endsLease: true, requeueDelayMs: backoffDelayMs(1, limits.backoffBaseMs, limits.backoffCapMs, e.jitter) },
      );

    case 'attempt_failed': {
      if (s.cancelRequested) {
        return ok({ ...s, status: 'cancelled', phase: 'cancelled', leased: false }, { level: 'info', type: 'lifecycle', message: 'Job cancelled; the attempt ended', data: { lease_epoch: e.epoch } }, { endsLease: true });
      }
      const next = e.kind === 'infra' ? { ...s, leased: false, infraFailures: s.infraFailures + 1 } : { ...s, leased: false, userFailures: s.userFailures + 1 };
      const count = e.kind === 'infra' ? next.infraFailures : next.userFailures;
      return retryOrFail(next, e.kind, e.code, count, e.jitter, limits, {
        level: 'error',
        type: 'lifecycle',
        message: e.kind === 'infra' ? 'Attempt failed (infrastructure)' : 'Attempt failed',
        data: { lease_epoch: e.epoch, code: e.code, kind: e.kind },
      });
    }

    case 'attempt_succeeded':
      if (s.cancelRequested) {
        // The node finished before it saw the directive: the user asked to cancel, so the result is not delivered.
        return ok({ ...s, status: 'cancelled', phase: 'cancelled', leased: false }, { level: 'info', type: 'lifecycle', message: 'Job cancelled; the node finished first and its result was discarded', data: { lease_epoch: e.epoch } }, { endsLease: true });
      }
      if (e.verificationRequired) {
        return ok({ ...s, phase: 'verifying', leased: false }, { level: 'info', type: 'lifecycle', message: 'Training finished; verifying the result', data: { lease_epoch: e.epoch } }, { endsLease: true });
      }
      return ok({ ...s, status: 'succeeded', phase: 'succeeded', leased: false }, { level: 'info', type: 'lifecycle', message: 'Job succeeded', data: { lease_epoch: e.epoch } }, { endsLease: true });

    case 'verification_passed':
      if (s.phase !== 'verifying' || s.leased) return refuse('not_allowed');
      return ok({ ...s, status: 'succeeded', phase: 'succeeded' }, { level: 'info', type: 'lifecycle', message: 'Verification passed; job succeeded', data: {} });

    case 'verification_failed':
      if (s.phase !== 'verifying' || s.leased) return refuse('not_allowed');
      // The node's word did not hold: re-run elsewhere on the infrastructure budget (the user did nothing wrong).
      return retryOrFail({ ...s, infraFailures: s.infraFailures + 1 }, 'infra', e.code, s.infraFailures + 1, e.jitter, limits, {
        level: 'error',
        type: 'lifecycle',
        message: 'Verification failed',
        data: { code: e.code },
      });
  }
}

function retryOrFail(next: JobState, kind: FailureKind, code: string, count: number, jitter: number, limits: JobLimits, record: JobRecord): Transition {
  const max = kind === 'infra' ? limits.maxInfraRetries : limits.maxUserRetries;
  if (count > max) {
    return ok({ ...next, status: 'failed', phase: 'failed' }, { ...record, level: 'error', data: { ...record.data, retries_exhausted: true } }, { endsLease: true, error: { code, message: kind === 'infra' ? 'The job could not be completed on the available nodes.' : 'The job failed.' } });
  }
  return ok(
    { ...next, status: 'queued', phase: 'recovering' },
    { ...record, data: { ...record.data, retry: count } },
    { endsLease: true, requeueDelayMs: backoffDelayMs(count, limits.backoffBaseMs, limits.backoffCapMs, jitter) },
  );
}
