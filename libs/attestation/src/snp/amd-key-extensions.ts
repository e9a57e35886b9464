import { toHex } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import type { Certificate } from '../common/index.js';
import { derSmallInteger, derString, readDer } from '../common/der.js';
import type { SnpProduct } from './snp-report.js';

/** AMD KDS extensions under 1.3.6.1.4.1.3704.1 (go-sev-guest kds/kds.go). */
export const AMD_KDS_OID = {
  structVersion: '1.3.6.1.4.1.3704.1.1',
  productName: '1.3.6.1.4.1.3704.1.2',
  blSpl: '1.3.6.1.4.1.3704.1.3.1',
  teeSpl: '1.3.6.1.4.1.3704.1.3.2',
  snpSpl: '1.3.6.1.4.1.3704.1.3.3',
  ucodeSpl: '1.3.6.1.4.1.3704.1.3.8',
  fmcSpl: '1.3.6.1.4.1.3704.1.3.9',
  hwId: '1.3.6.1.4.1.3704.1.4',
  cspId: '1.3.6.1.4.1.3704.1.5',
} as const;

/** What a VCEK or VLEK certifies about the chip and its TCB. */
export interface AmdEndorsementKeyInfo {
  readonly kind: 'vcek' | 'vlek';
  readonly product: SnpProduct;
  /** e.g. "Milan-B0", "Genoa", "Turin". */
  readonly productName?: string;
  readonly structVersion?: number;
  readonly tcb: {
    readonly bootloader: number;
    readonly tee: number;
    readonly snp: number;
    readonly microcode: number;
    readonly fmc?: number;
  };
  /** VCEK: chip_id it was issued for (64 bytes; 8 bytes on Turin). */
  readonly hwId?: string;
  /** VLEK: the cloud provider it was issued to. */
  readonly cspId?: string;
}

function extError(message: string, target: string): AttestationError {
  return new AttestationError('certificate_extension_mismatch', message, target);
}

/** Product from the issuer name: SEV-{product} (ASK) for VCEKs, SEV-VLEK-{product} (ASVK) for VLEKs. */
function productFromIssuer(cn: string): { kind: 'vcek' | 'vlek'; product: SnpProduct } | undefined {
  const m = /^SEV-(VLEK-)?(Milan|Genoa|Turin)$/.exec(cn);
  if (!m) return undefined;
  return { kind: m[1] ? 'vlek' : 'vcek', product: m[2] as SnpProduct };
}

export function parseAmdEndorsementKey(cert: Certificate): AmdEndorsementKeyInfo {
  const issuer = productFromIssuer(cert.issuerCommonName);
  if (!issuer || (cert.subjectCommonName !== 'SEV-VCEK' && cert.subjectCommonName !== 'SEV-VLEK')) {
    throw extError('certificate is not an AMD VCEK or VLEK', 'endorsementKey');
  }
  if ((cert.subjectCommonName === 'SEV-VLEK') !== (issuer.kind === 'vlek')) {
    throw extError('endorsement key kind does not match its issuer', 'endorsementKey');
  }
  if (cert.publicKey.kind !== 'ec' || cert.publicKey.curve !== 'P-384') {
    throw extError('endorsement key is not EC P-384', 'endorsementKey');
  }
  const ext = (oid: string): Uint8Array | undefined => cert.extensions.get(oid)?.value;
  const int = (oid: string, name: string): number => {
    const v = ext(oid);
    if (!v) throw extError(`endorsement key lacks the ${name} extension`, name);
    return derSmallInteger(readDer(v, name), name);
  };
  const optionalInt = (oid: string, name: string): number | undefined => (ext(oid) ? int(oid, name) : undefined);
  const optionalString = (oid: string, name: string): string | undefined => {
    const v = ext(oid);
    return v ? derString(readDer(v, name)) : undefined;
  };
  const fmc = optionalInt(AMD_KDS_OID.fmcSpl, 'fmcSpl');
  if (issuer.product === 'Turin' && fmc === undefined) throw extError('Turin endorsement key lacks fmcSPL', 'fmcSpl');
  const hwId = ext(AMD_KDS_OID.hwId);
  if (issuer.kind === 'vcek' && !hwId) throw extError('VCEK lacks hwID', 'hwId');
  const productName = optionalString(AMD_KDS_OID.productName, 'productName');
  if (productName && !productName.startsWith(issuer.product)) {
    throw extError('endorsement key product name does not match its issuer', 'productName');
  }
  const structVersion = optionalInt(AMD_KDS_OID.structVersion, 'structVersion');
  const cspId = optionalString(AMD_KDS_OID.cspId, 'cspId');
  return {
    kind: issuer.kind,
    product: issuer.product,
    ...(productName ? { productName } : {}),
    ...(structVersion !== undefined ? { structVersion } : {}),
    tcb: {
      bootloader: int(AMD_KDS_OID.blSpl, 'blSpl'),
      tee: int(AMD_KDS_OID.teeSpl, 'teeSpl'),
      snp: int(AMD_KDS_OID.snpSpl, 'snpSpl'),
      microcode: int(AMD_KDS_OID.ucodeSpl, 'ucodeSpl'),
      ...(fmc !== undefined ? { fmc } : {}),
    },
    ...(hwId ? { hwId: toHex(hwId) } : {}),
    ...(cspId ? { cspId } : {}),
  };
}
