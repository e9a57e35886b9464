import type { Job, JobCheckpoint, JobEvent } from '@confide/contracts';
import type { JobState } from '@confide/domain';
import type { JobCheckpointRecord, JobEventRecord, JobRecord, LeaseRecord } from '@confide/persistence';

const sec = (d: Date | null): number | null => (d ? Math.floor(d.getTime() / 1000) : null);

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

export function toJobDto(j: JobRecord, extra: { queuePosition: number | null; pendingReason: string | null; lease: LeaseRecord | null }): Job {
  return {
    id: j.id,
    object: 'fine_tuning.job',
    created_at: sec(j.createdAt)!,
    finished_at: sec(j.finishedAt),
    estimated_finish: null,
    model: j.model,
    trainer: j.trainer,
    fine_tuned_model: j.fineTunedModel,
    organization_id: j.tenantId,
    training_file: j.trainingFile,
    validation_file: j.validationFile,
    result_files: [...j.resultFiles],
    trained_tokens: j.trainedTokens,
    seed: j.seed,
    hyperparameters: j.hyperparameters,
    metadata: j.metadata,
    status: j.status as Job['status'],
    phase: j.phase,
    queue_position: extra.queuePosition,
    pending_reason: extra.pendingReason,
    error: j.error,
    privacy: j.privacy,
    placement: j.placement,
    verification: j.verification,
    budget: j.budget,
    current_attempt: extra.lease && extra.lease.state === 'active' ? { lease_epoch: extra.lease.epoch, node_id: extra.lease.nodeId, lease_expires_at: sec(extra.lease.expiresAt) } : null,
    retries: { infra_used: j.infraFailures, user_used: j.userFailures, preemptions: j.preemptions },
  };
}

export function toEventDto(e: JobEventRecord): JobEvent {
  return { id: e.id, object: 'fine_tuning.job.event', created_at: sec(e.createdAt)!, level: e.level, type: e.type, message: e.message, data: e.data, seq: e.seq };
}

export function toCheckpointDto(c: JobCheckpointRecord, job: JobRecord): JobCheckpoint {
  return {
    id: c.id,
    object: 'fine_tuning.job.checkpoint',
    created_at: sec(c.createdAt)!,
    fine_tuned_model_checkpoint: `ft:${job.model}:${job.tenantId}:${job.suffix ?? job.trainer}:${job.id}:ckpt-step-${c.stepNumber}`,
    fine_tuning_job_id: c.jobId,
    step_number: c.stepNumber,
    metrics: c.metrics,
    artifact_sha256: c.artifactSha256,
  };
}
