import { DatasetCanaryEntity } from './dataset-canary.entity.js';
import { DatasetPiiFindingEntity } from './dataset-pii-finding.entity.js';
import { DatasetValidationReportEntity } from './dataset-validation-report.entity.js';
import { DatasetWrappedKeyEntity } from './dataset-wrapped-key.entity.js';
import { DatasetEntity } from './dataset.entity.js';

export { DatasetCanaryEntity, DatasetEntity, DatasetPiiFindingEntity, DatasetValidationReportEntity, DatasetWrappedKeyEntity };

/** The datasets area (enterprise schema). */
export const DATASET_ENTITIES = [DatasetEntity, DatasetValidationReportEntity, DatasetPiiFindingEntity, DatasetWrappedKeyEntity, DatasetCanaryEntity];
