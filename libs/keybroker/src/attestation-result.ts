import { createLocalJWKSet, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { isCanonicalCompact } from './compact-serialization.js';
import { KeyBrokerError } from './keybroker.error.js';
import { SERVICE_SIGNING_ALG, type ServiceSigningKey } from './service-signing-key.js';

/** EAR-style overall status (draft-ietf-rats-ear): only `affirming` results release keys by default. */
export const ATTESTATION_STATUSES = ['affirming', 'warning', 'contraindicated'] as const;
export type AttestationStatus = (typeof ATTESTATION_STATUSES)[number];

export const ATTESTATION_RESULT_TYPE = 'ar+jwt';
/** Results are short-lived: a node attests, then asks for its keys right away. */
export const ATTESTATION_RESULT_TTL_S = 300;

/** The claims of an attestation result (RATS: what the Verifier tells the Relying Party). */
export interface AttestationResultClaims {
  readonly status: AttestationStatus;
  readonly teeType: string;
  readonly measurement: string;
  readonly tcb: Readonly<Record<string, unknown>>;
  readonly policyId: string;
  readonly policyHash: string;
  readonly simulated: boolean;
  /** RFC 7638 thumbprint of the TEE key bound in the report data; the only key a DEK may be encrypted to. */
  readonly teeKeyThumbprint: string;
  readonly reportId: string;
  readonly tenantId: string;
  readonly jobId: string;
  readonly leaseEpoch: number;
  readonly gpuMeasurements: readonly string[];
}

export interface VerifiedAttestationResult extends AttestationResultClaims {
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/**
 * Issues and checks attestation results: ES384 JWTs typed `ar+jwt`, signed by the service key, with `cnf.jkt`
 * (RFC 7800) naming the TEE key. Only this service's own key is accepted back; `jku`/`jwk` headers are ignored.
 */
export class AttestationResultSigner {
  private readonly jwks: ReturnType<typeof createLocalJWKSet>;

  constructor(
    private readonly key: ServiceSigningKey,
    readonly issuer: string,
    private readonly ttlSeconds = ATTESTATION_RESULT_TTL_S,
  ) {
    this.jwks = createLocalJWKSet(key.jwks());
  }

  async sign(claims: AttestationResultClaims, now = new Date()): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(now.getTime() / 1000);
    const expiresAt = iat + this.ttlSeconds;
    const token = await new SignJWT({
      status: claims.status,
      tee_type: claims.teeType,
      measurement: claims.measurement,
      tcb: claims.tcb,
      policy_id: claims.policyId,
      policy_hash: claims.policyHash,
      simulated: claims.simulated,
      cnf: { jkt: claims.teeKeyThumbprint },
      report_id: claims.reportId,
      tenant_id: claims.tenantId,
      job_id: claims.jobId,
      lease_epoch: claims.leaseEpoch,
      gpu_measurements: [...claims.gpuMeasurements],
    })
      .setProtectedHeader({ alg: SERVICE_SIGNING_ALG, kid: this.key.kid, typ: ATTESTATION_RESULT_TYPE })
      .setIssuer(this.issuer)
      .setSubject(claims.reportId)
      .setJti(claims.reportId)
      .setIssuedAt(iat)
      .setExpirationTime(expiresAt)
      .sign(this.key.privateKey);
    return { token, expiresAt };
  }

  /** Throws a release denial (`result_*`) for anything but a well-formed, unexpired result signed by our key. */
  async verify(token: string, now = new Date()): Promise<VerifiedAttestationResult> {
    if (!isCanonicalCompact(token, 3)) throw KeyBrokerError.releaseDenied('result_malformed');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        algorithms: [SERVICE_SIGNING_ALG],
        issuer: this.issuer,
        typ: ATTESTATION_RESULT_TYPE,
        requiredClaims: ['iat', 'exp', 'jti', 'sub'],
        currentDate: now,
        clockTolerance: 0,
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw KeyBrokerError.releaseDenied('result_expired');
      if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
        throw KeyBrokerError.releaseDenied('result_signature_invalid');
      }
      if (error instanceof errors.JWTClaimValidationFailed) throw KeyBrokerError.releaseDenied('result_claims_invalid');
      throw KeyBrokerError.releaseDenied('result_malformed');
    }
    return parseClaims(payload);
  }
}

function parseClaims(p: JWTPayload): VerifiedAttestationResult {
  const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
  const cnf = p.cnf as { jkt?: unknown } | undefined;
  const gpus = p.gpu_measurements;
  if (
    !(ATTESTATION_STATUSES as readonly unknown[]).includes(p.status) ||
    !str(p.tee_type) ||
    typeof p.measurement !== 'string' ||
    !str(p.policy_id) ||
    !str(p.policy_hash) ||
    typeof p.simulated !== 'boolean' ||
    !str(cnf?.jkt) ||
    !str(p.report_id) ||
    p.report_id !== p.jti ||
    !str(p.tenant_id) ||
    !str(p.job_id) ||
    !Number.isSafeInteger(p.lease_epoch) ||
    !p.tcb ||
    typeof p.tcb !== 'object' ||
    !Array.isArray(gpus) ||
    !gpus.every((g) => typeof g === 'string')
  ) {
    throw KeyBrokerError.releaseDenied('result_claims_invalid');
  }
  return {
    status: p.status as AttestationStatus,
    teeType: p.tee_type,
    measurement: p.measurement,
    tcb: p.tcb as Record<string, unknown>,
    policyId: p.policy_id,
    policyHash: p.policy_hash,
    simulated: p.simulated,
    teeKeyThumbprint: cnf.jkt,
    reportId: p.report_id,
    tenantId: p.tenant_id,
    jobId: p.job_id,
    leaseEpoch: p.lease_epoch as number,
    gpuMeasurements: gpus as string[],
    issuedAt: p.iat!,
    expiresAt: p.exp!,
  };
}
