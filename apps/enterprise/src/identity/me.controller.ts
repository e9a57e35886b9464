import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '@confide/auth';
import { jsonSchemaOf, MeSchema, type Me } from '@confide/contracts';
import type { Principal } from '@confide/domain';

@ApiTags('identity')
@ApiBearerAuth()
@Controller('v1/me')
export class MeController {
  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'Who the token says the caller is' })
  @ApiOkResponse({ schema: jsonSchemaOf(MeSchema) })
  me(@CurrentPrincipal() p: Principal): Me {
    return {
      subject: p.subject,
      tenant_id: p.tenantId,
      roles: [...p.roles],
      permissions: [...p.permissions].sort(),
      ...(p.clientId ? { client_id: p.clientId } : {}),
    };
  }
}
