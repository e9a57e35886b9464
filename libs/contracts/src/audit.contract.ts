import { z } from 'zod';

const index = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const PageQuerySchema = z.strictObject({
  after: z.coerce.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).default(-1),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const LeavesQuerySchema = z.strictObject({
  start: index.default(0),
  limit: z.coerce.number().int().min(1).max(10000).default(1000),
});
export const InclusionQuerySchema = z.strictObject({ index, size: index });
export const ConsistencyQuerySchema = z.strictObject({ from: index.min(1), to: index.min(1) });
export const IndexParamSchema = z.strictObject({ index });

export const CheckpointSchema = z.object({
  size: z.number().int(),
  root: z.string().describe('base64 Merkle tree hash'),
  time: z.string(),
  note: z.string().describe('C2SP signed note (tlog-checkpoint), Ed25519'),
});
export type CheckpointDto = z.infer<typeof CheckpointSchema>;

export const AuditKeySchema = z.object({
  origin: z.string(),
  verifier_key: z.string().describe('signed-note verifier key: <name>+<keyid>+<base64(0x01||ed25519 pubkey)>'),
  hash: z.literal('RFC6962-SHA256'),
});

export const AuditEntrySchema = z.object({
  index: z.number().int(),
  action: z.string(),
  created_at: z.string(),
  canonical: z.string().describe('exactly the bytes hashed into the leaf (RFC 8785 JSON)'),
  leaf_hash: z.string(),
});
export type AuditEntryDto = z.infer<typeof AuditEntrySchema>;

export const AuditEntryListSchema = z.object({ object: z.literal('list'), data: z.array(AuditEntrySchema), has_more: z.boolean() });
export const LeafListSchema = z.object({ object: z.literal('list'), data: z.array(z.object({ index: z.number().int(), hash: z.string() })), has_more: z.boolean() });
export const CheckpointListSchema = z.object({ object: z.literal('list'), data: z.array(CheckpointSchema), has_more: z.boolean() });
export const InclusionProofSchema = z.object({ index: z.number().int(), size: z.number().int(), leaf_hash: z.string(), proof: z.array(z.string()) });
export const ConsistencyProofSchema = z.object({ from: z.number().int(), to: z.number().int(), proof: z.array(z.string()) });
