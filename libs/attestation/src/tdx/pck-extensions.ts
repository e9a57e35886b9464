import { AttestationError } from '../attestation.error.js';
import type { ParsedCertificate } from './certificate.js';
import { derChild, derChildren, derOid, derSmallInt, readDer, toHex, type DerNode } from './der.js';

/** Intel SGX extensions in PCK certificates (Intel SGX PCK Certificate and CRL Profile). */
export const SGX_EXTENSIONS_OID = '1.2.840.113741.1.13.1';

export interface PckExtensions {
  readonly ppid: string;
  /** The 16 SGX TCB component SVNs (= CPUSVN bytes). */
  readonly tcbComponents: readonly number[];
  readonly pceSvn: number;
  readonly cpuSvn: string;
  readonly pceId: string;
  readonly fmspc: string;
  /** 0 = Standard, 1 = Scalable, 2 = Scalable with integrity. */
  readonly sgxType: number;
  /** Platform CA certificates only. */
  readonly platformInstanceId?: string;
  readonly configuration?: { readonly dynamicPlatform?: boolean; readonly cachedKeys?: boolean; readonly smtEnabled?: boolean };
}

function bad(what: string): AttestationError {
  return new AttestationError('certificate_extension_mismatch', 'PCK certificate SGX extensions are malformed', what);
}

function octets(node: DerNode, what: string): string {
  if (node.tag !== 0x04) throw bad(what);
  return toHex(node.value);
}

function bool(node: DerNode): boolean {
  return node.tag === 0x01 && node.value[0] !== 0;
}

export function parsePckExtensions(cert: ParsedCertificate): PckExtensions {
  const ext = cert.extensions.get(SGX_EXTENSIONS_OID);
  if (!ext) throw new AttestationError('certificate_extension_mismatch', 'PCK certificate has no SGX extensions', 'pck.sgxExtensions');
  try {
    const fields = new Map<string, DerNode>();
    for (const entry of derChildren(readDer(ext.value, 0, 'pck.sgxExtensions'), 'pck.sgxExtensions')) {
      const parts = derChildren(entry, 'pck.sgxExtensions');
      fields.set(derOid(derChild(parts, 0, 'pck.sgxExtensions')), derChild(parts, 1, 'pck.sgxExtensions'));
    }
    const get = (suffix: string): DerNode => {
      const node = fields.get(`${SGX_EXTENSIONS_OID}.${suffix}`);
      if (!node) throw bad(`pck.sgxExtensions.${suffix}`);
      return node;
    };
    const tcb = new Map<string, DerNode>();
    for (const entry of derChildren(get('2'), 'pck.tcb')) {
      const parts = derChildren(entry, 'pck.tcb');
      tcb.set(derOid(derChild(parts, 0, 'pck.tcb')), derChild(parts, 1, 'pck.tcb'));
    }
    const tcbField = (n: number): DerNode => {
      const node = tcb.get(`${SGX_EXTENSIONS_OID}.2.${n}`);
      if (!node) throw bad(`pck.tcb.${n}`);
      return node;
    };
    const tcbComponents = Array.from({ length: 16 }, (_, i) => derSmallInt(tcbField(i + 1), `pck.tcb.${i + 1}`));
    const result: PckExtensions = {
      ppid: octets(get('1'), 'pck.ppid'),
      tcbComponents,
      pceSvn: derSmallInt(tcbField(17), 'pck.pceSvn'),
      cpuSvn: octets(tcbField(18), 'pck.cpuSvn'),
      pceId: octets(get('3'), 'pck.pceId'),
      fmspc: octets(get('4'), 'pck.fmspc'),
      sgxType: derSmallInt(get('5'), 'pck.sgxType'),
    };
    const instance = fields.get(`${SGX_EXTENSIONS_OID}.6`);
    const config = fields.get(`${SGX_EXTENSIONS_OID}.7`);
    let configuration: PckExtensions['configuration'];
    if (config) {
      const flags: Record<string, boolean> = {};
      for (const entry of derChildren(config, 'pck.configuration')) {
        const parts = derChildren(entry, 'pck.configuration');
        flags[derOid(derChild(parts, 0, 'pck.configuration'))] = bool(derChild(parts, 1, 'pck.configuration'));
      }
      const flag = (n: number): boolean | undefined => flags[`${SGX_EXTENSIONS_OID}.7.${n}`];
      configuration = { dynamicPlatform: flag(1), cachedKeys: flag(2), smtEnabled: flag(3) };
    }
    return {
      ...result,
      ...(instance ? { platformInstanceId: octets(instance, 'pck.platformInstanceId') } : {}),
      ...(configuration ? { configuration } : {}),
    };
  } catch (error) {
    if (error instanceof AttestationError && error.code === 'certificate_extension_mismatch') throw error;
    throw bad('pck.sgxExtensions');
  }
}
