import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '@confide/audit';
import type { LeaseAssignment, LeaseCheckpoint, LeaseComplete, LeaseEvents, LeaseState, NodeHeartbeat, NodeHeartbeatResponse } from '@confide/contracts';
import { SchedulerError, type JobEvent } from '@confide/domain';
import { JobRepository, SchedulerRepository, type LeaseEndState, type LeaseRecord, type NodeOutcome, type NodeRecord } from '@confide/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { applyJobTransition } from '../common/job-transitions.js';
import { SchedulerSettings } from '../common/scheduler.settings.js';

const sec = (d: Date): number => Math.floor(d.getTime() / 1000);

/**
 * The node side of leases. Every write is fenced: it names (lease, epoch), and happens only if that lease is the
 * job's current one, still active and unexpired by the database clock, and held by the calling node. Locks are
 * taken lease first, then job.
 */
@Injectable()
export class LeaseService {
  private readonly repo: SchedulerRepository;
  private readonly jobs: JobRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(SchedulerSettings) private readonly settings: SchedulerSettings,
  ) {
    this.repo = new SchedulerRepository(ds);
    this.jobs = new JobRepository(ds);
  }

  /**
   * Renews the node and the leases it reports (only at their current epoch), applies reported phases, and answers
   * with every live lease of the node and its directive: `start` (new, with the job spec), `continue`, `cancel`;
   * reported leases that are no longer the node's come back as `abandon`.
   */
  async heartbeat(node: NodeRecord, body: NodeHeartbeat): Promise<NodeHeartbeatResponse> {
    return this.ds.transaction(async (em) => {
      const until = await this.repo.touchNode(em, node.id, this.settings.nodeTtlSeconds);
      if (!until) throw new SchedulerError('node_retired', 'This node is retired.');
      const known = new Set((await this.repo.activeLeasesOf(em, node.id)).filter((l) => l.acknowledged).map((l) => l.id));
      const renewed = await this.repo.renewLeases(em, node.id, body.leases, this.settings.leaseTtlSeconds);
      for (const id of renewed.keys()) known.add(id);
      for (const r of body.leases) {
        if (!r.phase || !renewed.has(r.id)) continue;
        const lease = await this.repo.lockLease(em, r.id);
        const job = lease ? await this.jobs.lock(em, lease.jobId) : null;
        if (!lease || !job || job.leaseEpoch !== r.epoch || job.phase === r.phase || job.cancelRequested) continue;
        await applyJobTransition(em, { jobs: this.jobs, audit: this.audit }, job, { type: 'phase_reported', epoch: r.epoch, phase: r.phase }, { type: 'node', id: node.id });
      }
      const live = await this.repo.activeLeasesOf(em, node.id);
      const liveIds = new Set(live.map((l) => l.id));
      const leases: LeaseAssignment[] = live.map((l) => ({
        id: l.id,
        job_id: l.jobId,
        tenant_id: l.tenantId,
        epoch: l.epoch,
        expires_at: sec(l.expiresAt),
        directive: l.cancelRequested ? 'cancel' : known.has(l.id) ? 'continue' : 'start',
        ...(known.has(l.id) ? {} : { job: l.jobSpec as NonNullable<LeaseAssignment['job']> }),
      }));
      for (const r of body.leases) if (!liveIds.has(r.id)) leases.push({ id: r.id, job_id: '', tenant_id: '', epoch: r.epoch, expires_at: 0, directive: 'abandon' });
      return { node_expires_at: sec(until), heartbeat_interval_seconds: this.settings.heartbeatIntervalSeconds, leases };
    });
  }

  async state(node: NodeRecord, leaseId: string): Promise<LeaseState> {
    const lease = await this.repo.findLease(leaseId);
    if (!lease || lease.nodeId !== node.id) throw new SchedulerError('lease_not_found', 'No such lease.');
    const job = await this.jobs.findById(lease.jobId);
    const live = await this.repo.isLive(this.ds.manager, leaseId);
    const current = live && job?.leaseEpoch === lease.epoch;
    return { id: lease.id, job_id: lease.jobId, epoch: lease.epoch, state: lease.state, directive: !current ? 'abandon' : job?.cancelRequested ? 'cancel' : 'continue', expires_at: sec(lease.expiresAt) };
  }

  /** Metrics and messages from the node; refused once the lease is not current. */
  async events(node: NodeRecord, leaseId: string, body: LeaseEvents): Promise<{ accepted: number }> {
    return this.ds.transaction(async (em) => {
      const { job } = await this.fenced(em, node, leaseId, body.epoch);
      for (const e of body.events) await this.jobs.appendEvent(em, job, { level: e.level, type: e.type, message: e.message, data: { ...e.data, lease_epoch: body.epoch } });
      return { accepted: body.events.length };
    });
  }

  async checkpoint(node: NodeRecord, leaseId: string, body: LeaseCheckpoint): Promise<{ id: string; created: boolean }> {
    return this.ds.transaction(async (em) => {
      const { job } = await this.fenced(em, node, leaseId, body.epoch);
      const id = randomUUID();
      const created = await this.jobs.insertCheckpoint(em, { id, jobId: job.id, tenantId: job.tenantId, leaseEpoch: body.epoch, stepNumber: body.step_number, metrics: body.metrics, artifactSha256: body.artifact_sha256 ?? null, createdAt: new Date() });
      if (created) await this.jobs.appendEvent(em, job, { level: 'info', type: 'checkpoint', message: `Checkpoint at step ${body.step_number}`, data: { step_number: body.step_number, lease_epoch: body.epoch, ...(body.artifact_sha256 ? { artifact_sha256: body.artifact_sha256 } : {}) } });
      return { id, created };
    });
  }

  /** Ends the attempt exactly once: a second complete, or one from a stale epoch, is refused with `lease_fenced`. */
  async complete(node: NodeRecord, leaseId: string, body: LeaseComplete, jitter: number): Promise<LeaseState> {
    return this.ds.transaction(async (em) => {
      const { lease, job } = await this.fenced(em, node, leaseId, body.epoch);
      let event: JobEvent;
      let leaseState: LeaseEndState;
      let outcome: NodeOutcome;
      switch (body.outcome) {
        case 'succeeded':
          // A returned output is verified on the enterprise side (canaries, replay) before the job succeeds.
          event = { type: 'attempt_succeeded', epoch: body.epoch, verificationRequired: body.result?.output_sha256 !== undefined || ['canary', 'sampled_replay'].includes(String((job.verification as { mode?: unknown }).mode)) };
          leaseState = 'completed';
          outcome = 'completed';
          break;
        case 'failed': {
          const kind = body.error?.kind ?? 'infra';
          event = { type: 'attempt_failed', epoch: body.epoch, kind, code: body.error?.code ?? 'node_error', jitter };
          leaseState = 'failed';
          outcome = kind === 'user' ? 'user_failed' : 'infra_failed';
          break;
        }
        case 'preempted':
          event = { type: 'preempted', epoch: body.epoch, jitter };
          leaseState = 'preempted';
          outcome = 'preempted';
          break;
        case 'cancelled':
          event = job.cancelRequested ? { type: 'cancel_confirmed', epoch: body.epoch } : { type: 'attempt_failed', epoch: body.epoch, kind: 'infra', code: 'node_withdrew', jitter };
          leaseState = job.cancelRequested ? 'cancelled' : 'failed';
          outcome = job.cancelRequested ? 'cancelled' : 'infra_failed';
          break;
      }
      await this.repo.endLease(em, lease.id, leaseState, body.outcome);
      await this.repo.recordOutcome(em, node.id, outcome);
      const r = body.result;
      await applyJobTransition(em, { jobs: this.jobs, audit: this.audit }, job, event, { type: 'node', id: node.id }, {
        details: { node_id: node.id, outcome: body.outcome, ...(r?.output_sha256 ? { output_sha256: r.output_sha256 } : {}) },
        ...(body.outcome === 'succeeded' && r
          ? { result: { fineTunedModel: r.fine_tuned_model ?? `ft:${job.model}:${job.tenantId}:${job.suffix ?? job.trainer}:${job.id}`, ...(r.trained_tokens !== undefined ? { trainedTokens: r.trained_tokens } : {}), resultFiles: r.result_files } }
          : body.outcome === 'succeeded'
            ? { result: { fineTunedModel: `ft:${job.model}:${job.tenantId}:${job.suffix ?? job.trainer}:${job.id}` } }
            : {}),
      });
      return { id: lease.id, job_id: job.id, epoch: lease.epoch, state: leaseState, directive: 'abandon', expires_at: null };
    });
  }

  /** Locks the lease then the job and checks the fence; refusals are `lease_fenced` with the reason in the log. */
  private async fenced(em: EntityManager, node: NodeRecord, leaseId: string, epoch: number): Promise<{ lease: LeaseRecord; job: NonNullable<Awaited<ReturnType<JobRepository['lock']>>> }> {
    const lease = await this.repo.lockLease(em, leaseId);
    if (!lease || lease.nodeId !== node.id) throw new SchedulerError('lease_not_found', 'No such lease.');
    const job = await this.jobs.lock(em, lease.jobId);
    const fence = (why: string): never => {
      throw new SchedulerError('lease_fenced', 'This lease is no longer current: stop work and discard plaintext.', undefined, why);
    };
    if (!job) return fence('job missing');
    if (lease.epoch !== epoch) fence(`epoch ${epoch} is not the lease's ${lease.epoch}`);
    if (job.leaseEpoch !== epoch) fence(`epoch ${epoch} is stale (current ${job.leaseEpoch})`);
    if (lease.state !== 'active') fence(`lease ${lease.state}`);
    if (!(await this.repo.isLive(em, lease.id))) fence('lease expired');
    return { lease, job };
  }
}
