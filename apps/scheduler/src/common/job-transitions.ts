import { AuditLog } from '@confide/audit';
import { DEFAULT_JOB_LIMITS, isTerminal, SchedulerError, transitionJob, type JobEvent, type JobState, type Transition } from '@confide/domain';
import { JobRepository, type JobRecord } from '@confide/persistence';
import type { EntityManager } from 'typeorm';

export function jobStateOf(j: JobRecord): JobState {
  return {
    status: j.status as JobState['status'],
    phase: j.phase as JobState['phase'],
    leaseEpoch: j.leaseEpoch,
    leased: j.leased,
    cancelRequested: j.cancelRequested,
    infraFailures: j.infraFailures,
    userFailures: j.userFailures,
    preemptions: j.preemptions,
  };
}

export type Actor = { type: 'node' | 'system'; id: string };

/**
 * Applies one domain transition to a locked job row: the state, its job event and its audit entry, all in the
 * caller's transaction. Returns the transition (refusals throw `transition_refused` unless `soft`).
 */
export async function applyJobTransition(
  em: EntityManager,
  repos: { jobs: JobRepository; audit: AuditLog },
  job: JobRecord,
  event: JobEvent,
  actor: Actor,
  extra: { result?: { fineTunedModel?: string | null; trainedTokens?: number | null; resultFiles?: string[] }; details?: Record<string, string | number | boolean | null> } = {},
): Promise<Extract<Transition, { ok: true }>> {
  const t = transitionJob(jobStateOf(job), event, DEFAULT_JOB_LIMITS);
  if (!t.ok) throw new SchedulerError('transition_refused', 'The job cannot make this change now.', undefined, t.reason);
  await repos.jobs.applyTransition(em, job, {
    state: t.state,
    event: t.record,
    terminal: isTerminal(t.state.status),
    ...(t.requeueDelayMs !== undefined ? { requeueDelayMs: t.requeueDelayMs } : {}),
    ...(t.error ? { error: { ...t.error, param: null } } : {}),
    ...(extra.result ? { result: extra.result } : {}),
  });
  await repos.audit.append(em, {
    tenantId: job.tenantId,
    actor,
    action: `job.${event.type}`,
    resource: { type: 'fine_tuning.job', id: job.id },
    outcome: 'success',
    details: { from_status: job.status, to_status: t.state.status, phase: t.state.phase, lease_epoch: t.state.leaseEpoch, ...(extra.details ?? {}) },
  });
  return t;
}
