import 'reflect-metadata';

import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { chmod, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import * as x509 from '@peculiar/x509';

import { AttestationError } from '../attestation.error.js';
import { SGX_EXTENSIONS_OID } from '../tdx/pck-extensions.js';
import { TCG_DICE_TCB_INFO_OID } from '../nvidia/gpu-device-certificate.js';
import { SNP_PRODUCTS, type SnpProduct } from '../snp/snp-report.js';
import { derInteger, derOctets, derOid, derSequence, derUtf8, tlv } from '../common/der-writer.js';
import type { SimulatedTrustAnchors, SnpTcbChoice } from './simulated-attester.types.js';

/**
 * The development PKI of the simulated Attester, generated at first start and persisted (private keys 0600) so
 * that evidence made by one process verifies in another. It mimics the vendor shapes the verifiers check:
 * AMD (ARK → ASK/ASVK → VCEK, RSA-PSS SHA-384 links, P-384 VCEK with the KDS TCB and hwID extensions), Intel
 * (root → PCK with the SGX extensions; the PCK signs a QE report that vouches for a P-256 attestation key) and
 * NVIDIA (device identity CA → intermediate → GPU leaf with a DICE FWID). Every subject says "confide development".
 */
const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const cryptoImpl = webcrypto as unknown as Crypto;

const PSS = { name: 'RSA-PSS', hash: 'SHA-384', saltLength: 48 } as const;
const RSA_GEN = { name: 'RSA-PSS', hash: 'SHA-384', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) };
const EC384 = { name: 'ECDSA', namedCurve: 'P-384' } as const;
const EC256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ES384 = { name: 'ECDSA', hash: 'SHA-384' } as const;
const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const;
const ORG = 'O=confide development PKI (not a vendor)';
const KDS = '1.3.6.1.4.1.3704.1.';
const PKI_FILE = 'development-pki.json';
const ANCHORS_FILE = 'development-anchors.json';

/** The simulated chip and platform identities (fixed so reports look the same across restarts of a machine). */
export const SIMULATED_SNP_PRODUCT: SnpProduct = 'Genoa';
export const SIMULATED_SNP_TCB: SnpTcbChoice = { bootloader: 9, tee: 0, snp: 23, microcode: 72 };
export const SIMULATED_TDX_TEE_TCB_SVN = '05010200000000000000000000000000';
export const SIMULATED_TDX_FMSPC = '00806f050000';

interface KeyRecord {
  readonly pkcs8: string;
}
interface PkiFile {
  readonly format: 'confide-development-pki';
  readonly version: 1;
  readonly createdAt: string;
  readonly amd: {
    readonly ark: KeyRecord;
    readonly ask: KeyRecord;
    readonly vcek: KeyRecord;
    readonly arkPem: string;
    readonly askPem: Readonly<Record<SnpProduct, string>>;
    readonly asvkPem: Readonly<Record<SnpProduct, string>>;
    readonly chipId: string;
  };
  readonly intel: {
    readonly pck: KeyRecord;
    readonly attestationKey: KeyRecord;
    readonly rootPem: string;
    readonly pckPem: string;
  };
  readonly nvidia: {
    readonly device: KeyRecord;
    readonly rootPem: string;
    readonly intermediatePem: string;
    readonly leafPem: string;
    readonly fwid: string;
  };
}

async function exportKey(key: CryptoKey): Promise<KeyRecord> {
  return { pkcs8: Buffer.from(await subtle.exportKey('pkcs8', key)).toString('base64') };
}

async function importKey(record: KeyRecord, algorithm: RsaHashedImportParams | EcKeyImportParams): Promise<CryptoKey> {
  return subtle.importKey('pkcs8', Buffer.from(record.pkcs8, 'base64'), algorithm, false, ['sign']);
}

