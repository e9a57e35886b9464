export * from './organization.contract.js';
export * from './audit.contract.js';
export * from './openapi.js';
export * from './attestation.contract.js';
export * from './datasets.contract.js';
export * from './jobs.contract.js';
export * from './nodes.contract.js';
export * from './fhe.contract.js';
