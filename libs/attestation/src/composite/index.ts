export * from './composite-evidence.js';
export { CompositeVerifier } from './composite.verifier.js';
export type { CompositeVerifierConfig } from './composite.verifier.js';
export { DevAwareVerifier } from './dev-aware.verifier.js';
