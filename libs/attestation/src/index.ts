export * from './attestation.error.js';
export * from './verifier.js';
