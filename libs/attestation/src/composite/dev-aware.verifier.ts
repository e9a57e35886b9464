import { AttestationError, type AttestationErrorCode } from '../attestation.error.js';
import type { EvidenceVerifier, VerifiedEvidence, VerifyOptions } from '../verifier.js';

const NOT_DEV_PKI = new Set<AttestationErrorCode>([
  'certificate_chain_incomplete',
  'certificate_untrusted_root',
  'certificate_chain_invalid',
  'evidence_malformed',
  'evidence_unsupported_version',
]);

/**
 * Wraps a production verifier with a second one that trusts only the development PKI. Production anchors are
 * tried first and never mixed with the dev ones; only when production verification fails is the dev verifier
 * asked, and if it succeeds the evidence is simulated: refused (`simulated_not_allowed`) unless the caller allows
 * simulated evidence, otherwise returned with `simulated: true`. If both fail, the production error stands unless the
 * evidence provably chains to the dev PKI.
 */
export class DevAwareVerifier implements EvidenceVerifier {
  readonly format;

  constructor(
    private readonly production: EvidenceVerifier,
    private readonly development: EvidenceVerifier,
  ) {
    this.format = production.format;
  }

  async verify(evidence: Uint8Array, options: VerifyOptions): Promise<VerifiedEvidence> {
    try {
      return await this.production.verify(evidence, options);
    } catch (productionError) {
      if (!(productionError instanceof AttestationError)) throw productionError;
      let simulated: VerifiedEvidence;
      try {
        simulated = await this.development.verify(evidence, options);
      } catch (developmentError) {
        // If the evidence does chain to the dev PKI, the dev verifier's error is the precise one (e.g. a bad
        // report signature); if it does not, the evidence is not simulated and the production error stands.
        const chainsToDevPki = developmentError instanceof AttestationError && !NOT_DEV_PKI.has(developmentError.code);
        throw chainsToDevPki ? developmentError : productionError;
      }
      if (!options.allowSimulated) {
        throw new AttestationError('simulated_not_allowed', 'evidence is signed by the development PKI', 'evidence');
      }
      return { ...simulated, simulated: true };
    }
  }
}
