import { Module } from '@nestjs/common';
import { AuditController } from './audit/audit.controller.js';
import { MeController } from './identity/me.controller.js';
import { OrganizationController } from './organization/organization.controller.js';
import { OrganizationService } from './organization/organization.service.js';

/** The enterprise API: organisation, identity and the audit log (datasets and jobs arrive with their issues). */
@Module({
  controllers: [MeController, OrganizationController, AuditController],
  providers: [OrganizationService],
})
export class EnterpriseModule {}
