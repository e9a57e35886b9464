import { Body, Controller, Get, Headers, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '@confide/auth';
import {
  CreateJobSchema,
  JobCheckpointListSchema,
  JobEstimateSchema,
  JobEventListSchema,
  JobListSchema,
  JobSchema,
  jsonSchemaOf,
  ListCheckpointsQuerySchema,
  ListJobEventsQuerySchema,
  ListJobsQuerySchema,
  type CreateJob,
  type Job,
  type JobCheckpointList,
  type JobEstimate,
  type JobEventList,
  type JobList,
  type ListCheckpointsQuery,
  type ListJobEventsQuery,
  type ListJobsQuery,
} from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { ZodValidationPipe } from '@confide/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JobEventStream } from './job-event.stream.js';
import { JobsService } from './jobs.service.js';

/** OpenAI-shaped fine-tuning jobs (`/v1/fine_tuning/jobs`), with privacy, placement, verification and budget. */
@ApiTags('fine-tuning')
@ApiBearerAuth()
@Controller('v1/fine_tuning/jobs')
export class JobsController {
  constructor(
    @Inject(JobsService) private readonly jobs: JobsService,
    @Inject(JobEventStream) private readonly stream: JobEventStream,
  ) {}

  @Post()
  @RequirePermission('jobs:write')
  @ApiOperation({ summary: 'Create a fine-tuning job; safe to retry with Idempotency-Key (same body → same job, other body → 409)' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiBody({ schema: jsonSchemaOf(CreateJobSchema) })
  @ApiOkResponse({ schema: jsonSchemaOf(JobSchema) })
  async create(
    @CurrentPrincipal() p: Principal,
    @Body(new ZodValidationPipe(CreateJobSchema)) body: CreateJob,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Job> {
    const { job, replayed } = await this.jobs.create(p, body, key);
    void reply.status(replayed ? 200 : 201);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return job;
  }

  @Post('estimate')
  @HttpCode(200)
  @RequirePermission('jobs:read')
  @ApiOperation({ summary: 'Dry run: cost range, duration, candidate nodes considered and why others were filtered' })
  @ApiBody({ schema: jsonSchemaOf(CreateJobSchema) })
  @ApiOkResponse({ schema: jsonSchemaOf(JobEstimateSchema) })
  estimate(@CurrentPrincipal() p: Principal, @Body(new ZodValidationPipe(CreateJobSchema)) body: CreateJob): Promise<JobEstimate> {
    return this.jobs.estimate(p, body);
  }

  @Get()
  @RequirePermission('jobs:read')
  @ApiOperation({ summary: 'List jobs, newest first (cursor `after`, `limit`, filters status/phase/trainer)' })
  @ApiOkResponse({ schema: jsonSchemaOf(JobListSchema) })
  list(@CurrentPrincipal() p: Principal, @Query(new ZodValidationPipe(ListJobsQuerySchema, 'query')) q: ListJobsQuery): Promise<JobList> {
    return this.jobs.list(p, q);
  }

  @Get(':id')
  @RequirePermission('jobs:read')
  @ApiOkResponse({ schema: jsonSchemaOf(JobSchema) })
  get(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<Job> {
    return this.jobs.get(p, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @RequirePermission('jobs:write')
  @ApiOperation({ summary: 'Cancel: immediate when queued; phase `cancelling` until the node confirms or its lease ends' })
  @ApiOkResponse({ schema: jsonSchemaOf(JobSchema) })
  cancel(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<Job> {
    return this.jobs.cancel(p, id);
  }

  @Get(':id/events')
  @RequirePermission('jobs:read')
  @ApiOperation({ summary: 'Events, newest first (`after` = seq); `?stream=true` or Accept: text/event-stream for a live SSE stream (resumes from Last-Event-ID)' })
  @ApiOkResponse({ schema: jsonSchemaOf(JobEventListSchema) })
  async events(
    @CurrentPrincipal() p: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query(new ZodValidationPipe(ListJobEventsQuerySchema, 'query')) q: ListJobEventsQuery,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<JobEventList | undefined> {
    const wantsStream = q.stream === 'true' || String(req.headers.accept ?? '').includes('text/event-stream');
    if (!wantsStream) return this.jobs.events(p, id, q);
    const last = req.headers['last-event-id'];
    const from = typeof last === 'string' && /^\d{1,18}$/.test(last) ? Number(last) : 0;
    await this.stream.open(p, id, from, req, reply);
    return undefined;
  }

  @Get(':id/checkpoints')
  @RequirePermission('jobs:read')
  @ApiOkResponse({ schema: jsonSchemaOf(JobCheckpointListSchema) })
  checkpoints(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query(new ZodValidationPipe(ListCheckpointsQuerySchema, 'query')) q: ListCheckpointsQuery): Promise<JobCheckpointList> {
    return this.jobs.checkpoints(p, id, q);
  }
}
