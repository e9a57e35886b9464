import type { Readable } from 'node:stream';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query, Req, Res, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '@confide/auth';
import {
  DatasetIdParamSchema,
  FheDatasetSchema,
  FheJobIdParamSchema,
  FheJobSchema,
  FheLeaseQuerySchema,
  FheOutputQuerySchema,
  FheRefreshRequestSchema,
  FheRefreshResponseSchema,
  FheStartRequestSchema,
  FheStartResponseSchema,
  jsonSchemaOf,
  type FheDatasetDto,
  type FheJobDto,
  type FheRefreshRequestDto,
  type FheRefreshResponse,
  type FheStartResponse,
} from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { ZodValidationPipe } from '@confide/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FheDatasetsService } from './fhe-datasets.service.js';
import type { OutputManifest } from '../jobs/job-artifacts.js';
import { FheJobsService } from './fhe-jobs.service.js';

type JobParam = { job_id: string };
type LeaseQuery = { lease_epoch: number };

/**
 * FHE coordination on the enterprise side. Owner routes describe datasets and jobs; node routes (nodes:operate,
 * current lease epoch) serve only public material — the bundle (no secret key field) and ciphertexts — and the
 * per-iteration refresh. No route serves the wrapped or sealed secret key.
 */
@ApiTags('fhe')
@ApiBearerAuth()
@Controller('v1/fhe')
export class FheController implements OnModuleInit {
  constructor(
    @Inject(FheDatasetsService) private readonly datasets: FheDatasetsService,
    @Inject(FheJobsService) private readonly jobs: FheJobsService,
    @Inject(HttpAdapterHost) private readonly http: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    if (!fastify.hasContentTypeParser('application/octet-stream')) fastify.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  }

  @Get('datasets/:id')
  @RequirePermission('datasets:read')
  @ApiOkResponse({ schema: jsonSchemaOf(FheDatasetSchema) })
  dataset(@CurrentPrincipal() p: Principal, @Param(new ZodValidationPipe(DatasetIdParamSchema, 'params')) params: { id: string }): Promise<FheDatasetDto> {
    return this.datasets.describe(p, params.id);
  }

  @Get('jobs/:job_id')
  @RequirePermission('jobs:read')
  @ApiOkResponse({ schema: jsonSchemaOf(FheJobSchema) })
  job(@CurrentPrincipal() p: Principal, @Param(new ZodValidationPipe(FheJobIdParamSchema, 'params')) params: JobParam): Promise<FheJobDto> {
    return this.jobs.get(p, params.job_id);
  }

  @Post('jobs/:job_id/start')
  @HttpCode(200)
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Node: the job manifest (layout, iterations) and fresh encrypted weights to start or resume from' })
  @ApiOkResponse({ schema: jsonSchemaOf(FheStartResponseSchema) })
  start(
    @CurrentPrincipal() p: Principal,
    @Param(new ZodValidationPipe(FheJobIdParamSchema, 'params')) params: JobParam,
    @Body(new ZodValidationPipe(FheStartRequestSchema)) body: LeaseQuery,
  ): Promise<FheStartResponse> {
    return this.jobs.start(p, params.job_id, body.lease_epoch);
  }

  @Get('jobs/:job_id/bundle')
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Node: the public evaluation bundle (relinearisation + the layout’s Galois keys), application/octet-stream' })
  async bundle(
    @CurrentPrincipal() p: Principal,
    @Param(new ZodValidationPipe(FheJobIdParamSchema, 'params')) params: JobParam,
    @Query(new ZodValidationPipe(FheLeaseQuerySchema, 'query')) q: LeaseQuery,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { stream, bytes } = await this.jobs.material(p, params.job_id, q.lease_epoch, 'bundle');
    await reply.header('content-type', 'application/octet-stream').header('content-length', String(bytes)).send(stream);
  }

  @Get('jobs/:job_id/ciphertexts')
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Node: the encrypted training samples (ciphertext list), application/octet-stream' })
  async ciphertexts(
    @CurrentPrincipal() p: Principal,
    @Param(new ZodValidationPipe(FheJobIdParamSchema, 'params')) params: JobParam,
    @Query(new ZodValidationPipe(FheLeaseQuerySchema, 'query')) q: LeaseQuery,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { stream, bytes } = await this.jobs.material(p, params.job_id, q.lease_epoch, 'ciphertexts');
    await reply.header('content-type', 'application/octet-stream').header('content-length', String(bytes)).send(stream);
  }

  @Post('jobs/:job_id/refresh')
  @HttpCode(200)
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Node: one encrypted step’s weights → fresh encrypted weights (decrypted and re-encrypted by the owner)' })
  @ApiOkResponse({ schema: jsonSchemaOf(FheRefreshResponseSchema) })
  refresh(
    @CurrentPrincipal() p: Principal,
    @Param(new ZodValidationPipe(FheJobIdParamSchema, 'params')) params: JobParam,
    @Body(new ZodValidationPipe(FheRefreshRequestSchema)) body: FheRefreshRequestDto,
  ): Promise<FheRefreshResponse> {
    return this.jobs.refresh(p, params.job_id, body);
  }

  @Put('jobs/:job_id/output')
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Node: the final encrypted weights (application/octet-stream), the ciphertext the last refresh carried' })
  output(
    @CurrentPrincipal() p: Principal,
    @Param(new ZodValidationPipe(FheJobIdParamSchema, 'params')) params: JobParam,
    @Query(new ZodValidationPipe(FheOutputQuerySchema, 'query')) q: LeaseQuery,
    @Req() req: FastifyRequest,
  ): Promise<OutputManifest> {
    return this.jobs.uploadOutput(p, params.job_id, q.lease_epoch, (req.body ?? req.raw) as Readable);
  }
}
