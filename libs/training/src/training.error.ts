import { DomainError } from '@confide/domain';

/**
 * Everything the training area refuses. Codes are stable; messages never carry example text, labels from a dataset,
 * weights or a trainer's output (a count, a step or a line number at most).
 */
export const TRAINING_ERROR_CODES = [
  'invalid_options',
  'invalid_example',
  'not_enough_examples',
  'training_cancelled',
  'model_malformed',
  'checkpoint_malformed',
  'checkpoint_mismatch',
  'command_failed',
  'command_timed_out',
  'command_cancelled',
  'command_spawn_failed',
  'output_too_large',
  'metric_line_invalid',
  'command_output_malformed',
] as const;
export type TrainingErrorCode = (typeof TRAINING_ERROR_CODES)[number];

export class TrainingError extends DomainError<TrainingErrorCode> {
  readonly area = 'training';
}
