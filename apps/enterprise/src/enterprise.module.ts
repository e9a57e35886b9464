import { Module } from '@nestjs/common';
import { AuditController } from './audit/audit.controller.js';
import { ConsoleModule } from './console/console.module.js';
import { DatasetsModule } from './datasets/datasets.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { MeController } from './identity/me.controller.js';
import { OrganizationController } from './organization/organization.controller.js';
import { OrganizationService } from './organization/organization.service.js';

/** The enterprise API: organisation, identity, the audit log and datasets (jobs arrive with their issue). */
@Module({
  imports: [DatasetsModule, JobsModule, ConsoleModule],
  controllers: [MeController, OrganizationController, AuditController],
  providers: [OrganizationService],
})
export class EnterpriseModule {}
