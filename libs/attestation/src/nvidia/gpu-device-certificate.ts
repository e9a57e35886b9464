import { toHex } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import type { Certificate } from '../common/index.js';
import { derChildren, derOid, readDer, type DerNode } from '../common/der.js';

/**
 * TCG DICE extension on the GPU leaf. NVIDIA's form is SEQUENCE { version, SubjectPublicKeyInfo, FWID }, the TCG
 * TcbInfo form keeps FWIDs under [6]; both hold FWID ::= SEQUENCE { hashAlg OID, digest OCTET STRING }.
 */
export const TCG_DICE_TCB_INFO_OID = '2.23.133.5.4.1';

const HASH_OIDS = new Set(['2.16.840.1.101.3.4.2.1', '2.16.840.1.101.3.4.2.2', '2.16.840.1.101.3.4.2.3']);
const CONSTRUCTED = 0x20;

function collectFwids(node: DerNode, out: string[], depth: number): void {
  if (depth > 6 || (node.tag & CONSTRUCTED) === 0) return;
  const children = derChildren(node, 'fwid');
  const [first, second] = children;
  if (children.length === 2 && first?.tag === 0x06 && second?.tag === 0x04 && HASH_OIDS.has(derOid(first, 'fwid'))) {
    out.push(toHex(second.content));
    return;
  }
  for (const child of children) collectFwids(child, out, depth + 1);
}

/** FWID digests (hex) from the leaf's DICE extension, in order. */
export function diceFwids(cert: Certificate): string[] {
  const ext = cert.extensions.get(TCG_DICE_TCB_INFO_OID);
  if (!ext) throw new AttestationError('certificate_extension_mismatch', 'GPU leaf certificate has no DICE TcbInfo', 'fwid');
  const fwids: string[] = [];
  collectFwids(readDer(ext.value, 'tcbInfo'), fwids, 0);
  return fwids;
}