const gen = async (alg: RsaHashedKeyGenParams | EcKeyGenParams): Promise<CryptoKeyPair> =>
  (await subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;

const ext = (oid: string, value: Uint8Array, critical = false): x509.Extension =>
  new x509.Extension(oid, critical, Uint8Array.from(value).buffer);
const caExtensions = (pathLength?: number): x509.Extension[] => [
  new x509.BasicConstraintsExtension(true, pathLength, true),
  new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
];
const serial = (): string => `7f${randomBytes(8).toString('hex')}`;

interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

function validityFrom(createdAt: Date): Validity {
  return {
    notBefore: new Date(createdAt.getTime() - 24 * 3600_000),
    notAfter: new Date(createdAt.getTime() + 20 * 365 * 24 * 3600_000),
  };
}

/** TCG DICE TcbInfo: SEQUENCE { [0] vendor, [1] model, [6] fwids SEQUENCE OF FWID{hashAlg, digest} }. */
function diceTcbInfo(fwidHex: string): Uint8Array {
  const fwid = derSequence(derOid('2.16.840.1.101.3.4.2.2'), derOctets(Buffer.from(fwidHex, 'hex')));
  const implicit = (tag: number, der: Uint8Array): Uint8Array => tlv(tag, der.subarray(2));
  return derSequence(implicit(0x80, derUtf8('NVIDIA')), implicit(0x81, derUtf8('GH100')), tlv(0xa6, derSequence(fwid).subarray(2)));
}

/** Intel SGX PCK extensions (Intel SGX PCK Certificate and CRL Profile §1.3.5), Standard SGX type. */
function sgxExtensions(teeTcbSvn: string): Uint8Array {
  const o = (suffix: string): Uint8Array => derOid(`${SGX_EXTENSIONS_OID}.${suffix}`);
  const cpuSvn = Buffer.from(teeTcbSvn, 'hex');
  const comps = Array.from({ length: 16 }, (_, i) => derSequence(o(`2.${i + 1}`), derInteger(cpuSvn[i] ?? 0)));
  return derSequence(
    derSequence(o('1'), derOctets(createHash('sha256').update('confide simulated PPID').digest().subarray(0, 16))),
    derSequence(o('2'), derSequence(...comps, derSequence(o('2.17'), derInteger(13)), derSequence(o('2.18'), derOctets(cpuSvn)))),
    derSequence(o('3'), derOctets(Buffer.from('0000', 'hex'))),
    derSequence(o('4'), derOctets(Buffer.from(SIMULATED_TDX_FMSPC, 'hex'))),
    derSequence(o('5'), derInteger(0, 0x0a)),
  );
}

async function generate(createdAt: Date): Promise<PkiFile> {
  const v = validityFrom(createdAt);
  const [ark, ask, vcek] = await Promise.all([gen(RSA_GEN), gen(RSA_GEN), gen(EC384)]);
  const arkCert = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: serial(), name: `CN=ARK-${SIMULATED_SNP_PRODUCT}, ${ORG}`, ...v, keys: ark, signingAlgorithm: PSS, extensions: caExtensions() },
    cryptoImpl,
  );
  const intermediate = async (cn: string): Promise<string> =>
    (
      await x509.X509CertificateGenerator.create(
        { serialNumber: serial(), subject: `CN=${cn}, ${ORG}`, issuer: arkCert.subject, ...v, publicKey: ask.publicKey, signingKey: ark.privateKey, signingAlgorithm: PSS, extensions: caExtensions(0) },
        cryptoImpl,
      )
    ).toString('pem');
  const askPem = {} as Record<SnpProduct, string>;
  const asvkPem = {} as Record<SnpProduct, string>;
  for (const p of SNP_PRODUCTS) {
    askPem[p] = await intermediate(`SEV-${p}`);
    asvkPem[p] = await intermediate(`SEV-VLEK-${p}`);
  }

  const [intelRoot, pck, ak] = await Promise.all([gen(EC256), gen(EC256), gen(EC256)]);
  const intelRootCert = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: serial(), name: `CN=Intel SGX Root CA, ${ORG}`, ...v, keys: intelRoot, signingAlgorithm: ES256, extensions: caExtensions(1) },
    cryptoImpl,
  );
  const pckCert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=Intel SGX PCK Certificate, ${ORG}`,
      issuer: intelRootCert.subject,
      ...v,
      publicKey: pck.publicKey,
      signingKey: intelRoot.privateKey,
      signingAlgorithm: ES256,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ext(SGX_EXTENSIONS_OID, sgxExtensions(SIMULATED_TDX_TEE_TCB_SVN))],
    },
    cryptoImpl,
  );

  const [nvRoot, nvIntermediate, device] = await Promise.all([gen(EC384), gen(EC384), gen(EC384)]);
  const fwid = createHash('sha384').update('confide simulated H100 firmware').digest('hex');
  const nvRootCert = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: serial(), name: `CN=NVIDIA Device Identity CA, ${ORG}`, ...v, keys: nvRoot, signingAlgorithm: ES384, extensions: caExtensions() },
    cryptoImpl,
  );
  const nvIntermediateCert = await x509.X509CertificateGenerator.create(
    { serialNumber: serial(), subject: `CN=NVIDIA GH100 Identity, ${ORG}`, issuer: nvRootCert.subject, ...v, publicKey: nvIntermediate.publicKey, signingKey: nvRoot.privateKey, signingAlgorithm: ES384, extensions: caExtensions(0) },
    cryptoImpl,
  );
  const leafCert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=GH100 A01 GSP FMC LF, ${ORG}`,
      issuer: nvIntermediateCert.subject,
      ...v,
      publicKey: device.publicKey,
      signingKey: nvIntermediate.privateKey,
      signingAlgorithm: ES384,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ext(TCG_DICE_TCB_INFO_OID, diceTcbInfo(fwid))],
    },
    cryptoImpl,
  );

  return {
    format: 'confide-development-pki',
    version: 1,
    createdAt: createdAt.toISOString(),
    amd: {
      ark: await exportKey(ark.privateKey),
      ask: await exportKey(ask.privateKey),
      vcek: await exportKey(vcek.privateKey),
      arkPem: arkCert.toString('pem'),
      askPem,
      asvkPem,
      chipId: createHash('sha512').update('confide simulated chip').digest('hex'),
    },
    intel: {
      pck: await exportKey(pck.privateKey),
      attestationKey: await exportKey(ak.privateKey),
      rootPem: intelRootCert.toString('pem'),
      pckPem: pckCert.toString('pem'),
    },
    nvidia: {
      device: await exportKey(device.privateKey),
      rootPem: nvRootCert.toString('pem'),
      intermediatePem: nvIntermediateCert.toString('pem'),
      leafPem: leafCert.toString('pem'),
      fwid,
    },
  };
}

