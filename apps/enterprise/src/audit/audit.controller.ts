import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditLog, AuditLogError } from '@confide/audit';
import { CurrentPrincipal, Public, RequirePermission } from '@confide/auth';
import {
  AuditEntryListSchema,
  AuditEntrySchema,
  AuditKeySchema,
  CheckpointListSchema,
  CheckpointSchema,
  ConsistencyProofSchema,
  ConsistencyQuerySchema,
  InclusionProofSchema,
  InclusionQuerySchema,
  IndexParamSchema,
  jsonSchemaOf,
  LeafListSchema,
  LeavesQuerySchema,
  PageQuerySchema,
  type AuditEntryDto,
} from '@confide/contracts';
import type { Principal } from '@confide/domain';
import type { StoredEntry } from '@confide/persistence';
import { ZodValidationPipe } from '@confide/platform';
import type { z } from 'zod';

/**
 * The audit log for auditors: signed checkpoints, proofs, and the caller's own tenant's entries. Leaf hashes of
 * every tenant are served (they reveal nothing) so anyone can rebuild the tree and check the signed roots.
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(@Inject(AuditLog) private readonly log: AuditLog) {}

  @Get('key')
  @Public()
  @ApiOperation({ summary: 'The published key that signs checkpoints' })
  @ApiOkResponse({ schema: jsonSchemaOf(AuditKeySchema) })
  key(): z.infer<typeof AuditKeySchema> {
    return { origin: this.log.origin, verifier_key: this.log.verifierKey, hash: 'RFC6962-SHA256' };
  }

  @Get('checkpoint')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'Latest signed checkpoint (signs the current tree head if it grew)' })
  @ApiOkResponse({ schema: jsonSchemaOf(CheckpointSchema) })
  checkpoint(): ReturnType<AuditLog['checkpoint']> {
    return this.log.checkpoint();
  }

  @Get('checkpoints')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'Every signed checkpoint, by size' })
  @ApiOkResponse({ schema: jsonSchemaOf(CheckpointListSchema) })
  async checkpoints(@Query(new ZodValidationPipe(PageQuerySchema, 'query')) q: z.infer<typeof PageQuerySchema>): Promise<z.infer<typeof CheckpointListSchema>> {
    const rows = await this.log.checkpoints(q.after, q.limit + 1);
    return { object: 'list', data: rows.slice(0, q.limit), has_more: rows.length > q.limit };
  }

  @Get('leaves')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'Leaf hashes in log order (no entry content)' })
  @ApiOkResponse({ schema: jsonSchemaOf(LeafListSchema) })
  async leaves(@Query(new ZodValidationPipe(LeavesQuerySchema, 'query')) q: z.infer<typeof LeavesQuerySchema>): Promise<z.infer<typeof LeafListSchema>> {
    const rows = await this.log.leaves(q.start, q.limit + 1);
    return { object: 'list', data: rows.slice(0, q.limit).map((r) => ({ index: r.index, hash: r.hash.toString('base64') })), has_more: rows.length > q.limit };
  }

  @Get('entries')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: "The caller's tenant's entries, in log order" })
  @ApiOkResponse({ schema: jsonSchemaOf(AuditEntryListSchema) })
  async entries(
    @CurrentPrincipal() p: Principal,
    @Query(new ZodValidationPipe(PageQuerySchema, 'query')) q: z.infer<typeof PageQuerySchema>,
  ): Promise<z.infer<typeof AuditEntryListSchema>> {
    const rows = await this.log.entries(p.tenantId, q.after, q.limit + 1);
    return { object: 'list', data: rows.slice(0, q.limit).map(toEntryDto), has_more: rows.length > q.limit };
  }

  @Get('entries/:index')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'One entry of the caller\'s tenant' })
  @ApiOkResponse({ schema: jsonSchemaOf(AuditEntrySchema) })
  async entry(@CurrentPrincipal() p: Principal, @Param(new ZodValidationPipe(IndexParamSchema, 'params')) params: z.infer<typeof IndexParamSchema>): Promise<AuditEntryDto> {
    const e = await this.log.entry(params.index);
    // Another tenant's entry is indistinguishable from a missing one.
    if (!e || e.tenantId !== p.tenantId) throw new AuditLogError('index_out_of_range', 'No such audit entry.');
    return toEntryDto(e);
  }

  @Get('proofs/inclusion')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'RFC 6962 inclusion proof of a leaf in the tree of a given size' })
  @ApiOkResponse({ schema: jsonSchemaOf(InclusionProofSchema) })
  async inclusion(@Query(new ZodValidationPipe(InclusionQuerySchema, 'query')) q: z.infer<typeof InclusionQuerySchema>): Promise<z.infer<typeof InclusionProofSchema>> {
    const p = await this.log.inclusionProof(q.index, q.size);
    return { index: q.index, size: q.size, leaf_hash: p.leafHash, proof: p.proof };
  }

  @Get('proofs/consistency')
  @RequirePermission('audit:read')
  @ApiOperation({ summary: 'RFC 6962 consistency proof between two tree sizes' })
  @ApiOkResponse({ schema: jsonSchemaOf(ConsistencyProofSchema) })
  async consistency(@Query(new ZodValidationPipe(ConsistencyQuerySchema, 'query')) q: z.infer<typeof ConsistencyQuerySchema>): Promise<z.infer<typeof ConsistencyProofSchema>> {
    return { from: q.from, to: q.to, proof: await this.log.consistencyProof(q.from, q.to) };
  }
}

function toEntryDto(e: StoredEntry): AuditEntryDto {
  return { index: e.leafIndex, action: e.action, created_at: e.createdAt.toISOString(), canonical: e.canonical, leaf_hash: e.leafHash.toString('base64') };
}
