import { createHash } from 'node:crypto';

import { AttestationError } from '../attestation.error.js';
import { bindingReportData, type CompositeEvidence } from '../composite/composite-evidence.js';
import { SNP_REPORT_SIZE, SNP_SIGNED_LENGTH } from '../snp/snp-report.js';
import { CERT_DATA_PCK_CHAIN, TDX_ATT_KEY_TYPE_ECDSA_P256, TDX_TEE_TYPE } from '../tdx/tdx-quote.js';
import { serializeTdxQuote } from '../tdx/tdx-quote.writer.js';
import { DevelopmentPki, SIMULATED_SNP_PRODUCT, SIMULATED_SNP_TCB, SIMULATED_TDX_TEE_TCB_SVN } from './development-pki.js';
import { SIMULATED_MEASUREMENTS } from './simulated-measurements.js';
import type {
  SimulatedAttesterApi,
  SimulatedCompositeOptions,
  SimulatedGpuEvidence,
  SimulatedGpuOptions,
  SimulatedSnpEvidence,
  SimulatedSnpOptions,
  SimulatedTdxOptions,
  SimulatedTrustAnchors,
} from './simulated-attester.types.js';

const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';
const GENOA_CPUID = { family: 0x19, model: 0x11, stepping: 0x01 } as const;

function bytes(hex: string, length: number, what: string): Buffer {
  const b = Buffer.from(hex, 'hex');
  if (b.length !== length || b.toString('hex') !== hex.toLowerCase()) {
    throw new AttestationError('evidence_malformed', `simulated ${what} must be ${length} bytes of hex`, what);
  }
  return b;
}

function exactly(value: Uint8Array, length: number, what: string): Uint8Array {
  if (value.length !== length) throw new AttestationError('evidence_malformed', `simulated ${what} must be ${length} bytes`, what);
  return value;
}

/**
 * The simulated Attester: SEV-SNP reports, TDX quotes and H100 SPDM measurement reports in the vendors' real
 * byte formats, signed by the development PKI. Verifiers accept them only as simulated evidence, in dev mode.
 */
export class SimulatedAttester implements SimulatedAttesterApi {
  private constructor(private readonly pki: DevelopmentPki) {}

  /** Loads (or on first start generates) the development PKI kept in `dir`. */
  static async loadOrCreate(dir: string): Promise<SimulatedAttester> {
    return new SimulatedAttester(await DevelopmentPki.loadOrCreate(dir));
  }

  get anchors(): SimulatedTrustAnchors {
    return this.pki.anchors;
  }

  /** An SEV-SNP ATTESTATION_REPORT v3 (Genoa), signed by the dev VCEK issued for the reported TCB. */
  async snpReport(o: SimulatedSnpOptions): Promise<SimulatedSnpEvidence> {
    const tcb = o.tcb ?? SIMULATED_SNP_TCB;
    const r = Buffer.alloc(SNP_REPORT_SIZE);
    r.writeUInt32LE(3, 0x000);
    r.writeUInt32LE(o.guestSvn ?? 1, 0x004);
    // Guest policy: ABI 0.31, bit 17 reserved-must-be-one, SMT (16), MIGRATE_MA (18), DEBUG (19).
    let policy = 0x1f | (1 << 17);
    if (o.smtAllowed ?? true) policy |= 1 << 16;
    if (o.migrateMa) policy |= 1 << 18;
    if (o.debug) policy |= 1 << 19;
    r.writeBigUInt64LE(BigInt(policy), 0x008);
    r.writeUInt32LE(o.vmpl ?? 0, 0x030);
    r.writeUInt32LE(1, 0x034); // ECDSA P-384 with SHA-384
    const tcbBytes = Buffer.from([tcb.bootloader, tcb.tee, 0, 0, 0, 0, tcb.snp, tcb.microcode]);
    tcbBytes.copy(r, 0x038); // CURRENT_TCB
    r.writeBigUInt64LE(0b11n, 0x040); // PLATFORM_INFO: SMT enabled, TSME enabled
    r.writeUInt32LE(0, 0x048); // SIGNER_INFO: VCEK
    Buffer.from(exactly(o.reportData, 64, 'reportData')).copy(r, 0x050);
    bytes(o.measurement ?? SIMULATED_MEASUREMENTS.snp, 48, 'measurement').copy(r, 0x090);
    createHash('sha256').update(o.reportData).digest().copy(r, 0x140); // REPORT_ID: any unique-looking value
    r.fill(0xff, 0x160, 0x180); // REPORT_ID_MA: no migration agent
    tcbBytes.copy(r, 0x180); // REPORTED_TCB
    r[0x188] = GENOA_CPUID.family;
    r[0x189] = GENOA_CPUID.model;
    r[0x18a] = GENOA_CPUID.stepping;
    Buffer.from(this.pki.chipId, 'hex').copy(r, 0x1a0);
    tcbBytes.copy(r, 0x1e0); // COMMITTED_TCB
    Buffer.from([4, 55, 1]).copy(r, 0x1e8); // CURRENT build/minor/major
    Buffer.from([4, 55, 1]).copy(r, 0x1ec);
    tcbBytes.copy(r, 0x1f0); // LAUNCH_TCB
    const sig = await this.pki.signSnp(r.subarray(0, SNP_SIGNED_LENGTH));
    // r and s as 72-byte little-endian fields.
    Buffer.from(sig.slice(0, 48)).reverse().copy(r, 0x2a0);
    Buffer.from(sig.slice(48)).reverse().copy(r, 0x2e8);
    return { report: new Uint8Array(r), vcek: await this.pki.vcekFor(SIMULATED_SNP_PRODUCT, tcb) };
  }

