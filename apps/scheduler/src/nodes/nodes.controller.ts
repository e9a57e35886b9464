import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '@confide/auth';
import { jsonSchemaOf, NodeHeartbeatResponseSchema, NodeHeartbeatSchema, NodeSchema, RegisterNodeSchema, type NodeDto, type NodeHeartbeat, type NodeHeartbeatResponse, type RegisterNode } from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { ZodValidationPipe } from '@confide/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LeaseService } from '../leases/lease.service.js';
import { NodeRegistryService } from './node-registry.service.js';
import { NodeRequestAuthenticator } from './node-request.authenticator.js';

/** Node registry and node heartbeats. Every call carries a DPoP proof signed by the node's identity key. */
@ApiTags('scheduler')
@ApiBearerAuth()
@ApiHeader({ name: 'DPoP', required: true, description: 'Proof signed by the node identity key (htm, htu, iat, jti, ath)' })
@Controller('scheduler/v1/nodes')
export class NodesController {
  constructor(
    @Inject(NodeRegistryService) private readonly registry: NodeRegistryService,
    @Inject(NodeRequestAuthenticator) private readonly auth: NodeRequestAuthenticator,
    @Inject(LeaseService) private readonly leases: LeaseService,
  ) {}

  @Post()
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Register a node: attributes, and evidence binding the identity key (nonce = SHA-256("confide-node-registration.v1:" + jkt + ":" + proof jti))' })
  @ApiBody({ schema: jsonSchemaOf(RegisterNodeSchema) })
  @ApiOkResponse({ schema: jsonSchemaOf(NodeSchema) })
  async register(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest, @Body(new ZodValidationPipe(RegisterNodeSchema)) body: RegisterNode, @Res({ passthrough: true }) reply: FastifyReply): Promise<NodeDto> {
    const { node, created } = await this.registry.register(p, req, body);
    void reply.status(created ? 201 : 200);
    return node;
  }

  @Get()
  @RequirePermission('nodes:read')
  list(@CurrentPrincipal() p: Principal): Promise<{ object: 'list'; data: NodeDto[] }> {
    return this.registry.list(p);
  }

  @Get(':id')
  @RequirePermission('nodes:read')
  @ApiOkResponse({ schema: jsonSchemaOf(NodeSchema) })
  get(@CurrentPrincipal() p: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<NodeDto> {
    return this.registry.get(p, id);
  }

  @Post(':id/heartbeat')
  @HttpCode(200)
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Keep the node placeable, renew its leases (at their epoch), report phases; returns each lease with its directive' })
  @ApiBody({ schema: jsonSchemaOf(NodeHeartbeatSchema) })
  @ApiOkResponse({ schema: jsonSchemaOf(NodeHeartbeatResponseSchema) })
  async heartbeat(@CurrentPrincipal() p: Principal, @Req() req: FastifyRequest, @Param('id', new ParseUUIDPipe()) id: string, @Body(new ZodValidationPipe(NodeHeartbeatSchema)) body: NodeHeartbeat): Promise<NodeHeartbeatResponse> {
    const node = await this.auth.node(req, p, id);
    return this.leases.heartbeat(node, body);
  }
}
