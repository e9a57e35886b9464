import { canonicalJson } from '@confide/domain';
import { createHash } from 'node:crypto';
import { z } from 'zod';

import { TCB_STATUSES } from '../tdx/tdx-collateral.js';

/**
 * Appraisal policy: versioned data in attestation/policies/*.json. Deny by default: every field is required, there
 * are no defaults, unknown fields are errors, and a TEE type that is allowed must carry its own rule block.
 */
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${bytes}-byte lower-case hex`);
const svn = z.number().int().min(0).max(255);
const allowedOrForbidden = z.enum(['allowed', 'forbidden']);

export const SnpPolicyRulesSchema = z.strictObject({
  /** Minimum REPORTED_TCB per component (AMD SPL numbers). */
  minimumTcb: z.strictObject({ bootloader: svn, tee: svn, snp: svn, microcode: svn }),
  /** Guest policy SMT bit: 'forbidden' requires the guest to have been launched with SMT disallowed. */
  smt: allowedOrForbidden,
  /** Guest policy MIGRATE_MA bit. */
  migrationAgent: allowedOrForbidden,
  /** VMPLs the report may come from (0 = the most privileged, where the guest's own firmware runs). */
  allowedVmpls: z.array(z.number().int().min(0).max(3)).min(1),
  minimumGuestSvn: z.number().int().min(0),
});

export const TdxPolicyRulesSchema = z.strictObject({
  /** Lowest acceptable TCB status; statuses below UpToDate but at or above this give a warning. */
  minimumTcbStatus: z.enum(TCB_STATUSES.filter((s) => s !== 'Revoked') as [string, ...string[]]),
  /** When true the evidence must have been checked against TCB info and QE identity collateral. */
  requireCollateral: z.boolean(),
});

const pcrIndex = z.number().int().min(0).max(31);

export const NitroPolicyRulesSchema = z.strictObject({
  /**
   * PCRs a reference value must pin for a document to match it (at least PCR0, the enclave image): a reference entry
   * that leaves one of these out is not a match. PCR0/1/2 = image, kernel + boot ramdisk, application.
   */
  requiredPcrs: z
    .array(pcrIndex)
    .min(1)
    .refine((a) => a.includes(0), 'must include PCR0')
    .refine((a) => new Set(a).size === a.length, 'must not repeat an index'),
});

export const GpuPolicyRulesSchema = z.strictObject({
  /** At least this many verified GPUs must be bound into the CPU report (0 = GPUs optional). */
  minimumCount: z.number().int().min(0).max(16),
  /** The CC mode every GPU must be in, as established by matching its measurements to reference values. */
  ccMode: z.enum(['on', 'devtools']),
});

export const AttestationPolicySchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'kebab-case id'),
    version: z.number().int().min(1),
    description: z.string().min(1),
    /** Development PKI evidence (never true in production policies). */
    allowSimulated: z.boolean(),
    allowedTeeTypes: z.array(z.enum(['sev-snp', 'tdx', 'aws-nitro'])).min(1),
    debug: allowedOrForbidden,
    /** The reference-value set (attestation/reference-values/<id>.json) pinned by the SHA-256 of its canonical JSON. */
    referenceValues: z.strictObject({ id: z.string().min(1), sha256: hex(32) }),
    sevSnp: SnpPolicyRulesSchema.nullable(),
    tdx: TdxPolicyRulesSchema.nullable(),
    /**
     * AWS Nitro Enclaves rules. The one block a policy may leave out, and only when it does not allow aws-nitro:
     * policies written before Nitro support keep their canonical JSON, so their recorded hashes stay valid.
     */
    awsNitro: NitroPolicyRulesSchema.nullable().optional(),
    gpu: GpuPolicyRulesSchema,
  })
  .superRefine((p, ctx) => {
    for (const [tee, field] of [
      ['sev-snp', 'sevSnp'],
      ['tdx', 'tdx'],
      ['aws-nitro', 'awsNitro'],
    ] as const) {
      if (p.allowedTeeTypes.includes(tee) && (p[field] === null || p[field] === undefined)) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} rules are required when ${tee} is allowed` });
      }
    }
  });
export type AttestationPolicy = z.infer<typeof AttestationPolicySchema>;

const tdxReference = z.strictObject({
  label: z.string().min(1),
  mrTd: hex(48),
  /** null = not pinned (e.g. RTMR3, extended at run time). */
  rtmr0: hex(48).nullable(),
  rtmr1: hex(48).nullable(),
  rtmr2: hex(48).nullable(),
  rtmr3: hex(48).nullable(),
});

/** Reference values (IETF RATS): what a good measurement looks like, with where it came from. */
export const ReferenceValuesSchema = z.strictObject({
  id: z.string().min(1),
  version: z.number().int().min(1),
  provenance: z.strictObject({ source: z.string().min(1), date: z.string().min(1), note: z.string().optional() }),
  sevSnp: z.array(z.strictObject({ label: z.string().min(1), measurement: hex(48) })),
  tdx: z.array(tdxReference),
  /** Optional for the same reason as the policy's `awsNitro` block: older sets keep their pinned digest. */
  awsNitro: z
    .array(
      z.strictObject({
        label: z.string().min(1),
        /** PCR index → 48-byte hex value; every listed PCR must match. */
        pcrs: z
          .record(z.string().regex(/^(?:[0-9]|[12][0-9]|3[01])$/, 'PCR index 0-31'), hex(48))
          .refine((m) => Object.keys(m).length > 0, 'at least one PCR'),
      }),
    )
    .optional(),
  nvidiaH100: z.array(
    z.strictObject({
      label: z.string().min(1),
      ccMode: z.enum(['on', 'off', 'devtools']),
      /** SPDM measurement index → 48-byte hex value; every listed index must match. */
      measurements: z.record(z.string().regex(/^\d+$/), hex(48)).refine((m) => Object.keys(m).length > 0, 'at least one measurement'),
    }),
  ),
});
export type ReferenceValues = z.infer<typeof ReferenceValuesSchema>;

/** A policy with its pinned reference values resolved and its hash computed: what `appraise` takes. */
export interface LoadedPolicy {
  readonly policy: AttestationPolicy;
  readonly referenceValues: ReferenceValues;
  /** Hex SHA-256 of the policy's canonical JSON (covers the reference values through their pinned digest). */
  readonly policyHash: string;
}

export function canonicalSha256(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

export function policyHash(policy: AttestationPolicy): string {
  return canonicalSha256(policy);
}
