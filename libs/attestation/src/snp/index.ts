export { SnpVerifier, SNP_COLLATERAL_KEYS, toVerifiedEvidence as snpToVerifiedEvidence } from './snp.verifier.js';
export type { SnpVerifierConfig, SnpVerification } from './snp.verifier.js';
export { parseSnpReport, decodeTcbVersion, productFromCpuid, SNP_PRODUCTS, SNP_REPORT_SIZE, SNP_SIGNED_LENGTH } from './snp-report.js';
export type {
  SnpAttestationReport,
  SnpProduct,
  SnpTcbVersion,
  SnpGuestPolicy,
  SnpPlatformInfo,
  SnpSignerInfo,
  SnpSigningKey,
  SnpFirmwareVersion,
} from './snp-report.js';
export { parseAmdEndorsementKey, AMD_KDS_OID } from './amd-key-extensions.js';
export type { AmdEndorsementKeyInfo } from './amd-key-extensions.js';
export { AMD_TRUST_ANCHORS } from './amd-trust-anchors.js';
export type { AmdProductAnchors } from './amd-trust-anchors.js';
