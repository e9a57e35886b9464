import { randomInt } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '@confide/auth';
import {
  jsonSchemaOf,
  LeaseCheckpointSchema,
  LeaseCompleteSchema,
  LeaseEventsSchema,
  LeaseStateSchema,
  type LeaseCheckpoint,
  type LeaseComplete,
  type LeaseEvents,
  type LeaseState,
} from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { ZodValidationPipe } from '@confide/platform';
import type { FastifyRequest } from 'fastify';
import { NodeRequestAuthenticator } from '../nodes/node-request.authenticator.js';
import { LeaseService } from './lease.service.js';

/**
 * Lease calls of a node: `/scheduler/v1/nodes/{node}/leases/{lease}/…`. Each names the epoch it works under; a
 * stale or ended lease answers 409 `lease_fenced` and the node must stop and wipe plaintext.
 */
@ApiTags('scheduler')
@ApiBearerAuth()
@ApiHeader({ name: 'DPoP', required: true })
@Controller('scheduler/v1/nodes/:nodeId/leases')
export class LeasesController {
  constructor(
    @Inject(LeaseService) private readonly leases: LeaseService,
    @Inject(NodeRequestAuthenticator) private readonly auth: NodeRequestAuthenticator,
  ) {}

  @Get(':leaseId')
  @RequirePermission('nodes:operate')
  @ApiOkResponse({ schema: jsonSchemaOf(LeaseStateSchema) })
  async state(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest, @Param('nodeId', new ParseUUIDPipe()) nodeId: string, @Param('leaseId', new ParseUUIDPipe()) leaseId: string): Promise<LeaseState> {
    return this.leases.state(await this.auth.node(req, p, nodeId), leaseId);
  }

  @Post(':leaseId/events')
  @HttpCode(200)
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Append metrics/messages (aggregates only) under the current epoch' })
  @ApiBody({ schema: jsonSchemaOf(LeaseEventsSchema) })
  async events(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest, @Param('nodeId', new ParseUUIDPipe()) nodeId: string, @Param('leaseId', new ParseUUIDPipe()) leaseId: string, @Body(new ZodValidationPipe(LeaseEventsSchema)) body: LeaseEvents): Promise<{ accepted: number }> {
    return this.leases.events(await this.auth.node(req, p, nodeId), leaseId, body);
  }

  @Post(':leaseId/checkpoints')
  @HttpCode(200)
  @RequirePermission('nodes:operate')
  @ApiBody({ schema: jsonSchemaOf(LeaseCheckpointSchema) })
  async checkpoint(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest, @Param('nodeId', new ParseUUIDPipe()) nodeId: string, @Param('leaseId', new ParseUUIDPipe()) leaseId: string, @Body(new ZodValidationPipe(LeaseCheckpointSchema)) body: LeaseCheckpoint): Promise<{ id: string; created: boolean }> {
    return this.leases.checkpoint(await this.auth.node(req, p, nodeId), leaseId, body);
  }

  @Post(':leaseId/complete')
  @HttpCode(200)
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'End the attempt (succeeded, failed with kind infra|user, preempted, cancelled); exactly once per epoch' })
  @ApiBody({ schema: jsonSchemaOf(LeaseCompleteSchema) })
  @ApiOkResponse({ schema: jsonSchemaOf(LeaseStateSchema) })
  async complete(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest, @Param('nodeId', new ParseUUIDPipe()) nodeId: string, @Param('leaseId', new ParseUUIDPipe()) leaseId: string, @Body(new ZodValidationPipe(LeaseCompleteSchema)) body: LeaseComplete): Promise<LeaseState> {
    return this.leases.complete(await this.auth.node(req, p, nodeId), leaseId, body, randomInt(0, 1_000_000) / 1_000_000);
  }
}
