import type { Readable } from 'node:stream';
import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '@confide/auth';
import {
  CreateDatasetQuerySchema,
  DatasetIdParamSchema,
  DatasetListQuerySchema,
  DatasetListSchema,
  DatasetPiiSchema,
  DatasetSchema,
  jsonSchemaOf,
  type CreateDatasetQuery,
  type DatasetDto,
  type DatasetListDto,
  type DatasetListQuery,
  type DatasetPiiDto,
} from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { DatasetError } from '@confide/datasets';
import { ZodValidationPipe } from '@confide/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DatasetsService } from './datasets.service.js';
import { UPLOAD_DATASET_KEY_PREFIX } from './dataset-uploads.service.js';
import { FheDatasetsService } from '../fhe/fhe-datasets.service.js';

/** Upload bodies are passed through as the raw request stream: never buffered, never parsed by Fastify. */
export const DATASET_CONTENT_TYPES = ['application/jsonl', 'application/x-ndjson', 'text/csv', 'application/octet-stream'] as const;

@ApiTags('datasets')
@ApiBearerAuth()
@Controller('v1/datasets')
export class DatasetsController implements OnModuleInit {
  constructor(
    @Inject(DatasetsService) private readonly datasets: DatasetsService,
    @Inject(FheDatasetsService) private readonly fheDatasets: FheDatasetsService,
    @Inject(HttpAdapterHost) private readonly http: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    for (const type of DATASET_CONTENT_TYPES) {
      if (!fastify.hasContentTypeParser(type)) fastify.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
    }
  }

  @Post()
  @RequirePermission('datasets:write')
  @ApiOperation({ summary: 'Upload a dataset (streamed JSONL chat, prompt/completion or CSV): validate, PII-scan, protect, seal' })
  @ApiOkResponse({ schema: jsonSchemaOf(DatasetSchema) })
  async create(
    @CurrentPrincipal() p: Principal,
    @Query(new ZodValidationPipe(CreateDatasetQuerySchema, 'query')) query: CreateDatasetQuery,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DatasetDto> {
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const length = header('content-length');
    const body = (req.body ?? req.raw) as Readable;
    try {
      if (header('idempotency-key')?.startsWith(UPLOAD_DATASET_KEY_PREFIX)) {
        throw new DatasetError('idempotency_key_reused', `Idempotency-Key values starting with ${UPLOAD_DATASET_KEY_PREFIX} are reserved for resumable uploads`, 'Idempotency-Key');
      }
      // FHE mode derives features and CKKS-encrypts instead of sealing the protected records.
      const service = query.protection === 'fhe' ? this.fheDatasets : this.datasets;
      const { dataset, replayed } = await service.create(p, body, {
        query: { ...query, ...(query.filename === undefined && header('x-filename') ? { filename: header('x-filename')! } : {}) },
        contentType: (header('content-type') ?? '').split(';')[0]!.trim().toLowerCase(),
        contentLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
        contentEncoding: header('content-encoding')?.toLowerCase(),
        idempotencyKey: header('idempotency-key'),
      });
      void reply.status(replayed ? 200 : 201);
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return dataset;
    } catch (e) {
      // A refused upload may still be streaming in: close the connection instead of reading the rest.
      if (!req.raw.complete) void reply.header('connection', 'close');
      throw e;
    }
  }

  @Get()
  @RequirePermission('datasets:read')
  @ApiOkResponse({ schema: jsonSchemaOf(DatasetListSchema) })
  list(@CurrentPrincipal() p: Principal, @Query(new ZodValidationPipe(DatasetListQuerySchema, 'query')) q: DatasetListQuery): Promise<DatasetListDto> {
    return this.datasets.list(p, q);
  }

  @Get(':id')
  @RequirePermission('datasets:read')
  @ApiOkResponse({ schema: jsonSchemaOf(DatasetSchema) })
  get(@CurrentPrincipal() p: Principal, @Param(new ZodValidationPipe(DatasetIdParamSchema, 'params')) params: { id: string }): Promise<DatasetDto> {
    return this.datasets.get(p, params.id);
  }

  @Get(':id/pii')
  @RequirePermission('datasets:read')
  @ApiOkResponse({ schema: jsonSchemaOf(DatasetPiiSchema) })
  pii(@CurrentPrincipal() p: Principal, @Param(new ZodValidationPipe(DatasetIdParamSchema, 'params')) params: { id: string }): Promise<DatasetPiiDto> {
    return this.datasets.pii(p, params.id);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('datasets:write')
  async remove(@CurrentPrincipal() p: Principal, @Param(new ZodValidationPipe(DatasetIdParamSchema, 'params')) params: { id: string }): Promise<void> {
    await this.datasets.delete(p, params.id);
  }
}
