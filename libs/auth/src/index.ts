export * from './auth.error.js';
export * from './token/access-token.verifier.js';
export * from './dev-issuer/dev-accounts.js';
export * from './dev-issuer/dev-issuer.js';
export * from './rbac/permission.decorator.js';
export * from './rbac/auth.guard.js';
export * from './dpop/dpop-proof.js';
