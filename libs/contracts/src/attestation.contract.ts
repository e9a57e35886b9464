import { z } from 'zod';

/**
 * The attestation service and key broker (DESIGN §5.3, the CoCo KBS "RCAR" shape): challenge → attest → release.
 * Node-agent routes (challenge, attest, release) need `nodes:operate`; auditors read reports with `attestation:read`.
 */
const b64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64 or base64url').min(1);
const jobId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of [A-Za-z0-9._:-]');
const leaseEpoch = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const uuid = z.uuid();
const region = z.string().regex(/^[a-z]{2}(-[a-z0-9-]{1,30})?$/, 'must be a region code such as "eu" or "eu-west-1"');

export const ChallengeRequestSchema = z.strictObject({ job_id: jobId, lease_epoch: leaseEpoch });
export type ChallengeRequest = z.infer<typeof ChallengeRequestSchema>;

export const ChallengeResponseSchema = z.object({
  nonce: z.string().describe('32 random bytes, hex; single use, bound into the report data'),
  expires_at: z.string().describe('RFC 3339, set by the database clock'),
});
export type ChallengeResponse = z.infer<typeof ChallengeResponseSchema>;

export const TeePublicJwkSchema = z.looseObject({
  kty: z.literal('EC'),
  crv: z.enum(['P-256', 'P-384', 'P-521']),
  x: z.string().min(1).max(200),
  y: z.string().min(1).max(200),
});

export const AttestRequestSchema = z.strictObject({
  nonce: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 hex characters of the challenge nonce'),
  tee_public_jwk: TeePublicJwkSchema,
  evidence: z.strictObject({
    cpu: z.strictObject({
      format: z.enum(['sev-snp', 'tdx']),
      report: b64.max(64 * 1024).describe('SNP ATTESTATION_REPORT or TDX quote, base64'),
      certs: z.array(b64.max(16 * 1024)).max(8).default([]).describe('VCEK/VLEK (DER or PEM), base64'),
    }),
    gpus: z
      .array(
        z.strictObject({
          format: z.literal('nvidia-spdm'),
          report: b64.max(64 * 1024).describe('SPDM GET_MEASUREMENTS request ‖ signed response, base64'),
          certs: z.array(b64.max(32 * 1024)).min(1).max(8).describe('device chain (PEM or DER), leaf first, base64'),
        }),
      )
      .max(16)
      .default([]),
  }),
});
export type AttestRequest = z.infer<typeof AttestRequestSchema>;

export const AttestResponseSchema = z.object({
  attestation_result: z.string().describe('ES384 JWT (typ ar+jwt) signed by the service key; cnf.jkt names the TEE key'),
  expires_at: z.number().int(),
  report_id: uuid,
  status: z.enum(['affirming', 'warning', 'contraindicated']),
  simulated: z.boolean(),
});
export type AttestResponse = z.infer<typeof AttestResponseSchema>;

export const JwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

/** Deny by default: every list names what is allowed. */
export const ReleasePolicySchema = z.strictObject({
  allowed_tee_types: z.array(z.enum(['sev-snp', 'tdx'])).min(1),
  allowed_policy_ids: z.array(z.string().min(1).max(128)).min(1),
  allowed_measurements: z.array(z.string().regex(/^[0-9a-fA-F]{96}$/, 'must be a 48-byte hex measurement')).max(256).optional(),
  minimum_status: z.enum(['affirming', 'warning']).default('affirming'),
  allow_simulated: z.boolean().default(false),
  residency: z.array(region).max(50).optional(),
});
export type ReleasePolicyDto = z.infer<typeof ReleasePolicySchema>;

export const CreateDatasetKeySchema = z.strictObject({
  dataset_id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of [A-Za-z0-9._:-]'),
  release_policy: ReleasePolicySchema,
});
export type CreateDatasetKey = z.infer<typeof CreateDatasetKeySchema>;

export const DatasetKeySchema = z.object({
  id: uuid,
  object: z.literal('dataset_key'),
  dataset_id: z.string(),
  key_version: z.number().int(),
  kek_id: z.string(),
  kek_version: z.number().int(),
  release_policy: ReleasePolicySchema,
  created_at: z.number().int(),
});
export type DatasetKeyDto = z.infer<typeof DatasetKeySchema>;

export const KeyIdParamSchema = z.strictObject({ key_id: z.string().max(64) });
export const ReportIdParamSchema = z.strictObject({ id: uuid });

export const ReleaseRequestSchema = z.strictObject({
  attestation_result: z.string().min(1).max(16 * 1024),
  job_id: jobId,
  lease_epoch: leaseEpoch,
});
export type ReleaseRequest = z.infer<typeof ReleaseRequestSchema>;

export const ReleaseResponseSchema = z.object({
  key_id: uuid,
  key_version: z.number().int(),
  dataset_id: z.string(),
  report_id: uuid,
  jwe: z.string().describe('compact JWE (ECDH-ES+A256KW, A256GCM, no zip) of the 32-byte DEK to the attested TEE key'),
});
export type ReleaseResponse = z.infer<typeof ReleaseResponseSchema>;

export const AttestationReportSchema = z.object({
  id: uuid,
  object: z.literal('attestation_report'),
  job_id: z.string(),
  lease_epoch: z.number().int(),
  status: z.enum(['affirming', 'warning', 'contraindicated']),
  tee_type: z.string().nullable(),
  simulated: z.boolean(),
  reasons: z.array(z.record(z.string(), z.unknown())),
  claims: z.record(z.string(), z.unknown()).nullable(),
  policy: z.object({ id: z.string(), hash: z.string(), document: z.record(z.string(), z.unknown()) }),
  tee_key_thumbprint: z.string(),
  tee_public_jwk: z.record(z.string(), z.unknown()),
  evidence: z.record(z.string(), z.unknown()).describe('the evidence exactly as submitted (base64)'),
  submitted_by: z.string(),
  created_at: z.string(),
});
export type AttestationReportDto = z.infer<typeof AttestationReportSchema>;

export const AttestationReportListSchema = z.object({ object: z.literal('list'), data: z.array(AttestationReportSchema.omit({ evidence: true })) });
export const ReportListQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });
