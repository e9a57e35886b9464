import type { Readable } from 'node:stream';
import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Put, Query, Req, Res, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '@confide/auth';
import { TeePublicJwkSchema } from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { ZodValidationPipe } from '@confide/platform';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NodeArtifactsService, type LeaseInputs } from './node-artifacts.service.js';
import type { OutputManifest } from './job-artifacts.js';

const EpochQuerySchema = z.strictObject({ lease_epoch: z.coerce.number().int().min(1) });
const OutputKeySchema = z.strictObject({ lease_epoch: z.number().int().min(1), tee_public_jwk: TeePublicJwkSchema });
const OutputQuerySchema = z.strictObject({
  lease_epoch: z.coerce.number().int().min(1),
  format: z.string().regex(/^[a-z0-9.+/-]{1,100}$/),
  model_sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * Node-facing job artifacts (`nodes:operate`, fenced by the job's current lease): the sealed training file, the
 * output key and the sealed output. Bearer-authenticated like the key broker's release; the scheduler's lease
 * table names the holder.
 */
@ApiTags('fine-tuning (nodes)')
@ApiBearerAuth()
@Controller('v1/fine_tuning/jobs/:id/node')
export class NodeArtifactsController implements OnModuleInit {
  constructor(
    @Inject(NodeArtifactsService) private readonly artifacts: NodeArtifactsService,
    @Inject(HttpAdapterHost) private readonly http: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const fastify = this.http.httpAdapter.getInstance<FastifyInstance>();
    if (!fastify.hasContentTypeParser('application/octet-stream')) fastify.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  }

  @Get('inputs')
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'What the lease works on: the training file id, its key id at the key broker, its size' })
  inputs(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query(new ZodValidationPipe(EpochQuerySchema, 'query')) q: z.infer<typeof EpochQuerySchema>): Promise<LeaseInputs> {
    return this.artifacts.inputs(p, id, q.lease_epoch);
  }

  @Get('training_file')
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'The sealed training file (ciphertext; the key is released by the key broker after attestation)' })
  async trainingFile(
    @CurrentPrincipal() p: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query(new ZodValidationPipe(EpochQuerySchema, 'query')) q: z.infer<typeof EpochQuerySchema>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const stream = await this.artifacts.trainingFile(p, id, q.lease_epoch);
    await reply.header('content-type', 'application/vnd.confide.sealed-blob').send(stream);
  }

  @Post('output_key')
  @HttpCode(200)
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'A fresh output DEK as a JWE to the attested TEE key of this epoch; stored wrapped by the enterprise KEK' })
  outputKey(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body(new ZodValidationPipe(OutputKeySchema)) body: z.infer<typeof OutputKeySchema>): Promise<{ key_id: string; jwe: string }> {
    return this.artifacts.outputKey(p, id, body.lease_epoch, body.tee_public_jwk);
  }

  @Put('output')
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Upload the sealed output (application/octet-stream, sealed with the output key)' })
  output(
    @CurrentPrincipal() p: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query(new ZodValidationPipe(OutputQuerySchema, 'query')) q: z.infer<typeof OutputQuerySchema>,
    @Req() req: FastifyRequest,
  ): Promise<OutputManifest> {
    return this.artifacts.uploadOutput(p, id, q.lease_epoch, (req.body ?? req.raw) as Readable, { format: q.format, modelSha256: q.model_sha256 });
  }
}
