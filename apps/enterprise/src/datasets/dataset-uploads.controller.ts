import type { Readable } from 'node:stream';
import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Req, Res, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '@confide/auth';
import { CreateUploadSchema, jsonSchemaOf, UploadIdParamSchema, UploadSchema, type CreateUpload, type UploadDto } from '@confide/contracts';
import { DatasetError } from '@confide/datasets';
import type { Principal } from '@confide/domain';
import { ZodValidationPipe } from '@confide/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DatasetUploadsService } from './dataset-uploads.service.js';

/** Chunk bodies (tus's media type, or plain octets) are passed through as the raw request stream, never buffered. */
export const UPLOAD_CHUNK_CONTENT_TYPES = ['application/offset+octet-stream', 'application/octet-stream'] as const;

type IdParam = { id: string };

/**
 * Resumable dataset uploads (tus.io / GCS resumable style): create with the declared size and dataset options, append
 * chunks at the committed offset (`Upload-Offset`), read the offset back after an interruption, and get the dataset
 * when the last byte arrives (or from `complete`). Every answer carries `Upload-Offset` and `Upload-Length`.
 */
@ApiTags('datasets')
@ApiBearerAuth()
@Controller('v1/uploads')
export class DatasetUploadsController implements OnModuleInit {
  constructor(
    @Inject(DatasetUploadsService) private readonly uploads: DatasetUploadsService,
    @Inject(HttpAdapterHost) private readonly http: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    for (const type of UPLOAD_CHUNK_CONTENT_TYPES) {
      if (!fastify.hasContentTypeParser(type)) fastify.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
    }
  }

  @Post()
  @RequirePermission('datasets:write')
  @ApiOperation({ summary: 'Start a resumable upload: declared size (and optional sha256) plus the dataset options of POST /v1/datasets' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiBody({ schema: jsonSchemaOf(CreateUploadSchema) })
  @ApiOkResponse({ schema: jsonSchemaOf(UploadSchema) })
  async create(
    @CurrentPrincipal() p: Principal,
    @Body(new ZodValidationPipe(CreateUploadSchema)) body: CreateUpload,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadDto> {
    const { upload, replayed } = await this.uploads.create(p, body, key);
    void reply.status(replayed ? 200 : 201);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return offsets(reply, upload);
  }

  @Get(':id')
  @RequirePermission('datasets:read')
  @ApiOperation({ summary: 'The committed offset (also in Upload-Offset; HEAD gives the headers only)' })
  @ApiOkResponse({ schema: jsonSchemaOf(UploadSchema) })
  async get(@CurrentPrincipal() p: Principal, @Param(new ZodValidationPipe(UploadIdParamSchema, 'params')) params: IdParam, @Res({ passthrough: true }) reply: FastifyReply): Promise<UploadDto> {
    return offsets(reply, await this.uploads.get(p, params.id));
  }

  @Patch(':id')
  @RequirePermission('datasets:write')
  @ApiOperation({ summary: 'Append a chunk at Upload-Offset (409 with the committed offset otherwise); the last chunk creates the dataset' })
  @ApiHeader({ name: 'Upload-Offset', required: true })
  @ApiOkResponse({ schema: jsonSchemaOf(UploadSchema) })
  async append(
    @CurrentPrincipal() p: Principal,
    @Param(new ZodValidationPipe(UploadIdParamSchema, 'params')) params: IdParam,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UploadDto> {
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const length = header('content-length');
    try {
      const { upload, dataset } = await this.uploads.append(p, params.id, (req.body ?? req.raw) as Readable, {
        offset: header('upload-offset'),
        contentLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
      });
      if (dataset) void reply.status(201);
      return offsets(reply, dataset ? { ...upload, dataset } : upload);
    } catch (e) {
      if (e instanceof DatasetError && e.details.uploadOffset !== undefined) void reply.header('upload-offset', String(e.details.uploadOffset));
      // A refused chunk may still be streaming in: close the connection instead of reading the rest.
      if (!req.raw.complete) void reply.header('connection', 'close');
      throw e;
    }
  }

  @Post(':id/complete')
  @RequirePermission('datasets:write')
  @ApiOperation({ summary: 'Create the dataset from the staged bytes (if the last chunk did not); repeated, returns the same dataset' })
  @ApiOkResponse({ schema: jsonSchemaOf(UploadSchema) })
  async complete(@CurrentPrincipal() p: Principal, @Param(new ZodValidationPipe(UploadIdParamSchema, 'params')) params: IdParam, @Res({ passthrough: true }) reply: FastifyReply): Promise<UploadDto> {
    try {
      const { upload, dataset, replayed } = await this.uploads.complete(p, params.id);
      void reply.status(replayed ? 200 : 201);
      return offsets(reply, { ...upload, dataset });
    } catch (e) {
      if (e instanceof DatasetError && e.details.uploadOffset !== undefined) void reply.header('upload-offset', String(e.details.uploadOffset));
      throw e;
    }
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermission('datasets:write')
  @ApiOperation({ summary: 'Abort a staging upload: its staged chunks are deleted' })
  async abort(@CurrentPrincipal() p: Principal, @Param(new ZodValidationPipe(UploadIdParamSchema, 'params')) params: IdParam): Promise<void> {
    await this.uploads.abort(p, params.id);
  }
}

function offsets(reply: FastifyReply, u: UploadDto): UploadDto {
  void reply.header('upload-offset', String(u.offset)).header('upload-length', String(u.bytes)).header('cache-control', 'no-store');
  return u;
}
