import { DatasetCanaryEntity } from './dataset-canary.entity.js';
import { DatasetPiiFindingEntity } from './dataset-pii-finding.entity.js';
import { DatasetValidationReportEntity } from './dataset-validation-report.entity.js';
import { DatasetWrappedKeyEntity } from './dataset-wrapped-key.entity.js';
import { DatasetEntity } from './dataset.entity.js';
import { DatasetUploadChunkEntity } from './dataset-upload-chunk.entity.js';
import { DatasetUploadEntity } from './dataset-upload.entity.js';

export { DatasetCanaryEntity, DatasetEntity, DatasetPiiFindingEntity, DatasetUploadChunkEntity, DatasetUploadEntity, DatasetValidationReportEntity, DatasetWrappedKeyEntity };

/** The datasets area (enterprise schema), with resumable uploads. */
export const DATASET_ENTITIES = [DatasetEntity, DatasetValidationReportEntity, DatasetPiiFindingEntity, DatasetWrappedKeyEntity, DatasetCanaryEntity, DatasetUploadEntity, DatasetUploadChunkEntity];
