import { AttestationError } from '../attestation.error.js';
import type { PckExtensions } from './pck-extensions.js';
import type { TcbStatus, TdQeIdentity, TdxTcbInfo } from './tdx-collateral.js';
import type { QeReport, TdReportBody } from './tdx-quote.js';

export interface TcbLevelMatch {
  readonly status: TcbStatus;
  readonly tcbDate: string;
  readonly advisoryIds: readonly string[];
}

export interface TdxTcbEvaluation {
  /** Overall status: platform level converged with the TDX module and QE levels (Intel QVL rules). */
  readonly status: TcbStatus;
  readonly advisoryIds: readonly string[];
  readonly platform: TcbLevelMatch;
  readonly tdxModule?: TcbLevelMatch & { readonly id: string };
  readonly qe?: TcbLevelMatch;
  readonly tcbEvaluationDataNumber: number;
}

function bytesOf(hexString: string): Buffer {
  return Buffer.from(hexString, 'hex');
}

function u32BigEndian(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

function maskedEqual(value: Buffer, expected: Buffer, mask: Buffer): boolean {
  if (value.length !== expected.length || mask.length !== value.length) return false;
  for (let i = 0; i < value.length; i++) if ((value[i]! & mask[i]!) !== (expected[i]! & mask[i]!)) return false;
  return true;
}

/** Folds a secondary status (TDX module or QE) into the platform status the way Intel's QVL does. */
export function convergeTcbStatus(platform: TcbStatus, other: TcbStatus): TcbStatus {
  if (other === 'Revoked') return 'Revoked';
  if (other === 'OutOfDate') {
    if (platform === 'UpToDate' || platform === 'SWHardeningNeeded') return 'OutOfDate';
    if (platform === 'ConfigurationNeeded' || platform === 'ConfigurationAndSWHardeningNeeded') return 'OutOfDateConfigurationNeeded';
  }
  return platform;
}

function levelMatch(level: { tcbStatus: TcbStatus; tcbDate: string; advisoryIDs?: string[] | undefined }): TcbLevelMatch {
  return { status: level.tcbStatus, tcbDate: level.tcbDate, advisoryIds: level.advisoryIDs ?? [] };
}

/** QE identity: the QE must be Intel's TD QE, and its ISV SVN picks the first (highest) level it reaches. */
export function evaluateQeIdentity(identity: TdQeIdentity, qe: QeReport): TcbLevelMatch {
  const miscOk = maskedEqual(
    u32BigEndian(qe.miscSelect),
    bytesOf(identity.miscselect),
    bytesOf(identity.miscselectMask),
  );
  if (
    !miscOk ||
    !maskedEqual(bytesOf(qe.attributes), bytesOf(identity.attributes), bytesOf(identity.attributesMask)) ||
    qe.mrSigner.toLowerCase() !== identity.mrsigner.toLowerCase() ||
    qe.isvProdId !== identity.isvprodid
  ) {
    throw new AttestationError('qe_identity_mismatch', 'quoting enclave does not match the QE identity', 'qeIdentity');
  }
  const level = identity.tcbLevels.find((l) => l.tcb.isvsvn <= qe.isvSvn);
  // No level at or below the QE's SVN means the QE is older than anything Intel still lists: revoked (QVL).
  return level ? levelMatch(level) : { status: 'Revoked', tcbDate: '', advisoryIds: [] };
}

/**
 * TDX TCB level matching (Intel QVL `getMatchingTcbLevel` + TDX module identity):
 * the first level whose SGX components ≤ the PCK's, PCE SVN ≤ the PCK's and TDX components ≤ TEE_TCB_SVN
 * (skipping the module SVN/version bytes when a TDX module identity carries them).
 */
export function evaluateTdxTcb(
  tcbInfo: TdxTcbInfo,
  pck: PckExtensions,
  body: TdReportBody,
  qe: TcbLevelMatch | undefined,
): TdxTcbEvaluation {
  if (tcbInfo.fmspc.toLowerCase() !== pck.fmspc.toLowerCase() || tcbInfo.pceId.toLowerCase() !== pck.pceId.toLowerCase()) {
    throw new AttestationError('collateral_mismatch', 'TCB info is for another platform (FMSPC / PCE ID)', 'tcbInfo.fmspc');
  }
  const teeTcbSvn = bytesOf(body.teeTcbSvn);
  const moduleVersion = teeTcbSvn[1]!;
  const mrSignerSeam = bytesOf(body.mrSignerSeam);
  const seamAttributes = bytesOf(body.seamAttributes);

  let tdxModule: (TcbLevelMatch & { id: string }) | undefined;
  if (moduleVersion === 0 || !tcbInfo.tdxModuleIdentities) {
    const module = tcbInfo.tdxModule;
    if (module && (!mrSignerSeam.equals(bytesOf(module.mrsigner)) || !maskedEqual(seamAttributes, bytesOf(module.attributes), bytesOf(module.attributesMask)))) {
      throw new AttestationError('tdx_module_mismatch', 'TDX module signer or attributes do not match TCB info', 'tcbInfo.tdxModule');
    }
  } else {
    const id = `TDX_${moduleVersion.toString(16).padStart(2, '0').toUpperCase()}`;
    const identity = tcbInfo.tdxModuleIdentities.find((m) => m.id.toUpperCase() === id);
    if (!identity) throw new AttestationError('tdx_module_mismatch', 'no TDX module identity for this module version', 'tcbInfo.tdxModuleIdentities', id);
    if (!mrSignerSeam.equals(bytesOf(identity.mrsigner)) || !maskedEqual(seamAttributes, bytesOf(identity.attributes), bytesOf(identity.attributesMask))) {
      throw new AttestationError('tdx_module_mismatch', 'TDX module signer or attributes do not match TCB info', 'tcbInfo.tdxModuleIdentities', id);
    }
    const level = identity.tcbLevels.find((l) => l.tcb.isvsvn <= teeTcbSvn[0]!);
    if (!level) throw new AttestationError('tcb_level_not_found', 'TDX module SVN is below every listed level', 'tcbInfo.tdxModuleIdentities', id);
    tdxModule = { ...levelMatch(level), id };
  }

  const firstTdxComponent = moduleVersion > 0 && tdxModule ? 2 : 0;
  const level = tcbInfo.tcbLevels.find((l) => {
    if (l.tcb.pcesvn > pck.pceSvn) return false;
    for (let i = 0; i < 16; i++) if (l.tcb.sgxtcbcomponents[i]!.svn > pck.tcbComponents[i]!) return false;
    for (let i = firstTdxComponent; i < 16; i++) if (l.tcb.tdxtcbcomponents[i]!.svn > teeTcbSvn[i]!) return false;
    return true;
  });
  if (!level) throw new AttestationError('tcb_level_not_found', 'platform TCB is below every listed TCB level', 'tcbInfo.tcbLevels');
  const platform = levelMatch(level);

  let overall = platform.status;
  if (tdxModule) overall = convergeTcbStatus(overall, tdxModule.status);
  if (qe) overall = convergeTcbStatus(overall, qe.status);
  const advisoryIds = [...new Set([...platform.advisoryIds, ...(tdxModule?.advisoryIds ?? []), ...(qe?.advisoryIds ?? [])])];
  return {
    status: overall,
    advisoryIds,
    platform,
    ...(tdxModule ? { tdxModule } : {}),
    ...(qe ? { qe } : {}),
    tcbEvaluationDataNumber: tcbInfo.tcbEvaluationDataNumber,
  };
}
