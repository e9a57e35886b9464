import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Public, RequirePermission } from '@confide/auth';
import {
  AttestRequestSchema,
  AttestResponseSchema,
  ChallengeRequestSchema,
  ChallengeResponseSchema,
  JwksSchema,
  jsonSchemaOf,
  type AttestRequest,
  type AttestResponse,
  type ChallengeRequest,
  type ChallengeResponse,
} from '@confide/contracts';
import type { Principal } from '@confide/domain';
import type { ServiceSigningKey } from '@confide/keybroker';
import { ZodValidationPipe } from '@confide/platform';
import { SERVICE_SIGNING_KEY } from '../infrastructure/attestation.tokens.js';
import { AttestationService } from './attestation.service.js';

/**
 * Node-agent routes of RCAR (challenge, attest). They need `nodes:operate`; per-request DPoP-style node signatures
 * (RFC 9449 shape, DESIGN §5.4) arrive with the scheduler's node registration.
 */
@ApiTags('attestation')
@ApiBearerAuth()
@Controller('attestation/v1')
export class AttestationController {
  constructor(
    @Inject(AttestationService) private readonly service: AttestationService,
    @Inject(SERVICE_SIGNING_KEY) private readonly key: ServiceSigningKey,
  ) {}

  @Post('challenge')
  @HttpCode(200)
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'A single-use nonce (60 s) for a job and lease epoch' })
  @ApiOkResponse({ schema: jsonSchemaOf(ChallengeResponseSchema) })
  challenge(@CurrentPrincipal() p: Principal, @Body(new ZodValidationPipe(ChallengeRequestSchema)) body: ChallengeRequest): Promise<ChallengeResponse> {
    return this.service.challenge(p, body);
  }

  @Post('attest')
  @HttpCode(200)
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Verify composite evidence bound to the nonce and TEE key; returns an attestation result (ES384 JWT)' })
  @ApiOkResponse({ schema: jsonSchemaOf(AttestResponseSchema) })
  attest(@CurrentPrincipal() p: Principal, @Body(new ZodValidationPipe(AttestRequestSchema)) body: AttestRequest): Promise<AttestResponse> {
    return this.service.attest(p, body);
  }

  @Get('jwks')
  @Public()
  @ApiOperation({ summary: 'Public keys that sign attestation results and exported reports' })
  @ApiOkResponse({ schema: jsonSchemaOf(JwksSchema) })
  jwks(): ReturnType<ServiceSigningKey['jwks']> {
    return this.key.jwks();
  }
}
