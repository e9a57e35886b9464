import { FheDatasetEntity } from './fhe-dataset.entity.js';
import { FheJobEntity } from './fhe-job.entity.js';

export { FheDatasetEntity, FheJobEntity };

/** FHE datasets and jobs (enterprise schema). */
export const FHE_ENTITIES = [FheDatasetEntity, FheJobEntity];
