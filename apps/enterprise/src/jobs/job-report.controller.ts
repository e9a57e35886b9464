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

  @Get('jobs/:id/output')
  @RequirePermission('jobs:read')
  @ApiOperation({ summary: "The sealed model of a succeeded job (application/octet-stream, still encrypted to the organisation's key)" })
  async output(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Res() reply: FastifyReply): Promise<void> {
    const out = await this.reports.sealedOutput(p, id);
    void reply
      .header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${out.filename}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff');
    if (out.bytes !== null) void reply.header('content-length', String(out.bytes));
    if (out.sha256) void reply.header('x-confide-output-sha256', out.sha256);
    await reply.send(out.stream);
  }

  @Get('reports/jwks')
  @Public()
  @ApiOperation({ summary: 'Public keys that sign job provenance reports (pin these for offline verification)' })
  jwks(): ReturnType<JobReportService['jwks']> {
    return this.reports.jwks();
  }
}
