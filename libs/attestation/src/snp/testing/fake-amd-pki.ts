import 'reflect-metadata';

import { Crypto } from '@peculiar/webcrypto';
import * as x509 from '@peculiar/x509';

import type { AmdProductAnchors } from '../amd-trust-anchors.js';
import { SNP_SIGNED_LENGTH, type SnpProduct } from '../snp-report.js';

/**
 * A self-made AMD PKI for tests: an ARK, per-product ASK/ASVK and VCEKs/VLEKs with the KDS extensions, all in AMD's
 * real algorithms (RSA-PSS SHA-384 salt 48 for the CA links, EC P-384 endorsement keys). Lets tests re-sign reports
 * with chosen TCB, chip id, policy or signing key, and issue CRLs. Never trusted outside tests.
 */
const crypto = new Crypto();
x509.cryptoProvider.set(crypto as unknown as globalThis.Crypto);

const PSS = { name: 'RSA-PSS', hash: 'SHA-384', saltLength: 48 } as const;
const RSA_GEN = { name: 'RSA-PSS', hash: 'SHA-384', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) };
const NOT_BEFORE = new Date('2024-01-01T00:00:00Z');
const NOT_AFTER = new Date('2040-01-01T00:00:00Z');

const derInt = (n: number): Uint8Array => {
  const bytes = n === 0 ? [0] : [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return new Uint8Array([0x02, bytes.length, ...bytes]);
};
const ia5 = (s: string): Uint8Array => new Uint8Array([0x16, s.length, ...Buffer.from(s, 'latin1')]);
const ext = (oid: string, value: Uint8Array): x509.Extension => new x509.Extension(oid, false, Uint8Array.from(value).buffer);
const caExtensions = (): x509.Extension[] => [
  new x509.BasicConstraintsExtension(true, 0, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
];

export interface EndorsementKeyOptions {
  readonly product: SnpProduct;
  readonly kind?: 'vcek' | 'vlek';
  readonly tcb: { bootloader: number; tee: number; snp: number; microcode: number; fmc?: number };
  /** Hex; 64 bytes (8 on Turin). Omitted for VLEKs. */
  readonly hwId?: string;
  readonly serialNumber?: string;
}

export class FakeAmdPki {
  private constructor(
    private readonly arkKeys: CryptoKeyPair,
    private readonly askKeys: CryptoKeyPair,
    readonly ark: x509.X509Certificate,
    private readonly intermediates: Map<string, x509.X509Certificate>,
  ) {}

  static async create(arkName = 'ARK-Milan'): Promise<FakeAmdPki> {
    const arkKeys = (await crypto.subtle.generateKey(RSA_GEN, true, ['sign', 'verify'])) as CryptoKeyPair;
    const askKeys = (await crypto.subtle.generateKey(RSA_GEN, true, ['sign', 'verify'])) as CryptoKeyPair;
    const ark = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '010000',
      name: `CN=${arkName}`,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      keys: arkKeys,
      signingAlgorithm: PSS,
      extensions: caExtensions(),
    });
    const pki = new FakeAmdPki(arkKeys, askKeys, ark, new Map());
    for (const product of ['Milan', 'Genoa', 'Turin'] as const) {
      for (const name of [`SEV-${product}`, `SEV-VLEK-${product}`]) {
        pki.intermediates.set(
          name,
          await x509.X509CertificateGenerator.create({
            serialNumber: name.includes('VLEK') ? '010101' : '010001',
            subject: `CN=${name}`,
            issuer: ark.subject,
            notBefore: NOT_BEFORE,
            notAfter: NOT_AFTER,
            publicKey: askKeys.publicKey,
            signingKey: arkKeys.privateKey,
            signingAlgorithm: PSS,
            extensions: caExtensions(),
          }),
        );
      }
    }
    return pki;
  }

  /** Anchors in the shape SnpVerifier takes, so a verifier can be built that trusts this PKI. */
  anchors(): Record<SnpProduct, AmdProductAnchors> {
    const chain = (name: string): string => `${this.intermediates.get(name)!.toString('pem')}\n${this.ark.toString('pem')}\n`;
    const entry = (p: SnpProduct): AmdProductAnchors => ({ vcekChainPem: chain(`SEV-${p}`), vlekChainPem: chain(`SEV-VLEK-${p}`) });
    return { Milan: entry('Milan'), Genoa: entry('Genoa'), Turin: entry('Turin') };
  }

  intermediatePem(name: string): string {
    return this.intermediates.get(name)!.toString('pem');
  }

  async issueEndorsementKey(options: EndorsementKeyOptions): Promise<{ der: Uint8Array; privateKey: CryptoKey }> {
    const kind = options.kind ?? 'vcek';
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const issuerName = kind === 'vlek' ? `SEV-VLEK-${options.product}` : `SEV-${options.product}`;
    const p = '1.3.6.1.4.1.3704.1.';
    const extensions = [
      ext(`${p}1`, derInt(options.product === 'Turin' ? 1 : 0)),
      ext(`${p}2`, ia5(options.product === 'Milan' ? 'Milan-B0' : options.product)),
      ext(`${p}3.1`, derInt(options.tcb.bootloader)),
      ext(`${p}3.2`, derInt(options.tcb.tee)),
      ext(`${p}3.3`, derInt(options.tcb.snp)),
      ext(`${p}3.8`, derInt(options.tcb.microcode)),
      ...(options.tcb.fmc !== undefined ? [ext(`${p}3.9`, derInt(options.tcb.fmc))] : []),
      ...(options.hwId ? [ext(`${p}4`, new Uint8Array(Buffer.from(options.hwId, 'hex')))] : []),
      ...(kind === 'vlek' ? [ext(`${p}5`, ia5('CN=test-csp'))] : []),
    ];
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: options.serialNumber ?? '00',
      subject: kind === 'vlek' ? 'CN=SEV-VLEK' : 'CN=SEV-VCEK',
      issuer: this.intermediates.get(issuerName)!.subject,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      publicKey: keys.publicKey,
      signingKey: this.askKeys.privateKey,
      signingAlgorithm: PSS,
      extensions,
    });
    return { der: new Uint8Array(cert.rawData), privateKey: keys.privateKey };
  }

  /** An ARK-signed CRL listing the given serial numbers. */
  async crl(serials: readonly string[], thisUpdate: Date, nextUpdate: Date): Promise<Uint8Array> {
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.ark.subject,
      thisUpdate,
      nextUpdate,
      entries: serials.map((serialNumber) => ({ serialNumber, revocationDate: thisUpdate })),
      signingKey: this.arkKeys.privateKey,
      signingAlgorithm: PSS,
    });
    return new Uint8Array(crl.rawData);
  }
}

/** Re-signs an SNP report in place with a P-384 key: r and s as 72-byte little-endian fields at 0x2A0 / 0x2E8. */
export async function signSnpReport(report: Uint8Array, privateKey: CryptoKey): Promise<Uint8Array> {
  const out = report.slice();
  const sig = new Uint8Array(
    await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, privateKey, out.slice(0, SNP_SIGNED_LENGTH)),
  );
  out.fill(0, 0x2a0);
  out.set(sig.slice(0, 48).reverse(), 0x2a0);
  out.set(sig.slice(48).reverse(), 0x2e8);
  return out;
}
