import 'reflect-metadata';

import { Crypto } from '@peculiar/webcrypto';
import * as x509 from '@peculiar/x509';

import { toArrayBuffer } from '@confide/crypto';

import { CborMap, CborTag, decodeCbor, encodeCbor, type CborValue } from '../cbor.js';
import { COSE } from '../cose-sign1.js';

/**
 * A self-made Nitro-shaped PKI for tests: a P-384 root ("aws.nitro-enclaves" in name only) → intermediate → enclave
 * certificate, all ECDSA SHA-384 like AWS's, and helpers that build and sign attestation documents (COSE_Sign1,
 * ES384) with chosen fields. Never trusted outside tests: a verifier trusts it only when given `rootPem`.
 */
const crypto = new Crypto();
x509.cryptoProvider.set(crypto as unknown as globalThis.Crypto);

const EC384 = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const ES384 = { name: 'ECDSA', hash: 'SHA-384' } as const;
const PROTECTED_ES384 = encodeCbor(new CborMap([[COSE.headerAlg, COSE.algEs384]]));

export const FAKE_NITRO_VALIDITY = { notBefore: new Date('2024-01-01T00:00:00Z'), notAfter: new Date('2040-01-01T00:00:00Z') } as const;

export async function generateP384(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(EC384, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** ES384 over the COSE Sig_structure; WebCrypto's ECDSA output is already r‖s (96 bytes). */
export async function signSign1(protectedBytes: Uint8Array, payload: Uint8Array, privateKey: CryptoKey): Promise<Uint8Array> {
  const toBeSigned = encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  return new Uint8Array(await crypto.subtle.sign(ES384, privateKey, toArrayBuffer(toBeSigned)));
}

/** COSE_Sign1 bytes (untagged, like the NSM, unless `tagged`). */
export function coseSign1(protectedBytes: Uint8Array, payload: Uint8Array, signature: Uint8Array, tagged = false): Uint8Array {
  const message: CborValue = [protectedBytes, new CborMap([]), payload, signature];
  return encodeCbor(tagged ? new CborTag(COSE.tagSign1, message) : message);
}

/** The payload map of a COSE_Sign1 document (for tests that re-encode a real document with changes). */
export function payloadOf(document: Uint8Array): CborMap {
  const message = decodeCbor(document, 'test') as CborValue[];
  return decodeCbor(message[2] as Uint8Array, 'test') as CborMap;
}

/** `map` with `field` replaced (or added at the end); `undefined` removes it. */
export function withField(map: CborMap, field: CborValue, value: CborValue | undefined): CborMap {
  const entries = map.entries.filter(([k]) => k !== field);
  const at = map.entries.findIndex(([k]) => k === field);
  if (value === undefined) return new CborMap(entries);
  const next: [CborValue, CborValue][] = entries.map(([k, v]) => [k, v]);
  next.splice(at < 0 ? next.length : at, 0, [field, value]);
  return new CborMap(next);
}

export interface FakeDocumentFields {
  readonly moduleId?: string;
  readonly timestamp?: number;
  /** index → 48 bytes; defaults to PCR0..15 with PCR0 = 0x11…, the rest zero. */
  readonly pcrs?: ReadonlyMap<number, Uint8Array>;
  readonly publicKey?: Uint8Array | null;
  readonly userData?: Uint8Array | null;
  readonly nonce?: Uint8Array | null;
}

export class FakeNitroPki {
  private constructor(
    private readonly enclaveKeys: CryptoKeyPair,
    readonly root: x509.X509Certificate,
    readonly intermediate: x509.X509Certificate,
    readonly enclave: x509.X509Certificate,
  ) {}

  /** `validity` of the enclave certificate; `enclaveCurve` P-256 makes a certificate Nitro never issues. */
  static async create(options: { validity?: { notBefore: Date; notAfter: Date }; enclaveCurve?: 'P-384' | 'P-256' } = {}): Promise<FakeNitroPki> {
    const validity = options.validity ?? FAKE_NITRO_VALIDITY;
    const [rootKeys, intermediateKeys] = [await generateP384(), await generateP384()];
    const enclaveKeys =
      options.enclaveCurve === 'P-256'
        ? ((await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair)
        : await generateP384();
    const ca = [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)];
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'C=US, O=Amazon, OU=AWS, CN=aws.nitro-enclaves',
      ...FAKE_NITRO_VALIDITY,
      keys: rootKeys,
      signingAlgorithm: ES384,
      extensions: ca,
    });
    const intermediate = await x509.X509CertificateGenerator.create({
      serialNumber: '02',
      subject: 'C=US, O=Amazon, OU=AWS, CN=fake.zonal.nitro-enclaves',
      issuer: root.subject,
      ...FAKE_NITRO_VALIDITY,
      publicKey: intermediateKeys.publicKey,
      signingKey: rootKeys.privateKey,
      signingAlgorithm: ES384,
      extensions: ca,
    });
    const enclave = await x509.X509CertificateGenerator.create({
      serialNumber: '03',
      subject: 'C=US, O=Amazon, OU=AWS, CN=i-fake-enc.us-east-1.aws',
      issuer: intermediate.subject,
      ...validity,
      publicKey: enclaveKeys.publicKey,
      signingKey: intermediateKeys.privateKey,
      signingAlgorithm: ES384,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
    });
    return new FakeNitroPki(enclaveKeys, root, intermediate, enclave);
  }

  get rootPem(): string {
    return this.root.toString('pem');
  }

  /** The payload map NSM would produce, with the defaults above. */
  payload(fields: FakeDocumentFields = {}): CborMap {
    const pcrs = fields.pcrs ?? new Map(Array.from({ length: 16 }, (_, i) => [i, new Uint8Array(48).fill(i === 0 ? 0x11 : 0)]));
    const optional = (v: Uint8Array | null | undefined): CborValue => (v === undefined ? null : v);
    return new CborMap([
      ['module_id', fields.moduleId ?? 'i-fake-enc0123456789abcdef'],
      ['digest', 'SHA384'],
      ['timestamp', fields.timestamp ?? Date.parse('2025-01-01T00:00:00Z')],
      ['pcrs', new CborMap([...pcrs].map(([i, v]) => [i, v] as [CborValue, CborValue]))],
      ['certificate', new Uint8Array(this.enclave.rawData)],
      ['cabundle', [new Uint8Array(this.root.rawData), new Uint8Array(this.intermediate.rawData)]],
      ['public_key', optional(fields.publicKey)],
      ['user_data', optional(fields.userData)],
      ['nonce', optional(fields.nonce)],
    ]);
  }

  /** A signed attestation document over `payload` (a map, or raw payload bytes for malformed-payload tests). */
  async document(payload: CborMap | Uint8Array = this.payload(), options: { tagged?: boolean; protectedBytes?: Uint8Array } = {}): Promise<Uint8Array> {
    const payloadBytes = payload instanceof Uint8Array ? payload : encodeCbor(payload);
    const protectedBytes = options.protectedBytes ?? PROTECTED_ES384;
    return coseSign1(protectedBytes, payloadBytes, await signSign1(protectedBytes, payloadBytes, this.enclaveKeys.privateKey), options.tagged);
  }
}
