import { Body, Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequirePermission } from '@confide/auth';
import {
  CreateDatasetKeySchema,
  DatasetKeySchema,
  jsonSchemaOf,
  KeyIdParamSchema,
  ReleaseRequestSchema,
  ReleaseResponseSchema,
  type CreateDatasetKey,
  type DatasetKeyDto,
  type ReleaseRequest,
  type ReleaseResponse,
} from '@confide/contracts';
import type { Principal } from '@confide/domain';
import { ZodValidationPipe } from '@confide/platform';
import type { z } from 'zod';
import { KeyBrokerService } from './key-broker.service.js';

@ApiTags('key broker')
@ApiBearerAuth()
@Controller('attestation/v1/keys')
export class KeyBrokerController {
  constructor(@Inject(KeyBrokerService) private readonly service: KeyBrokerService) {}

  @Post()
  @RequirePermission('datasets:write')
  @ApiOperation({ summary: 'Mint a dataset key (stored only wrapped by the KEK) with its release policy' })
  @ApiOkResponse({ schema: jsonSchemaOf(DatasetKeySchema) })
  create(@CurrentPrincipal() p: Principal, @Body(new ZodValidationPipe(CreateDatasetKeySchema)) body: CreateDatasetKey): Promise<DatasetKeyDto> {
    return this.service.createKey(p, body);
  }

  @Post(':key_id/release')
  @HttpCode(200)
  @RequirePermission('nodes:operate')
  @ApiOperation({ summary: 'Release a dataset key to an attested enclave, as a JWE to the TEE key; every refusal is the same 403' })
  @ApiOkResponse({ schema: jsonSchemaOf(ReleaseResponseSchema) })
  release(
    @CurrentPrincipal() p: Principal,
    @Param(new ZodValidationPipe(KeyIdParamSchema, 'params')) params: z.infer<typeof KeyIdParamSchema>,
    @Body(new ZodValidationPipe(ReleaseRequestSchema)) body: ReleaseRequest,
  ): Promise<ReleaseResponse> {
    return this.service.release(p, params.key_id, body);
  }
}
