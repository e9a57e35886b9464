/**
 * The seam the node agent calls. Every trainer — the in-process text classifier, an external `command`, and the
 * FHE trainer that lives in libs/fhe — takes its own input and options, reports metrics as they happen, honours
 * cancellation, and returns the bytes the agent seals to the data owner together with their SHA-256 digest.
 */
export interface Trainer<Input, Options> {
  /** Stable trainer name as used in a job's `trainer` field, e.g. `text-classifier`, `command`, `fhe-logreg`. */
  readonly name: string;
  train(input: Input, options: Options, onMetric: MetricListener, signal?: AbortSignal): Promise<TrainingResult>;
}

export type MetricListener = (event: TrainingMetricEvent) => void;

/** One optimisation step (a mini-batch, or one encrypted iteration for FHE). */
export interface StepMetric {
  readonly type: 'step';
  readonly step: number;
  readonly epoch?: number;
  /** Mean loss over the step's batch, before the update. */
  readonly loss?: number;
  readonly accuracy?: number;
  readonly examples?: number;
  readonly learningRate?: number;
  /** Further numeric values a trainer reports (an external trainer's extra keys). */
  readonly values?: Readonly<Record<string, number>>;
}

/** End of an epoch, with the held-out validation figures. */
export interface EpochMetric {
  readonly type: 'epoch';
  readonly epoch: number;
  readonly step: number;
  readonly trainLoss: number;
  readonly validationLoss?: number;
  readonly validationAccuracy?: number;
}

/** A checkpoint was taken (its bytes go to the caller's checkpoint sink, not into the event stream). */
export interface CheckpointMetric {
  readonly type: 'checkpoint';
  readonly step: number;
  readonly digest: string;
  readonly bytes: number;
}

/** A line of an external trainer's stdout that was not a metric; never carries the line itself. */
export interface MalformedMetric {
  readonly type: 'malformed';
  readonly line: number;
  readonly reason: 'not_json' | 'not_object' | 'missing_step' | 'invalid_value' | 'line_too_long';
}

export type TrainingMetricEvent = StepMetric | EpochMetric | CheckpointMetric | MalformedMetric;

export interface TrainingSummary {
  readonly steps: number;
  readonly epochs: number;
  readonly examplesSeen: number;
  readonly finalLoss?: number;
  /** Held-out figures next to the majority-class baseline on the same examples. */
  readonly validation?: {
    readonly examples: number;
    readonly loss: number;
    readonly accuracy: number;
    readonly majorityLabel: string;
    readonly baselineAccuracy: number;
  };
  readonly stoppedEarly?: boolean;
  readonly malformedLines?: number;
}

export interface TrainingResult {
  /** What the agent seals: the model itself, or (for `command`) a manifest that commits to every output file. */
  readonly model: Uint8Array;
  /** Lower-case hex SHA-256 of `model`. */
  readonly digest: string;
  /** Media type of `model`, e.g. `application/vnd.confide.text-classifier`. */
  readonly format: string;
  readonly summary: TrainingSummary;
  /** Files an external trainer wrote, to be sealed beside the manifest. */
  readonly outputs?: readonly OutputFile[];
}

export interface OutputFile {
  /** Path relative to the trainer's working directory, `/`-separated. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}
