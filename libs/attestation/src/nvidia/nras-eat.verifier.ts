import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

import { toHex, WebCryptoProvider, type CryptoProvider } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import type { EvidenceVerifier, VerifiedEvidence, VerifyOptions } from '../verifier.js';

/** Keys of `VerifyOptions.collateral` the NRAS verifier reads. */
export const NRAS_COLLATERAL_KEYS = {
  /** The NRAS JWKS (JSON), fetched from https://nras.attestation.nvidia.com/.well-known/jwks.json near `at`. */
  jwks: 'nras-jwks',
} as const;

export const NRAS_ISSUER = 'https://nras.attestation.nvidia.com';

export interface NrasEatVerifierConfig {
  readonly crypto?: CryptoProvider;
  readonly issuer?: string;
}

export interface NrasDeviceClaims {
  readonly name: string;
  readonly claims: JWTPayload & Record<string, unknown>;
}

export interface NrasEatVerification {
  readonly overall: JWTPayload & Record<string, unknown>;
  readonly devices: readonly NrasDeviceClaims[];
  readonly nonce: string;
  readonly overallResult: boolean;
}

function parseEat(evidence: Uint8Array): { overall: string; devices: Record<string, string> } {
  const fail = (): AttestationError =>
    new AttestationError('evidence_malformed', 'NRAS EAT is not [["JWT", token], {device: token}]', 'eat');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(evidence).toString('utf8'));
  } catch {
    throw fail();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw fail();
  const [head, devices] = parsed as [unknown, unknown];
  if (!Array.isArray(head) || head[0] !== 'JWT' || typeof head[1] !== 'string') throw fail();
  if (typeof devices !== 'object' || devices === null || Array.isArray(devices)) throw fail();
  const tokens: Record<string, string> = {};
  for (const [name, token] of Object.entries(devices)) {
    if (typeof token !== 'string') throw fail();
    tokens[name] = token;
  }
  return { overall: head[1], devices: tokens };
}

function mapJoseError(error: unknown, what: string): AttestationError {
  const code = (error as { code?: string }).code ?? '';
  const claim = (error as { claim?: string }).claim;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new AttestationError('token_expired', 'NRAS token is expired at the requested time', what);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return claim === 'nbf' || claim === 'iat'
        ? new AttestationError('token_expired', 'NRAS token is not yet valid at the requested time', what, claim)
        : new AttestationError('token_claims_invalid', 'NRAS token claims are invalid', what, claim);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new AttestationError('signature_invalid', 'NRAS token signature is invalid', what);
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new AttestationError('key_unknown', 'NRAS token key is not in the JWKS', what);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new AttestationError('signature_invalid', 'NRAS token algorithm is not allowed', what);
    default:
      return new AttestationError('evidence_malformed', 'NRAS token is malformed', what, code);
  }
}

/**
 * NVIDIA Remote Attestation Service (NRAS) detached EAT: `[["JWT", overall], {"GPU-0": device, …}]`. Verifies every
 * JWT (ES384) against the JWKS in `options.collateral["nras-jwks"]` at `options.at`, checks the issuer, that
 * `submods` lists exactly the device tokens with their SHA-256 digests, that all tokens carry the same nonce, and
 * the nonce against `expectedReportData`. NRAS's own verdicts (`x-nvidia-overall-att-result`, `measres`, …) are
 * returned as claims for appraisal.
 */
export class NrasEatVerifier implements EvidenceVerifier {
  readonly format = 'nvidia-nras-eat' as const;
  private readonly crypto: CryptoProvider;
  private readonly issuer: string;

  constructor(config: NrasEatVerifierConfig = {}) {
    this.crypto = config.crypto ?? new WebCryptoProvider();
    this.issuer = config.issuer ?? NRAS_ISSUER;
  }

  async verify(evidence: Uint8Array, options: VerifyOptions): Promise<VerifiedEvidence> {
    return nrasToVerifiedEvidence(await this.verifyToken(evidence, options));
  }

