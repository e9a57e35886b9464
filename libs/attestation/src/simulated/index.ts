export * from './simulated-attester.types.js';
