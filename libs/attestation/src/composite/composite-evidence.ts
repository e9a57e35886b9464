import { toHex } from '@confide/crypto';
import { canonicalJson } from '@confide/domain';
import { createHash } from 'node:crypto';
import { z } from 'zod';

import type { VerifiedEvidence } from '../verifier.js';

/**
 * Composite evidence (DESIGN §5.3): one CPU report plus the GPUs of the same machine, all produced for one
 * challenge nonce, and the public half of the key pair the TEE generated for that challenge.
 */
export type CpuEvidence =
  | {
      readonly format: 'sev-snp';
      /** Raw ATTESTATION_REPORT (0x4A0 bytes). */
      readonly evidence: Uint8Array;
      /** VCEK/VLEK (DER or PEM), optionally with the ASK/ARK chain. */
      readonly certificates: readonly Uint8Array[];
    }
  | {
      readonly format: 'tdx';
      /** Raw DCAP quote v4/v5 (carries its PCK chain). */
      readonly evidence: Uint8Array;
      readonly certificates?: readonly Uint8Array[];
    }
  | {
      readonly format: 'aws-nitro';
      /** The NSM's attestation document (COSE_Sign1, carries its chain); `user_data` holds the binding. */
      readonly evidence: Uint8Array;
      readonly certificates?: readonly Uint8Array[];
    };

export interface GpuEvidence {
  readonly format: 'nvidia-spdm';
  /** SPDM GET_MEASUREMENTS request ‖ signed response, as the H100 returns it. */
  readonly evidence: Uint8Array;
  /** Device certificate chain (PEM or DER), leaf first. */
  readonly certificates: readonly Uint8Array[];
}

/** The public EC key the TEE generated for this attestation (what the DEK is later encrypted to). */
export interface TeePublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256' | 'P-384' | 'P-521';
  readonly x: string;
  readonly y: string;
}

export interface CompositeEvidence {
  readonly cpu: CpuEvidence;
  readonly gpus: readonly GpuEvidence[];
  readonly teePublicJwk: TeePublicJwk;
}

export interface CompositeVerifyOptions {
  /** The challenge nonce (raw bytes; 32 bytes from the challenge endpoint). */
  readonly nonce: Uint8Array;
  readonly at: Date;
  /** Dev/embedded mode only: accept evidence signed by the simulated (development) PKI. */
  readonly allowSimulated?: boolean;
  /** CPU collateral (TDX TCB info / QE identity / CRLs, AMD CRL), keys as in TDX_COLLATERAL_KEYS / SNP_COLLATERAL_KEYS. */
  readonly collateral?: Readonly<Record<string, Uint8Array>>;
}

/** What the CompositeVerifier established: every part verified, and all of them bound to the nonce and the key. */
export interface CompositeVerification {
  readonly cpu: VerifiedEvidence;
  readonly gpus: readonly VerifiedEvidence[];
  /** True when any part is simulated (then every part must be allowed to be). */
  readonly simulated: boolean;
  /** Hex of the nonce. */
  readonly nonce: string;
  readonly teePublicJwk: TeePublicJwk;
  /** RFC 7638 SHA-256 thumbprint (base64url) of the TEE key: the `cnf.jkt` of the attestation result. */
  readonly teeKeyThumbprint: string;
  /** Hex SHA-256 of each GPU's raw evidence, in bundle order. */
  readonly gpuEvidenceSha256: readonly string[];
  /** Hex of the 64-byte report data the CPU report carried (= bindingReportData(...)). */
  readonly reportData: string;
}

const b64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
/** JSON wire form of CompositeEvidence (binary fields base64 or base64url), e.g. the body of `attest`. */
export const CompositeEvidenceJsonSchema = z.strictObject({
  cpu: z.strictObject({
    format: z.enum(['sev-snp', 'tdx', 'aws-nitro']),
    evidence: b64.min(1),
    certificates: z.array(b64.min(1)).max(8).default([]),
  }),
  gpus: z
    .array(z.strictObject({ format: z.literal('nvidia-spdm'), evidence: b64.min(1), certificates: z.array(b64.min(1)).min(1).max(8) }))
    .max(16),
  teePublicJwk: z.looseObject({ kty: z.literal('EC'), crv: z.enum(['P-256', 'P-384', 'P-521']), x: b64.min(1), y: b64.min(1) }),
});
export type CompositeEvidenceJson = z.input<typeof CompositeEvidenceJsonSchema>;

const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64'));

/** Parses (and validates) the JSON wire form. Throws a ZodError on bad shape. */
export function compositeEvidenceFromJson(json: unknown): CompositeEvidence {
  const j = CompositeEvidenceJsonSchema.parse(json);
  const certs = j.cpu.certificates.map(fromB64);
  const cpu: CpuEvidence = { format: j.cpu.format, evidence: fromB64(j.cpu.evidence), certificates: certs };
  return {
    cpu,
    gpus: j.gpus.map((g) => ({ format: g.format, evidence: fromB64(g.evidence), certificates: g.certificates.map(fromB64) })),
    teePublicJwk: { kty: 'EC', crv: j.teePublicJwk.crv, x: j.teePublicJwk.x, y: j.teePublicJwk.y },
  };
}

export function compositeEvidenceToJson(e: CompositeEvidence): CompositeEvidenceJson {
  const enc = (b: Uint8Array): string => Buffer.from(b).toString('base64');
  return {
    cpu: { format: e.cpu.format, evidence: enc(e.cpu.evidence), certificates: (e.cpu.certificates ?? []).map(enc) },
    gpus: e.gpus.map((g) => ({ format: g.format, evidence: enc(g.evidence), certificates: g.certificates.map(enc) })),
    teePublicJwk: { ...e.teePublicJwk },
  };
}

/** Only the members RFC 7638 names for EC keys: private or extra members never enter the binding. */
export function publicJwkMembers(jwk: TeePublicJwk): { kty: 'EC'; crv: string; x: string; y: string } {
  return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The CPU report data that binds a TEE key and its GPUs to a challenge (DESIGN §5.3):
 * SHA-512(RFC 8785 canonical JSON of {nonce: hex, tee_public_jwk: {crv,kty,x,y}, gpu_evidence_sha256: [hex…]}).
 * 64 bytes: exactly SNP REPORT_DATA / TDX REPORTDATA, and what a Nitro enclave puts in its document's `user_data`.
 */
export function bindingReportData(nonce: Uint8Array, teePublicJwk: TeePublicJwk, gpuEvidence: readonly Uint8Array[]): Uint8Array {
  const document = {
    nonce: toHex(nonce),
    tee_public_jwk: publicJwkMembers(teePublicJwk),
    gpu_evidence_sha256: gpuEvidence.map(sha256Hex),
  };
  return new Uint8Array(createHash('sha512').update(canonicalJson(document), 'utf8').digest());
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC public key. */
export function jwkThumbprint(jwk: TeePublicJwk): string {
  const m = publicJwkMembers(jwk);
  const json = `{"crv":${JSON.stringify(m.crv)},"kty":"EC","x":${JSON.stringify(m.x)},"y":${JSON.stringify(m.y)}}`;
  return createHash('sha256').update(json, 'utf8').digest('base64url');
}
