import {
  canonicalSha256,
  type AppraisalReason,
  type AttestationResult,
  type CompositeVerification,
  type TrustVector,
} from '@confide/attestation';

/** What the attestation service needs from appraisal: the composite verification in, an EAR-style result out. */
export interface Appraiser {
  appraise(verification: CompositeVerification): AttestationResult;
  /** The policy document results are appraised under (stored with each report). */
  readonly policyDocument: Readonly<Record<string, unknown>>;
}

/**
 * Stand-in until the versioned policies of libs/attestation's appraisal land: deny debug, accept simulated evidence only
 * in embedded mode (the verifier already refuses it elsewhere). Named and hashed like a real policy so reports and
 * release policies can already refer to it.
 */
export class InterimAppraiser implements Appraiser {
  readonly policyDocument: Readonly<Record<string, unknown>>;
  private readonly hash: string;

  constructor(allowSimulated: boolean) {
    this.policyDocument = Object.freeze({
      id: 'confide-interim',
      version: 1,
      description: 'Interim appraisal: debug forbidden; simulated evidence only in embedded mode.',
      debug: 'forbidden',
      allowSimulated,
    });
    this.hash = canonicalSha256(this.policyDocument);
  }

  appraise(v: CompositeVerification): AttestationResult {
    const reasons: AppraisalReason[] = [];
    if (v.cpu.debug) {
      reasons.push({ code: 'policy_debug_enabled', claim: 'configuration', component: 'cpu', policyField: 'debug', message: 'the guest was launched with debug enabled' });
    }
    const contraindicated = reasons.length > 0;
    const trustVector: TrustVector = {
      'instance-identity': 2,
      configuration: contraindicated ? 96 : 2,
      executables: 2,
      'file-system': 0,
      hardware: 2,
      'runtime-opaque': 2,
      'storage-opaque': 0,
      'sourced-data': 0,
    };
    return {
      status: contraindicated ? 'contraindicated' : 'affirming',
      trustVector,
      reasons,
      simulated: v.simulated,
      policy: { id: 'confide-interim', version: 1, hash: this.hash },
      claims: {
        teeType: v.cpu.teeType,
        measurement: v.cpu.measurement,
        reportData: v.reportData,
        debug: v.cpu.debug,
        tcb: v.cpu.tcb,
        gpus: v.gpus.map((g) => ({ measurement: g.measurement, ccMode: 'unknown' as const, tcb: g.tcb })),
        teeKeyThumbprint: v.teeKeyThumbprint,
      },
    };
  }
}
