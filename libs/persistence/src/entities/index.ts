import { AttestationNonceEntity } from './attestation-nonce.entity.js';
import { AttestationReportEntity } from './attestation-report.entity.js';
import { AuditCheckpointEntity } from './audit-checkpoint.entity.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { AuditNodeEntity } from './audit-node.entity.js';
import { AuditPendingEntity } from './audit-pending.entity.js';
import { AuditTreeHeadEntity } from './audit-tree-head.entity.js';
import { DatasetKeyEntity } from './dataset-key.entity.js';
import { KeyReleaseEntity } from './key-release.entity.js';
import { OrganizationEntity } from './organization.entity.js';
import { DATASET_ENTITIES } from './datasets.js';
import { JOB_ENTITIES } from './jobs.js';
import { FHE_ENTITIES } from './fhe.js';

export { AuditCheckpointEntity, AuditEntryEntity, AuditNodeEntity, AuditPendingEntity, AuditTreeHeadEntity, OrganizationEntity };
export { AttestationNonceEntity, AttestationReportEntity, DatasetKeyEntity, KeyReleaseEntity };

/** Every entity of the deployment; migrations must create exactly what these describe. */
export const ALL_ENTITIES = [AuditEntryEntity, AuditNodeEntity, AuditTreeHeadEntity, AuditCheckpointEntity, AuditPendingEntity, OrganizationEntity, AttestationNonceEntity, AttestationReportEntity, DatasetKeyEntity, KeyReleaseEntity, ...DATASET_ENTITIES, ...JOB_ENTITIES, ...FHE_ENTITIES];
export * from './datasets.js';
export * from './jobs.js';
export * from './fhe.js';
