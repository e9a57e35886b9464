import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '@confide/auth';
import {
  FheReplayClaimRequestSchema,
  FheReplayIdParamSchema,
  FheReplayMaterialParamSchema,
  FheReplayNodeQuerySchema,
  FheReplayResultRequestSchema,
  FheReplayResultSchema,
  FheReplayTaskSchema,
  jsonSchemaOf,
  type FheReplayResult,
  type FheReplayResultRequest,
} from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { ZodValidationPipe } from '@confide/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FheReplayService } from './fhe-replay.service.js';

type ReplayParam = { replay_id: string };
type NodeQuery = { node_id: string };

/**
 * Sampled replay for non-TEE nodes (`nodes:operate`, every request DPoP-signed by the calling node's identity key):
 * claim a sampled iteration of another node's `fhe-logreg` job, fetch its public material (bundle, encrypted samples,
 * the step's encrypted input weights — never a secret key), and report the output digest.
 */
@ApiTags('fhe')
@ApiBearerAuth()
@Controller('v1/fhe/replays')
export class FheReplayController {
  constructor(@Inject(FheReplayService) private readonly replays: FheReplayService) {}

  @Post('claim')
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Node: claim one sampled FHE iteration of another node to replay (204 when there is none)' })
  @ApiOkResponse({ schema: jsonSchemaOf(FheReplayTaskSchema) })
  async claim(@CurrentPrincipal() p: Principal, @Body(new ZodValidationPipe(FheReplayClaimRequestSchema)) body: NodeQuery, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const task = await this.replays.claim(req, p, body.node_id);
    if (!task) await reply.status(204).send();
    else await reply.status(200).send(task);
  }

  @Get(':replay_id/:what')
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Node: the claimed replay’s bundle, ciphertexts or encrypted input weights (application/octet-stream)' })
  async material(
    @CurrentPrincipal() p: Principal,
    @Param(new ZodValidationPipe(FheReplayMaterialParamSchema, 'params')) params: ReplayParam & { what: 'bundle' | 'ciphertexts' | 'weights' },
    @Query(new ZodValidationPipe(FheReplayNodeQuerySchema, 'query')) q: NodeQuery,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { stream, bytes } = await this.replays.material(req, p, params.replay_id, q.node_id, params.what);
    void reply.header('content-type', 'application/octet-stream');
    if (bytes !== null) void reply.header('content-length', String(bytes));
    await reply.send(stream);
  }

  @Post(':replay_id/result')
  @HttpCode(200)
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Node: the SHA-256 of the replayed step’s encrypted output' })
  @ApiOkResponse({ schema: jsonSchemaOf(FheReplayResultSchema) })
  result(
    @CurrentPrincipal() p: Principal,
    @Param(new ZodValidationPipe(FheReplayIdParamSchema, 'params')) params: ReplayParam,
    @Body(new ZodValidationPipe(FheReplayResultRequestSchema)) body: FheReplayResultRequest,
    @Req() req: FastifyRequest,
  ): Promise<FheReplayResult> {
    return this.replays.submit(req, p, params.replay_id, body);
  }
}