  /** A DCAP TDX quote (v4, or v5 with a TD report 1.0 body) whose PCK chain ends in the dev Intel root. */
  async tdxQuote(o: SimulatedTdxOptions): Promise<Uint8Array> {
    const version = o.version ?? 4;
    const header = Buffer.alloc(48);
    header.writeUInt16LE(version, 0);
    header.writeUInt16LE(TDX_ATT_KEY_TYPE_ECDSA_P256, 2);
    header.writeUInt32LE(TDX_TEE_TYPE, 4);
    Buffer.from(INTEL_QE_VENDOR_ID, 'hex').copy(header, 12);
    const body = Buffer.alloc(584);
    bytes(o.teeTcbSvn ?? SIMULATED_TDX_TEE_TCB_SVN, 16, 'teeTcbSvn').copy(body, 0x000);
    createHash('sha384').update('confide simulated TDX module').digest().copy(body, 0x010); // MRSEAM
    body[0x078] = o.debug ? 0x01 : 0x00; // TD_ATTRIBUTES.DEBUG
    body[0x07b] = 0x10; // SEPT_VE_DISABLE
    body.writeBigUInt64LE(0x61e7n, 0x080); // XFAM
    bytes(o.mrTd ?? SIMULATED_MEASUREMENTS.tdx.mrTd, 48, 'mrTd').copy(body, 0x088);
    const rtmrs = o.rtmrs ?? SIMULATED_MEASUREMENTS.tdx.rtmrs;
    rtmrs.forEach((rtmr, i) => bytes(rtmr, 48, `rtmr${i}`).copy(body, 0x148 + 48 * i));
    Buffer.from(exactly(o.reportData, 64, 'reportData')).copy(body, 0x208);
    const bodyPrefix = version === 5 ? Buffer.from([2, 0, 0x48, 0x02, 0, 0]) : Buffer.alloc(0); // type 2, size 584
    const signedRegion = new Uint8Array(Buffer.concat([header, bodyPrefix, body]));

    const attestationKey = this.pki.attestationKeyRaw;
    const qeAuthData = new Uint8Array(Buffer.from(createHash('sha256').update('confide simulated QE').digest()));
    const qeReport = Buffer.alloc(384);
    Buffer.from(SIMULATED_TDX_TEE_TCB_SVN, 'hex').copy(qeReport, 0);
    createHash('sha256').update('confide simulated QE enclave').digest().copy(qeReport, 64); // MRENCLAVE
    createHash('sha256').update('confide simulated QE signer').digest().copy(qeReport, 128); // MRSIGNER
    qeReport.writeUInt16LE(2, 256); // ISVPRODID (TD QE)
    qeReport.writeUInt16LE(4, 258); // ISVSVN
    createHash('sha256').update(Buffer.concat([attestationKey, qeAuthData])).digest().copy(qeReport, 320);
    return serializeTdxQuote({
      signedRegion,
      signature: await this.pki.signWithAttestationKey(signedRegion),
      attestationKey,
      qeReport: new Uint8Array(qeReport),
      qeReportSignature: await this.pki.signWithPck(new Uint8Array(qeReport)),
      qeAuthData,
      pckCertDataType: CERT_DATA_PCK_CHAIN,
      pckCertData: new TextEncoder().encode(this.pki.pckChainPem),
    });
  }