function anchorsOf(pki: PkiFile): SimulatedTrustAnchors {
  const entry = (p: SnpProduct) => ({
    vcekChainPem: `${pki.amd.askPem[p]}\n${pki.amd.arkPem}\n`,
    vlekChainPem: `${pki.amd.asvkPem[p]}\n${pki.amd.arkPem}\n`,
  });
  return {
    amd: { Milan: entry('Milan'), Genoa: entry('Genoa'), Turin: entry('Turin') },
    intelRootPem: pki.intel.rootPem,
    nvidiaRootPem: pki.nvidia.rootPem,
  };
}

/** Loaded development PKI: signing keys and the public anchors. */
export class DevelopmentPki {
  private readonly vceks = new Map<string, Uint8Array>();

  private constructor(
    private readonly file: PkiFile,
    readonly anchors: SimulatedTrustAnchors,
    private readonly keys: {
      readonly ask: CryptoKey;
      readonly vcek: CryptoKey;
      readonly vcekPublic: CryptoKey;
      readonly pck: CryptoKey;
      readonly attestationKey: CryptoKey;
      readonly attestationKeyRaw: Uint8Array;
      readonly device: CryptoKey;
    },
  ) {}

  /**
   * Loads the PKI from `dir`, or generates and persists it there on first start. Concurrent first starts are
   * safe: the file is published with link(2), so exactly one generation wins and the others load it.
   */
  static async loadOrCreate(dir: string, now: Date = new Date()): Promise<DevelopmentPki> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, PKI_FILE);
    let text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (text === undefined) {
      const generated = `${JSON.stringify(await generate(now), null, 2)}\n`;
      const temp = join(dir, `.${PKI_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`);
      await writeFile(temp, generated, { mode: 0o600, flag: 'wx' });
      await chmod(temp, 0o600);
      try {
        await link(temp, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      } finally {
        await rm(temp, { force: true });
      }
      text = await readFile(path, 'utf8');
    }
    const pki = await DevelopmentPki.fromJson(text);
    await writeFile(join(dir, ANCHORS_FILE), `${JSON.stringify(pki.anchors, null, 2)}\n`, { mode: 0o644 });
    return pki;
  }

  private static async fromJson(text: string): Promise<DevelopmentPki> {
    const file = JSON.parse(text) as PkiFile;
    if (file.format !== 'confide-development-pki' || file.version !== 1) {
      throw new AttestationError('evidence_malformed', 'development PKI file has an unknown format', PKI_FILE);
    }
    const akPrivate = await subtle.importKey('pkcs8', Buffer.from(file.intel.attestationKey.pkcs8, 'base64'), EC256, true, ['sign']);
    const akJwk = await subtle.exportKey('jwk', akPrivate);
    const vcekPrivate = await subtle.importKey('pkcs8', Buffer.from(file.amd.vcek.pkcs8, 'base64'), EC384, true, ['sign']);
    const vcekJwk = await subtle.exportKey('jwk', vcekPrivate);
    const vcekPublic = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-384', x: vcekJwk.x, y: vcekJwk.y }, EC384, true, ['verify']);
    return new DevelopmentPki(file, anchorsOf(file), {
      ask: await importKey(file.amd.ask, { name: 'RSA-PSS', hash: 'SHA-384' }),
      vcek: vcekPrivate,
      vcekPublic,
      pck: await importKey(file.intel.pck, EC256),
      attestationKey: akPrivate,
      attestationKeyRaw: new Uint8Array(Buffer.concat([Buffer.from(akJwk.x!, 'base64url'), Buffer.from(akJwk.y!, 'base64url')])),
      device: await importKey(file.nvidia.device, EC384),
    });
  }

  get chipId(): string {
    return this.file.amd.chipId;
  }

  get gpuFwid(): string {
    return this.file.nvidia.fwid;
  }

  get gpuCertificateChainPem(): string {
    return `${this.file.nvidia.leafPem}\n${this.file.nvidia.intermediatePem}\n${this.file.nvidia.rootPem}\n`;
  }

  get pckChainPem(): string {
    return `${this.file.intel.pckPem}\n${this.file.intel.rootPem}\n`;
  }

  get attestationKeyRaw(): Uint8Array {
    return this.keys.attestationKeyRaw;
  }

  /** A dev VCEK for the given TCB (AMD issues one VCEK per chip and TCB), cached. */
  async vcekFor(product: SnpProduct, tcb: SnpTcbChoice): Promise<Uint8Array> {
    const id = `${product}:${tcb.bootloader}.${tcb.tee}.${tcb.snp}.${tcb.microcode}`;
    const cached = this.vceks.get(id);
    if (cached) return cached;
    const issuer = new x509.X509Certificate(this.file.amd.askPem[product]);
    const v = validityFrom(new Date(this.file.createdAt));
    const hwId = product === 'Turin' ? this.chipId.slice(0, 16) : this.chipId;
    const cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serial(),
        subject: `CN=SEV-VCEK, ${ORG}`,
        issuer: issuer.subject,
        ...v,
        publicKey: this.keys.vcekPublic,
        signingKey: this.keys.ask,
        signingAlgorithm: PSS,
        extensions: [
          ext(`${KDS}1`, derInteger(product === 'Turin' ? 1 : 0)),
          ext(`${KDS}2`, tlv(0x16, Buffer.from(product === 'Milan' ? 'Milan-B0' : product, 'latin1'))),
          ext(`${KDS}3.1`, derInteger(tcb.bootloader)),
          ext(`${KDS}3.2`, derInteger(tcb.tee)),
          ext(`${KDS}3.3`, derInteger(tcb.snp)),
          ext(`${KDS}3.8`, derInteger(tcb.microcode)),
          ext(`${KDS}4`, Buffer.from(hwId, 'hex')),
        ],
      },
      cryptoImpl,
    );
    const der = new Uint8Array(cert.rawData);
    this.vceks.set(id, der);
    return der;
  }

  async signSnp(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await subtle.sign(ES384, this.keys.vcek, new Uint8Array(data)));
  }
  async signWithPck(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await subtle.sign(ES256, this.keys.pck, new Uint8Array(data)));
  }
  async signWithAttestationKey(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await subtle.sign(ES256, this.keys.attestationKey, new Uint8Array(data)));
  }
  async signWithGpu(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await subtle.sign(ES384, this.keys.device, new Uint8Array(data)));
  }
}

/** Reads only the public development anchors written next to the PKI (for processes that verify but never attest). */
export async function loadSimulatedTrustAnchors(dir: string): Promise<SimulatedTrustAnchors> {
  return JSON.parse(await readFile(join(dir, ANCHORS_FILE), 'utf8')) as SimulatedTrustAnchors;
}
