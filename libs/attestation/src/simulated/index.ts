export * from './simulated-attester.types.js';
export { SimulatedAttester } from './simulated-attester.js';
export {
  DevelopmentPki,
  loadSimulatedTrustAnchors,
  SIMULATED_SNP_PRODUCT,
  SIMULATED_SNP_TCB,
  SIMULATED_TDX_TEE_TCB_SVN,
  SIMULATED_TDX_FMSPC,
} from './development-pki.js';
export { SIMULATED_MEASUREMENTS, SIMULATED_H100_INDICES } from './simulated-measurements.js';
