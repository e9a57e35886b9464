export * from './attestation.error.js';
export * from './verifier.js';
export * from './tdx/index.js';
export * from './snp/index.js';
export * from './common/index.js';
export * from './nvidia/index.js';
