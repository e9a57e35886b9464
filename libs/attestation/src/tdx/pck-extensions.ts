import { toHex } from '@confide/crypto';
import { AttestationError } from '../attestation.error.js';
import { DER_TAG, derChildren, derOid, derSmallInteger, expectTag, readDer, type DerNode } from '../common/der.js';
import type { Certificate } from '../common/index.js';

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
  if (node.tag !== DER_TAG.octetString) throw bad(what);
  return toHex(node.content);
}

function bool(node: DerNode): boolean {
  return node.tag === DER_TAG.boolean && node.content[0] !== 0;
}

/** The SGX extension is a SEQUENCE of (OID, value) SEQUENCEs; nested groups (TCB, configuration) repeat that shape. */
function oidValuePairs(node: DerNode, what: string): Map<string, DerNode> {
  const pairs = new Map<string, DerNode>();
  for (const entry of derChildren(node, what)) {
    const [oid, value] = derChildren(expectTag(entry, DER_TAG.sequence, what), what);
    if (!value) throw bad(what);
    pairs.set(derOid(expectTag(oid, DER_TAG.oid, what), what), value);
  }
  return pairs;
}

export function parsePckExtensions(cert: Certificate): PckExtensions {
  const ext = cert.extensions.get(SGX_EXTENSIONS_OID);
  if (!ext) throw new AttestationError('certificate_extension_mismatch', 'PCK certificate has no SGX extensions', 'pck.sgxExtensions');
  try {
    const fields = oidValuePairs(readDer(ext.value, 'pck.sgxExtensions'), 'pck.sgxExtensions');
    const get = (suffix: string): DerNode => {
      const node = fields.get(`${SGX_EXTENSIONS_OID}.${suffix}`);
      if (!node) throw bad(`pck.sgxExtensions.${suffix}`);
      return node;
    };
    const tcb = oidValuePairs(get('2'), 'pck.tcb');
    const tcbField = (n: number): DerNode => {
      const node = tcb.get(`${SGX_EXTENSIONS_OID}.2.${n}`);
      if (!node) throw bad(`pck.tcb.${n}`);
      return node;
    };
    const tcbComponents = Array.from({ length: 16 }, (_, i) => derSmallInteger(tcbField(i + 1), `pck.tcb.${i + 1}`));
    const result: PckExtensions = {
      ppid: octets(get('1'), 'pck.ppid'),
      tcbComponents,
      pceSvn: derSmallInteger(tcbField(17), 'pck.pceSvn'),
      cpuSvn: octets(tcbField(18), 'pck.cpuSvn'),
      pceId: octets(get('3'), 'pck.pceId'),
      fmspc: octets(get('4'), 'pck.fmspc'),
      sgxType: derSmallInteger(get('5'), 'pck.sgxType', DER_TAG.enumerated),
    };
    const instance = fields.get(`${SGX_EXTENSIONS_OID}.6`);
    const config = fields.get(`${SGX_EXTENSIONS_OID}.7`);
    let configuration: PckExtensions['configuration'];
    if (config) {
      const flags = oidValuePairs(config, 'pck.configuration');
      const flag = (n: number): boolean | undefined => {
        const node = flags.get(`${SGX_EXTENSIONS_OID}.7.${n}`);
        return node ? bool(node) : undefined;
      };
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
