export * from './errors/domain.error.js';
