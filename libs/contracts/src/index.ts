export * from './organization.contract.js';
export * from './audit.contract.js';
export * from './openapi.js';
