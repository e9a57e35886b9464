export { NvidiaSpdmVerifier, nvidiaSpdmToVerifiedEvidence } from './spdm.verifier.js';
export type { NvidiaSpdmVerifierConfig, NvidiaSpdmVerification } from './spdm.verifier.js';
export { parseSpdmMeasurementReport, NVIDIA_OPAQUE_TYPE, SPDM_REQUEST_LENGTH, SPDM_SIGNATURE_LENGTH } from './spdm-measurements.js';
export type { SpdmMeasurementReport, SpdmMeasurementBlock, NvidiaOpaqueData } from './spdm-measurements.js';
export { diceFwids, TCG_DICE_TCB_INFO_OID } from './gpu-device-certificate.js';
export { NrasEatVerifier, nrasToVerifiedEvidence, NRAS_COLLATERAL_KEYS, NRAS_ISSUER } from './nras-eat.verifier.js';
export type { NrasEatVerifierConfig, NrasEatVerification, NrasDeviceClaims } from './nras-eat.verifier.js';
export { NVIDIA_DEVICE_IDENTITY_ROOT_PEM } from './nvidia-trust-anchors.js';
