export * from './data-source.factory.js';
export * from './entities/index.js';
export * from './repositories/audit.repository.js';
export * from './repositories/organization.repository.js';
export * from './repositories/attestation.repository.js';
export * from './repositories/key-broker.repository.js';
export * from './repositories/dataset.repository.js';
