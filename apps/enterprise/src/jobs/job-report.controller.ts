import { Controller, Get, Inject, Param, ParseUUIDPipe, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Public, RequirePermission } from '@confide/auth';
import type { Principal } from '@confide/domain';
import type { FastifyReply } from 'fastify';
import { JobReportService } from './job-report.service.js';

@ApiTags('fine-tuning')
@ApiBearerAuth()
@Controller('v1/fine_tuning')
export class JobReportController {
  constructor(@Inject(JobReportService) private readonly reports: JobReportService) {}

  @Get('jobs/:id/report')
  @RequirePermission('jobs:read')
  @ApiOperation({ summary: 'Signed provenance report of a finished job (compact JWS, application/jose)' })
  async report(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Res() reply: FastifyReply): Promise<void> {
    const jws = await this.reports.signed(p, id);
    await reply.header('content-type', 'application/jose').send(jws);
  }

  @Get('reports/jwks')
  @Public()
  @ApiOperation({ summary: 'Public keys that sign job provenance reports (pin these for offline verification)' })
  jwks(): ReturnType<JobReportService['jwks']> {
    return this.reports.jwks();
  }
}
