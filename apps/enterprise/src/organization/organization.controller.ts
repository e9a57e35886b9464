import { Body, Controller, Get, Inject, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '@confide/auth';
import { jsonSchemaOf, OrganizationSchema, UpdateOrganizationSchema, type Organization, type UpdateOrganization } from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { ZodValidationPipe } from '@confide/platform';
import { OrganizationService } from './organization.service.js';

@ApiTags('organization')
@ApiBearerAuth()
@Controller('v1/organization')
export class OrganizationController {
  constructor(@Inject(OrganizationService) private readonly orgs: OrganizationService) {}

  @Get()
  @RequirePermission('organization:read')
  @ApiOperation({ summary: "The caller's organisation (tenant from the token)" })
  @ApiOkResponse({ schema: jsonSchemaOf(OrganizationSchema) })
  get(@CurrentPrincipal() p: Principal): Promise<Organization> {
    return this.orgs.get(p);
  }

  @Patch()
  @RequirePermission('organization:write')
  @ApiOperation({ summary: 'Change display name or data residency; audited' })
  @ApiBody({ schema: jsonSchemaOf(UpdateOrganizationSchema) })
  @ApiOkResponse({ schema: jsonSchemaOf(OrganizationSchema) })
  update(@CurrentPrincipal() p: Principal, @Body(new ZodValidationPipe(UpdateOrganizationSchema)) body: UpdateOrganization): Promise<Organization> {
    return this.orgs.update(p, body);
  }
}
