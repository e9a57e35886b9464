export * from './fhe.error.js';
export { liveSealHandles, HandleArena, withArena } from './seal/handle-arena.js';
export { loadSeal, type SealRuntime } from './seal/seal-runtime.js';
export {
  CKKS_INSECURE_TEST_PARAMETERS,
  CKKS_LIGHT_PARAMETERS,
  CKKS_TRAINING_PARAMETERS,
  assertCkksParameters,
  ckksLevels,
  ckksSlots,
  type CkksParameters,
  type ParameterOptions,
} from './params/ckks-parameters.js';
export { murmur3 } from './features/murmur3.js';
export { DEFAULT_TEXT_HASHING, hashTextFeatures, type TextHashingOptions } from './features/text-feature.hasher.js';
export {
  DEFAULT_Z_CLIP,
  fitNumericScaler,
  scaleNumericRow,
  type NumericColumnStats,
  type NumericRow,
  type NumericScalerStats,
} from './features/numeric.scaler.js';
export {
  LOGREG_LEVELS,
  createLogRegLayout,
  logRegGaloisSteps,
  packLogRegSamples,
  packLogRegWeights,
  unpackLogRegWeights,
  type LogRegLayout,
} from './logreg/logreg.layout.js';
export {
  SIGMOID_NEG_POLY3,
  SIGMOID_POLY3_RANGE,
  logRegAccuracy,
  logRegScore,
  plainLogRegStep,
  type LogRegStepOptions,
} from './logreg/logreg.plain.js';
export {
  FheEnterpriseSession,
  type EnterpriseSessionOptions,
  type RefreshOptions,
} from './session/fhe-enterprise.session.js';
export { EncryptedLogRegDataset, FheEvaluatorSession } from './session/fhe-evaluator.session.js';
export { decodePublicBundle, encodePublicBundle, type FhePublicBundle } from './session/public-bundle.js';
export { syntheticLogRegData, type SyntheticLogRegData } from './logreg/synthetic-data.js';
export {
  deriveRowFeatures,
  featureDimension,
  type FeatureDefinition,
  type FeatureRow,
} from './features/feature-definition.js';
export { decodeCiphertextList, encodeCiphertextList } from './training/ciphertext-list.js';
export {
  FHE_LOGREG_TRAINER,
  FHE_LOGREG_WEIGHTS_FORMAT,
  FheLogRegTrainer,
  type FheLogRegInput,
  type FheLogRegOptions,
  type FheRefresh,
  type FheRefreshRequest,
} from './training/fhe-logreg.trainer.js';
export {
  DEFAULT_HOLDOUT_FRACTION,
  encryptFheDataset,
  isHoldoutRow,
  prepareFheDataset,
  type EncryptedFheDataset,
  type FheDatasetSpec,
  type FheLabelMapping,
  type FheSplit,
  type PreparedFheDataset,
} from './dataset/fhe-dataset.builder.js';
export { loanApplications, type LoanApplication } from './dataset/loan-applications.js';
