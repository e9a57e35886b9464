import { backoffDelayMs } from './backoff.js';
import { DEFAULT_JOB_LIMITS, initialJobState, JOB_PHASES, JOB_STATUSES, type JobState } from './job-state.js';
import { transitionJob, type JobEvent, type Transition } from './job-transition.js';

const L = { ...DEFAULT_JOB_LIMITS, maxInfraRetries: 2, maxUserRetries: 1, maxPreemptions: 3 };

function run(s: JobState, ...events: JobEvent[]): JobState {
  return events.reduce((acc, e) => {
    const t = transitionJob(acc, e, L);
    if (!t.ok) throw new Error(`refused ${e.type}: ${t.reason}`);
    return t.state;
  }, s);
}
const must = (t: Transition) => {
  if (!t.ok) throw new Error(t.reason);
  return t;
};

const queued = run(initialJobState(), { type: 'files_validated' });
const running = run(queued, { type: 'lease_granted', epoch: 1, nodeId: 'n1' });

describe('job state machine', () => {
  it('validates files, then queues', () => {
    expect(queued).toMatchObject({ status: 'queued', phase: 'queued', leaseEpoch: 0, leased: false });
  });

  it('fails on rejected files with invalid_training_file', () => {
    const t = must(transitionJob(initialJobState(), { type: 'files_rejected', code: 'x' }, L));
    expect(t.state.status).toBe('failed');
    expect(t.error?.code).toBe('invalid_training_file');
  });

  it('grants a lease only at the next epoch', () => {
    expect(transitionJob(queued, { type: 'lease_granted', epoch: 2, nodeId: 'n' }, L)).toEqual({ ok: false, reason: 'stale_epoch' });
    expect(running).toMatchObject({ status: 'running', phase: 'provisioning', leaseEpoch: 1, leased: true });
    expect(transitionJob(running, { type: 'lease_granted', epoch: 2, nodeId: 'n' }, L)).toEqual({ ok: false, reason: 'not_allowed' });
  });

  it('moves through node-reported phases and refuses a stale epoch (fencing)', () => {
    const s = run(running, { type: 'phase_reported', epoch: 1, phase: 'attesting' }, { type: 'phase_reported', epoch: 1, phase: 'training' });
    expect(s.phase).toBe('training');
    expect(transitionJob(s, { type: 'phase_reported', epoch: 0, phase: 'verifying' }, L)).toEqual({ ok: false, reason: 'stale_epoch' });
    expect(transitionJob(s, { type: 'attempt_succeeded', epoch: 2, verificationRequired: false }, L)).toEqual({ ok: false, reason: 'stale_epoch' });
  });

  it('cancels a queued job at once', () => {
    const t = must(transitionJob(queued, { type: 'cancel_requested' }, L));
    expect(t.state).toMatchObject({ status: 'cancelled', phase: 'cancelled' });
    expect(t.endsLease).toBe(false);
  });

  it('cancels a running job in two phases: cancelling until the node confirms', () => {
    const c = must(transitionJob(running, { type: 'cancel_requested' }, L));
    expect(c.state).toMatchObject({ status: 'running', phase: 'cancelling', cancelRequested: true });
    expect(transitionJob(c.state, { type: 'cancel_requested' }, L)).toEqual({ ok: false, reason: 'not_allowed' });
    expect(transitionJob(c.state, { type: 'phase_reported', epoch: 1, phase: 'training' }, L)).toEqual({ ok: false, reason: 'not_allowed' });
    const done = must(transitionJob(c.state, { type: 'cancel_confirmed', epoch: 1 }, L));
    expect(done.state).toMatchObject({ status: 'cancelled', leased: false });
    expect(done.endsLease).toBe(true);
  });

  it('ends a cancelling job as cancelled when its lease expires', () => {
    const c = run(running, { type: 'cancel_requested' });
    expect(must(transitionJob(c, { type: 'lease_expired', epoch: 1, jitter: 0 }, L)).state.status).toBe('cancelled');
  });

  it('discards a result that arrives after cancel', () => {
    const c = run(running, { type: 'cancel_requested' });
    expect(must(transitionJob(c, { type: 'attempt_succeeded', epoch: 1, verificationRequired: false }, L)).state.status).toBe('cancelled');
  });

  it('re-queues after a lost lease on the infrastructure budget with backoff, then fails with provider_lost', () => {
    let s = running;
    const t1 = must(transitionJob(s, { type: 'lease_expired', epoch: 1, jitter: 0 }, L));
    expect(t1.state).toMatchObject({ status: 'queued', phase: 'recovering', infraFailures: 1, userFailures: 0, leased: false });
    expect(t1.requeueDelayMs).toBe(backoffDelayMs(1, L.backoffBaseMs, L.backoffCapMs, 0));
    s = run(t1.state, { type: 'lease_granted', epoch: 2, nodeId: 'n2' });
    const t2 = must(transitionJob(s, { type: 'lease_expired', epoch: 2, jitter: 0.5 }, L));
    expect(t2.requeueDelayMs!).toBeGreaterThan(t1.requeueDelayMs!);
    s = run(t2.state, { type: 'lease_granted', epoch: 3, nodeId: 'n3' });
    const t3 = must(transitionJob(s, { type: 'lease_expired', epoch: 3, jitter: 0 }, L));
    expect(t3.state.status).toBe('failed');
    expect(t3.error?.code).toBe('provider_lost');
  });

  it('keeps user failures on their own budget', () => {
    const t = must(transitionJob(running, { type: 'attempt_failed', epoch: 1, kind: 'user', code: 'training_diverged', jitter: 0 }, L));
    expect(t.state).toMatchObject({ status: 'queued', userFailures: 1, infraFailures: 0 });
    const s = run(t.state, { type: 'lease_granted', epoch: 2, nodeId: 'n' });
    const t2 = must(transitionJob(s, { type: 'attempt_failed', epoch: 2, kind: 'user', code: 'training_diverged', jitter: 0 }, L));
    expect(t2.state.status).toBe('failed');
    expect(t2.error?.code).toBe('training_diverged');
  });

  it('infra failures do not consume the user budget', () => {
    const t = must(transitionJob(running, { type: 'attempt_failed', epoch: 1, kind: 'infra', code: 'gpu_fault', jitter: 0 }, L));
    expect(t.state).toMatchObject({ status: 'queued', infraFailures: 1, userFailures: 0 });
  });

  it('treats preemption as not a failure', () => {
    const t = must(transitionJob(running, { type: 'preempted', epoch: 1, jitter: 0 }, L));
    expect(t.state).toMatchObject({ status: 'queued', phase: 'recovering', preemptions: 1, infraFailures: 0, userFailures: 0 });
    expect(t.record.message).toMatch(/not a failure/);
  });

  it('succeeds directly or through verification', () => {
    expect(must(transitionJob(running, { type: 'attempt_succeeded', epoch: 1, verificationRequired: false }, L)).state.status).toBe('succeeded');
    const v = must(transitionJob(running, { type: 'attempt_succeeded', epoch: 1, verificationRequired: true }, L)).state;
    expect(v).toMatchObject({ status: 'running', phase: 'verifying', leased: false });
    expect(must(transitionJob(v, { type: 'verification_passed' }, L)).state.status).toBe('succeeded');
    const f = must(transitionJob(v, { type: 'verification_failed', code: 'canary_missing', jitter: 0 }, L));
    expect(f.state).toMatchObject({ status: 'queued', infraFailures: 1 });
  });

  it('refuses node events when no lease is live', () => {
    expect(transitionJob(queued, { type: 'phase_reported', epoch: 0, phase: 'training' }, L)).toEqual({ ok: false, reason: 'not_leased' });
  });

  it('is total: every (state, event) pair answers without throwing, and terminal states never move', () => {
    const events: JobEvent[] = [
      { type: 'files_validated' },
      { type: 'files_rejected', code: 'x' },
      { type: 'lease_granted', epoch: 1, nodeId: 'n' },
      { type: 'phase_reported', epoch: 1, phase: 'training' },
      { type: 'cancel_requested' },
      { type: 'cancel_confirmed', epoch: 1 },
      { type: 'lease_expired', epoch: 1, jitter: 0.3 },
      { type: 'preempted', epoch: 1, jitter: 0.3 },
      { type: 'attempt_failed', epoch: 1, kind: 'infra', code: 'x', jitter: 0.3 },
      { type: 'attempt_failed', epoch: 1, kind: 'user', code: 'x', jitter: 0.3 },
      { type: 'attempt_succeeded', epoch: 1, verificationRequired: true },
      { type: 'verification_passed' },
      { type: 'verification_failed', code: 'x', jitter: 0.3 },
    ];
    let n = 0;
    for (const status of JOB_STATUSES)
      for (const phase of JOB_PHASES)
        for (const leased of [false, true])
          for (const cancelRequested of [false, true])
            for (const e of events) {
              const s: JobState = { status, phase, leaseEpoch: 1, leased, cancelRequested, infraFailures: 0, userFailures: 0, preemptions: 0 };
              const t = transitionJob(s, e, L);
              n++;
              if (['succeeded', 'failed', 'cancelled'].includes(status)) expect(t).toEqual({ ok: false, reason: 'terminal' });
              if (t.ok) {
                expect(JOB_STATUSES).toContain(t.state.status);
                expect(JOB_PHASES).toContain(t.state.phase);
                if (['succeeded', 'failed', 'cancelled'].includes(t.state.status)) expect(t.state.phase).toBe(t.state.status);
              }
            }
    expect(n).toBeGreaterThan(1000);
  });

  it('backoff is capped, grows, and stays within [d/2, d)', () => {
    expect(backoffDelayMs(1, 1000, 60_000, 0)).toBe(500);
    expect(backoffDelayMs(3, 1000, 60_000, 0.999)).toBeLessThan(4000);
    expect(backoffDelayMs(3, 1000, 60_000, 0)).toBe(2000);
    expect(backoffDelayMs(50, 1000, 60_000, 0.999)).toBeLessThanOrEqual(60_000);
    expect(() => backoffDelayMs(1, 1000, 60_000, 1)).toThrow(RangeError);
  });
});
