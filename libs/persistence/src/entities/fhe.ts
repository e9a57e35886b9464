import { FheDatasetEntity } from './fhe-dataset.entity.js';
import { FheJobEntity } from './fhe-job.entity.js';
import { FheReplayEntity, type FheReplayState } from './fhe-replay.entity.js';

export { FheDatasetEntity, FheJobEntity, FheReplayEntity, type FheReplayState };

/** FHE datasets, jobs and sampled iteration replays (enterprise schema). */
export const FHE_ENTITIES = [FheDatasetEntity, FheJobEntity, FheReplayEntity];