  async verifyToken(evidence: Uint8Array, options: VerifyOptions): Promise<NrasEatVerification> {
    const eat = parseEat(evidence);
    const jwksBytes = options.collateral?.[NRAS_COLLATERAL_KEYS.jwks];
    if (!jwksBytes) throw new AttestationError('collateral_missing', 'NRAS JWKS not supplied', NRAS_COLLATERAL_KEYS.jwks);
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(Buffer.from(jwksBytes).toString('utf8')) as JSONWebKeySet;
      if (!Array.isArray(jwks.keys)) throw new Error('no keys');
    } catch {
      throw new AttestationError('collateral_invalid', 'NRAS JWKS is not a JSON Web Key Set', NRAS_COLLATERAL_KEYS.jwks);
    }
    const keySet = createLocalJWKSet(jwks);
    const check = async (token: string, what: string): Promise<JWTPayload & Record<string, unknown>> => {
      try {
        decodeProtectedHeader(token);
        const { payload } = await jwtVerify(token, keySet, {
          algorithms: ['ES384'],
          issuer: this.issuer,
          currentDate: options.at,
          requiredClaims: ['exp', 'iat', 'eat_nonce'],
        });
        return payload as JWTPayload & Record<string, unknown>;
      } catch (error) {
        throw mapJoseError(error, what);
      }
    };

    const overall = await check(eat.overall, 'overall');
    const submods = overall.submods;
    if (typeof submods !== 'object' || submods === null) {
      throw new AttestationError('token_claims_invalid', 'NRAS overall token has no submods', 'submods');
    }
    const listed = Object.keys(submods).sort();
    const present = Object.keys(eat.devices).sort();
    if (listed.length === 0 || listed.join('\n') !== present.join('\n')) {
      throw new AttestationError('token_claims_invalid', 'NRAS submods do not match the device tokens', 'submods');
    }
    const nonce = overall.eat_nonce;
    const devices: NrasDeviceClaims[] = [];
    for (const name of present) {
      const token = eat.devices[name]!;
      const entry = (submods as Record<string, unknown>)[name];
      const digest = await this.crypto.digest('SHA-256', new TextEncoder().encode(token));
      const ok =
        Array.isArray(entry) &&
        entry[0] === 'DIGEST' &&
        Array.isArray(entry[1]) &&
        entry[1][0] === 'SHA-256' &&
        typeof entry[1][1] === 'string' &&
        entry[1][1].toLowerCase() === toHex(digest);
      if (!ok) throw new AttestationError('token_claims_invalid', 'NRAS submod digest does not match its token', `submods.${name}`);
      const claims = await check(token, name);
      if (claims.eat_nonce !== nonce) {
        throw new AttestationError('token_claims_invalid', 'NRAS device token nonce differs from the overall token', name);
      }
      devices.push({ name, claims });
    }
    if (typeof nonce !== 'string' || !/^[0-9a-fA-F]+$/.test(nonce)) {
      throw new AttestationError('token_claims_invalid', 'NRAS eat_nonce is not hex', 'eat_nonce');
    }
    if (options.expectedReportData && toHex(options.expectedReportData) !== nonce.toLowerCase()) {
      throw new AttestationError('report_data_mismatch', 'NRAS eat_nonce differs from the expected nonce', 'eat_nonce');
    }
    return { overall, devices, nonce: nonce.toLowerCase(), overallResult: overall['x-nvidia-overall-att-result'] === true };
  }
}

export function nrasToVerifiedEvidence(v: NrasEatVerification): VerifiedEvidence {
  return {
    format: 'nvidia-nras-eat',
    teeType: 'nvidia-h100',
    simulated: false,
    // NRAS compares the measurements with NVIDIA's RIMs itself and returns only the outcome (`measres`).
    measurement: '',
    reportData: v.nonce,
    debug: v.devices.some((d) => d.claims.dbgstat !== 'disabled'),
    tcb: Object.fromEntries(
      v.devices.map((d) => [
        d.name,
        { driverVersion: d.claims['x-nvidia-gpu-driver-version'], vbiosVersion: d.claims['x-nvidia-gpu-vbios-version'] },
      ]),
    ),
    details: {
      overallResult: v.overallResult,
      issuer: v.overall.iss,
      issuedAt: v.overall.iat,
      expiresAt: v.overall.exp,
      devices: Object.fromEntries(v.devices.map((d) => [d.name, d.claims])),
    },
  };
}
