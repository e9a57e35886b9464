export * from './keybroker.error.js';
export { normaliseTeePublicJwk, teeKeyThumbprint, TEE_KEY_CURVE, type TeePublicJwk } from './tee-key.js';
export { ServiceSigningKey, SERVICE_SIGNING_ALG } from './service-signing-key.js';
export {
  AttestationResultSigner,
  ATTESTATION_RESULT_TTL_S,
  ATTESTATION_RESULT_TYPE,
  ATTESTATION_STATUSES,
  type AttestationResultClaims,
  type AttestationStatus,
  type VerifiedAttestationResult,
} from './attestation-result.js';
export { evaluateReleasePolicy, isAttestationStatus, type ReleaseContext, type ReleasePolicy } from './release-policy.js';
export { encryptDekForTee, DEK_JWE_ALG, DEK_JWE_ENC, type DekJweHeader } from './dek-jwe.js';
export { LEASE_AUTHORITY, type FencedRow, type LeaseAuthority, type LeaseCheck, type LeaseVerdict } from './lease-authority.js';
export { signReportExport, verifyReportExport, REPORT_EXPORT_TYPE } from './report-export.js';
export { isCanonicalCompact } from './compact-serialization.js';
export { DATASET_KEY_REGISTRY, type DatasetKeyRegistry, type SealKeyRegistration } from './dataset-key-registry.js';
