export * from './attestation-result.js';
export * from './attestation-policy.js';
