import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { certificatesFromPemOrDer, parseCertificate } from '../common/index.js';
import { SGX_EXTENSIONS_OID } from './pck-extensions.js';
import { parseTdxQuote, type TdxQuote } from './tdx-quote.js';
import { serializeTdxQuote } from './tdx-quote.writer.js';

/**
 * Test-only: a self-made PKI shaped like Intel's (root → PCK leaf carrying a real SGX extension; root → TCB
 * signing), used to re-sign real quotes and collateral so a test can change exactly one thing.
 */
const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DN = (cn: string): string => `CN=${cn}, O=Self-made test CA, C=US`;

export interface FakeIntelPki {
  readonly rootPem: string;
  readonly pckChainPem: string;
  readonly tcbSigningChainPem: string;
  readonly pckSerialHex: string;
  /** Raw r‖s signature by the fake PCK key. */
  signWithPck(data: Uint8Array): Promise<Uint8Array>;
  signWithTcbSigner(data: Uint8Array): Promise<Uint8Array>;
  crl(revokedSerials: readonly string[], thisUpdate: Date, nextUpdate: Date): Promise<Uint8Array>;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function createFakeIntelPki(sgxExtensionFrom: Uint8Array, notBefore: Date, notAfter: Date): Promise<FakeIntelPki> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const [rootKeys, pckKeys, tcbKeys] = await Promise.all([keyPair(), keyPair(), keyPair()]);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: DN('Intel SGX Root CA'),
    notBefore,
    notAfter,
    keys: rootKeys,
    signingAlgorithm: SIGN,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const realLeaf = parseCertificate(sgxExtensionFrom);
  const sgx = realLeaf.extensions.get(SGX_EXTENSIONS_OID)!;
  const pckSerialHex = '7e57';
  const pck = await x509.X509CertificateGenerator.create({
    serialNumber: pckSerialHex,
    subject: DN('Intel SGX PCK Certificate'),
    issuer: root.subject,
    notBefore,
    notAfter,
    publicKey: pckKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: SIGN,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.Extension(SGX_EXTENSIONS_OID, false, new Uint8Array(sgx.value))],
  });
  const tcbSigner = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=Intel SGX TCB Signing, O=Self-made test CA, C=US',
    issuer: root.subject,
    notBefore,
    notAfter,
    publicKey: tcbKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: SIGN,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  const sign = async (key: CryptoKey, data: Uint8Array): Promise<Uint8Array> =>
    new Uint8Array(await subtle.sign(SIGN, key, new Uint8Array(data)));
  return {
    rootPem: root.toString('pem'),
    pckChainPem: `${pck.toString('pem')}\n${root.toString('pem')}\n`,
    tcbSigningChainPem: `${tcbSigner.toString('pem')}\n${root.toString('pem')}\n`,
    pckSerialHex,
    signWithPck: (data) => sign(pckKeys.privateKey, data),
    signWithTcbSigner: (data) => sign(tcbKeys.privateKey, data),
    crl: async (revoked, thisUpdate, nextUpdate) => {
      const crl = await x509.X509CrlGenerator.create({
        issuer: root.subject,
        thisUpdate,
        nextUpdate,
        entries: revoked.map((serialNumber) => ({ serialNumber, revocationDate: thisUpdate })),
        signingKey: rootKeys.privateKey,
        signingAlgorithm: SIGN,
      });
      return new Uint8Array(crl.rawData);
    },
  };
}

/** The real quote, with its PCK chain replaced by the fake one and the QE report re-signed by the fake PCK. */
export async function requoteWithFakePck(real: Uint8Array, pki: FakeIntelPki): Promise<Uint8Array> {
  const q: TdxQuote = parseTdxQuote(real);
  return serializeTdxQuote({
    ...q,
    qeReport: q.qeReport.raw,
    qeReportSignature: await pki.signWithPck(q.qeReport.raw),
    pckCertData: new TextEncoder().encode(pki.pckChainPem),
  });
}

/** Signs `{"tcbInfo":…}` / `{"enclaveIdentity":…}` bodies the way Intel PCS does (P1363 hex over the exact value). */
export async function signCollateral(pki: FakeIntelPki, field: 'tcbInfo' | 'enclaveIdentity', value: unknown): Promise<Uint8Array> {
  const text = JSON.stringify(value);
  const signature = Buffer.from(await pki.signWithTcbSigner(new TextEncoder().encode(text))).toString('hex');
  return new TextEncoder().encode(`{"${field}":${text},"signature":"${signature}"}`);
}

export function pckLeafDer(quote: Uint8Array): Uint8Array {
  return certificatesFromPemOrDer(parseTdxQuote(quote).pckCertData)[0]!;
}
