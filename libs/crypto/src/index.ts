export * from './bytes.js';
export * from './crypto.error.js';
export * from './crypto-provider.js';
export * from './ecdsa-signature.js';
export * from './webcrypto.provider.js';
