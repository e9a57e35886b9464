export * from './errors/domain.error.js';
export * from './identity/permissions.js';
export * from './json/canonical-json.js';
export * from './jobs/index.js';
export * from './hash/string-hash.js';
