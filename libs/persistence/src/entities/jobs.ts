import { FineTuningJobEntity } from './fine-tuning-job.entity.js';
import { JobCheckpointEntity } from './job-checkpoint.entity.js';
import { JobEventEntity } from './job-event.entity.js';
import { JobIdempotencyKeyEntity } from './job-idempotency-key.entity.js';
import { LeaseEntity } from './lease.entity.js';
import { NodeLivenessEntity } from './node-liveness.entity.js';
import { NodeReputationEntity } from './node-reputation.entity.js';
import { NodeEntity } from './node.entity.js';
import { ProofReplayEntity } from './proof-replay.entity.js';

export { FineTuningJobEntity, JobCheckpointEntity, JobEventEntity, JobIdempotencyKeyEntity, LeaseEntity, NodeEntity, NodeLivenessEntity, NodeReputationEntity, ProofReplayEntity };

/** Jobs (enterprise schema) and the scheduler's nodes, leases, reputation and proof replay guard. */
export const JOB_ENTITIES = [FineTuningJobEntity, JobEventEntity, JobCheckpointEntity, JobIdempotencyKeyEntity, NodeEntity, NodeLivenessEntity, LeaseEntity, NodeReputationEntity, ProofReplayEntity];
