/** Injection tokens of the attestation app. */
export const KEYRING = Symbol('KEYRING');
export const SERVICE_SIGNING_KEY = Symbol('SERVICE_SIGNING_KEY');
export const RESULT_SIGNER = Symbol('RESULT_SIGNER');
export const COMPOSITE_VERIFIER = Symbol('COMPOSITE_VERIFIER');
export const APPRAISER = Symbol('APPRAISER');
