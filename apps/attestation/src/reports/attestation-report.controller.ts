import { Controller, Get, Header, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '@confide/auth';
import {
  AttestationReportListSchema,
  AttestationReportSchema,
  jsonSchemaOf,
  ReportIdParamSchema,
  ReportListQuerySchema,
  type AttestationReportDto,
} from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { ZodValidationPipe } from '@confide/platform';
import type { z } from 'zod';
import { AttestationReportService } from './attestation-report.service.js';

/** Auditors: attestation reports of the caller's tenant (claims, policy, verdict, evidence) and signed exports. */
@ApiTags('attestation reports')
@ApiBearerAuth()
@Controller('attestation/v1/reports')
export class AttestationReportController {
  constructor(@Inject(AttestationReportService) private readonly service: AttestationReportService) {}

  @Get()
  @RequirePermission('attestation:read')
  @ApiOperation({ summary: "The tenant's attestation reports, newest first (without evidence)" })
  @ApiOkResponse({ schema: jsonSchemaOf(AttestationReportListSchema) })
  async list(
    @CurrentPrincipal() p: Principal,
    @Query(new ZodValidationPipe(ReportListQuerySchema, 'query')) q: z.infer<typeof ReportListQuerySchema>,
  ): Promise<z.infer<typeof AttestationReportListSchema>> {
    return { object: 'list', data: await this.service.list(p, q.limit) };
  }

  @Get(':id')
  @RequirePermission('attestation:read')
  @ApiOperation({ summary: 'One attestation report: evidence as submitted, claims, policy and verdict' })
  @ApiOkResponse({ schema: jsonSchemaOf(AttestationReportSchema) })
  get(@CurrentPrincipal() p: Principal, @Param(new ZodValidationPipe(ReportIdParamSchema, 'params')) params: z.infer<typeof ReportIdParamSchema>): Promise<AttestationReportDto> {
    return this.service.get(p, params.id);
  }

  @Get(':id/export')
  @RequirePermission('attestation:read')
  @Header('content-type', 'application/jose; charset=utf-8')
  @ApiProduces('application/jose')
  @ApiOperation({ summary: 'The report as a compact JWS signed by the attestation service key (check with GET /attestation/v1/jwks)' })
  async export(@CurrentPrincipal() p: Principal, @Param(new ZodValidationPipe(ReportIdParamSchema, 'params')) params: z.infer<typeof ReportIdParamSchema>): Promise<string> {
    return this.service.export(p, params.id);
  }
}
