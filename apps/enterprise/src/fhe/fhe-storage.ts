import type { CkksParameters } from '@confide/fhe';

export const FHE_SETTINGS = Symbol('FHE_SETTINGS');

/** Knobs of the FHE flow. Production uses the N=16384 training parameters; nothing here weakens them by default. */
export interface FheSettings {
  parameters: CkksParameters;
  /** Only for unit-level tests of the service; the API path never sets it. */
  allowInsecure: boolean;
  /** Most rows an FHE dataset may hold (all are featurised in memory before encryption). */
  maxRows: number;
}
