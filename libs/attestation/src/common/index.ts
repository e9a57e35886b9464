export { parseCertificate, certificatesFromPemOrDer, verifyCertificateSignature, verifySignedBy } from './certificate.js';
export type { Certificate, CertificateExtension, PublicKeyInfo, SignatureAlgorithm, SignedData } from './certificate.js';
export { verifyCertificateChain } from './certificate-chain.js';
export type { ChainRequest } from './certificate-chain.js';
export { VerifiedLinkCache, verifySignedByCached } from './verified-links.js';
export { parseCrl, checkRevocation } from './crl.js';
export type { CertificateRevocationList } from './crl.js';
