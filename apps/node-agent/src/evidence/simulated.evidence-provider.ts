import { SimulatedAttester, type CompositeEvidence, type TeePublicJwk } from '@confide/attestation';
import type { EvidenceProvider } from './evidence-provider.js';

/** Development only: SNP/TDX + H100 evidence signed by the dev PKI, trusted by the verifier only in embedded mode. */
export class SimulatedEvidenceProvider implements EvidenceProvider {
  readonly name = 'simulated';
  private constructor(
    private readonly attester: SimulatedAttester,
    readonly teeType: 'sev-snp' | 'tdx',
  ) {}

  static async create(devPkiDir: string, teeType: 'sev-snp' | 'tdx' = 'sev-snp'): Promise<SimulatedEvidenceProvider> {
    return new SimulatedEvidenceProvider(await SimulatedAttester.loadOrCreate(devPkiDir), teeType);
  }

  collect(nonce: Uint8Array, teePublicJwk: TeePublicJwk): Promise<CompositeEvidence> {
    return this.attester.compositeEvidence({ nonce, teePublicJwk, gpus: 1, cpu: this.teeType });
  }
}
