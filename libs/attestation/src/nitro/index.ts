export { NitroVerifier, nitroToVerifiedEvidence } from './nitro.verifier.js';
export type { NitroVerifierConfig, NitroVerifyOptions, NitroVerification } from './nitro.verifier.js';
export { parseNitroAttestationDocument, NITRO_LIMITS } from './nitro-document.js';
export type { NitroAttestationDocument } from './nitro-document.js';
export { parseCoseSign1, COSE } from './cose-sign1.js';
export type { CoseSign1 } from './cose-sign1.js';
export { decodeCbor, encodeCbor, CborMap, CborTag, DEFAULT_CBOR_LIMITS } from './cbor.js';
export type { CborValue, CborLimits } from './cbor.js';
export { AWS_NITRO_ENCLAVES_ROOT_G1_PEM, AWS_NITRO_ENCLAVES_ROOT_G1_SHA256 } from './aws-nitro-trust-anchors.js';
