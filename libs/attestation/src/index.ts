export * from './attestation.error.js';
export * from './verifier.js';
export * from './tdx/index.js';