  /** An SPDM 1.1 GET_MEASUREMENTS request ‖ signed MEASUREMENTS response, as an H100 in CC mode returns it. */
  async gpuReport(o: SimulatedGpuOptions): Promise<SimulatedGpuEvidence> {
    const nonce = exactly(o.nonce, 32, 'nonce');
    const request = Buffer.concat([Buffer.from([0x11, 0xe0, 0x01, 0xff]), nonce, Buffer.from([0])]);
    const measurements = o.measurements ?? SIMULATED_MEASUREMENTS.h100[o.ccMode ?? 'on'];
    const blocks = Object.entries(measurements)
      .map(([index, hex]) => ({ index: Number(index), value: bytes(hex, 48, `measurement[${index}]`) }))
      .sort((a, b) => a.index - b.index)
      .map(({ index, value }) => {
        const head = Buffer.alloc(7);
        head[0] = index;
        head[1] = 0x01; // DMTF measurement specification
        head.writeUInt16LE(value.length + 3, 2);
        head[4] = 0x01; // mutable firmware, digest
        head.writeUInt16LE(value.length, 5);
        return Buffer.concat([head, value]);
      });
    const record = Buffer.concat(blocks);
    const tlv = (type: number, value: Buffer): Buffer => {
      const h = Buffer.alloc(4);
      h.writeUInt16LE(type, 0);
      h.writeUInt16LE(value.length, 2);
      return Buffer.concat([h, value]);
    };
    const vbios = (o.vbiosVersion ?? '96.00.9f.00.01').split('.').map((p) => parseInt(p, 16));
    const opaque = Buffer.concat([
      tlv(3, Buffer.from(`${o.driverVersion ?? '550.127.05'}\0`, 'latin1')),
      tlv(6, Buffer.from([vbios[3] ?? 0, vbios[2] ?? 0, vbios[1] ?? 0, vbios[0] ?? 0, vbios[4] ?? 0])),
      tlv(15, Buffer.from('PG520\0', 'latin1')),
      tlv(17, Buffer.from('G520\0', 'latin1')),
      tlv(20, Buffer.from(this.pki.gpuFwid, 'hex')),
    ]);
    const header = Buffer.from([0x11, 0x60, 0x00, 0x00, blocks.length, record.length & 0xff, (record.length >> 8) & 0xff, record.length >> 16]);
    const responderNonce = createHash('sha256').update(nonce).update('responder').digest();
    const opaqueLength = Buffer.alloc(2);
    opaqueLength.writeUInt16LE(opaque.length);
    const signed = Buffer.concat([request, header, record, responderNonce, opaqueLength, opaque]);
    const signature = await this.pki.signWithGpu(new Uint8Array(signed));
    return { report: new Uint8Array(Buffer.concat([signed, signature])), certificateChainPem: this.pki.gpuCertificateChainPem };
  }

  async compositeEvidence(o: SimulatedCompositeOptions): Promise<CompositeEvidence> {
    const gpuNonce = exactly(o.nonce, 32, 'nonce');
    const gpus = [];
    for (let i = 0; i < (o.gpus ?? 1); i++) {
      const g = await this.gpuReport({ ...o.gpu, nonce: gpuNonce });
      gpus.push({ format: 'nvidia-spdm' as const, evidence: g.report, certificates: [new TextEncoder().encode(g.certificateChainPem)] });
    }
    const reportData = bindingReportData(o.nonce, o.teePublicJwk, gpus.map((g) => g.evidence));
    if ((o.cpu ?? 'sev-snp') === 'tdx') {
      return { cpu: { format: 'tdx', evidence: await this.tdxQuote({ ...o.tdx, reportData }) }, gpus, teePublicJwk: o.teePublicJwk };
    }
    const snp = await this.snpReport({ ...o.snp, reportData });
    return { cpu: { format: 'sev-snp', evidence: snp.report, certificates: [snp.vcek] }, gpus, teePublicJwk: o.teePublicJwk };
  }
}
