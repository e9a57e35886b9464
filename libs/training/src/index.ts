export * from './training.error.js';
export type {
  Trainer,
  MetricListener,
  TrainingMetricEvent,
  StepMetric,
  EpochMetric,
  CheckpointMetric,
  MalformedMetric,
  TrainingResult,
  TrainingSummary,
  OutputFile,
} from './trainer.js';
export { SeededRandom } from './common/seeded-random.js';
export {
  DEFAULT_NGRAM_HASHING,
  hashNgrams,
  hashString,
  tokenize,
  type NgramHashingOptions,
  type SparseVector,
} from './features/ngram-hasher.js';
export {
  labeledExampleFromRecord,
  labeledExamples,
  type LabeledExample,
  type RecordShape,
} from './records/labeled-example.js';
export { syntheticTicketExamples, TICKET_LABELS } from './records/synthetic-tickets.js';
export { stratifiedSplit, type Split } from './text-classifier/stratified-split.js';
export {
  TEXT_CLASSIFIER_FORMAT,
  TextClassifierModel,
  type Prediction,
  type TextPredictor,
} from './text-classifier/text-classifier.model.js';
export {
  TextClassifierTrainer,
  resolveTextClassifierConfig,
  type OptimizerName,
  type TextClassifierConfig,
  type TextClassifierOptions,
} from './text-classifier/text-classifier.trainer.js';
export { parseMetricLine, MAX_METRIC_LINE } from './command/metric-line.parser.js';
export {
  runCommand,
  type CommandRunOptions,
  type CommandRunResult,
  type CommandRunStatus,
} from './command/command.runner.js';
export {
  COMMAND_OUTPUT_FORMAT,
  CommandTrainer,
  type CommandTrainerInput,
  type CommandTrainerOptions,
} from './command/command.trainer.js';
export {
  COMMAND_BUNDLE_FORMAT,
  packCommandOutput,
  unpackCommandOutput,
  type CommandOutputBundle,
  type CommandOutputManifest,
} from './command/command-output.bundle.js';
