export { parseCertificate, certificatesFromPemOrDer, verifyCertificateSignature } from './certificate.js';
export type { Certificate, CertificateExtension, PublicKeyInfo, SignatureAlgorithm } from './certificate.js';
export { verifyCertificateChain, VerifiedLinkCache } from './certificate-chain.js';
export type { ChainRequest } from './certificate-chain.js';
export { parseCrl, checkRevocation } from './crl.js';
export type { CertificateRevocationList } from './crl.js';
