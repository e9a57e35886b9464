import { AuditCheckpointEntity } from './audit-checkpoint.entity.js';
import { AuditEntryEntity } from './audit-entry.entity.js';
import { AuditNodeEntity } from './audit-node.entity.js';
import { AuditTreeHeadEntity } from './audit-tree-head.entity.js';
import { OrganizationEntity } from './organization.entity.js';

export { AuditCheckpointEntity, AuditEntryEntity, AuditNodeEntity, AuditTreeHeadEntity, OrganizationEntity };

/** Every entity of the deployment; migrations must create exactly what these describe. */
export const ALL_ENTITIES = [AuditEntryEntity, AuditNodeEntity, AuditTreeHeadEntity, AuditCheckpointEntity, OrganizationEntity];
