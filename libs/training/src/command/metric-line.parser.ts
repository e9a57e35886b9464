import type { MalformedMetric, StepMetric } from '../trainer.js';

export const MAX_METRIC_LINE = 64 * 1024;

const KNOWN = new Set(['step', 'epoch', 'loss', 'accuracy', 'examples', 'learning_rate', 'learningRate']);

/**
 * Parses one stdout line of an external trainer: `{"step":n,"loss":x,...}` with a non-negative integer `step` and
 * finite numbers elsewhere. Other numeric keys go to `values`; non-numeric keys are ignored. Anything else is a
 * `malformed` event that carries only the line number and a reason, never the line (it may hold training data).
 */
export function parseMetricLine(line: string, lineNumber: number): StepMetric | MalformedMetric | null {
  const malformed = (reason: MalformedMetric['reason']): MalformedMetric => ({ type: 'malformed', line: lineNumber, reason });
  const trimmed = line.trim();
  if (trimmed === '') return null;
  if (trimmed.length > MAX_METRIC_LINE) return malformed('line_too_long');
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return malformed('not_json');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return malformed('not_object');
  const o = parsed as Record<string, unknown>;
  if (!Number.isSafeInteger(o['step']) || (o['step'] as number) < 0) return malformed('missing_step');
  const num = (key: string): number | undefined | null => {
    const v = o[key];
    if (v === undefined) return undefined;
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const epoch = num('epoch');
  const loss = num('loss');
  const accuracy = num('accuracy');
  const examples = num('examples');
  const learningRate = num('learning_rate') ?? num('learningRate');
  if ([epoch, loss, accuracy, examples, learningRate].includes(null)) return malformed('invalid_value');
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) {
    if (!KNOWN.has(k) && typeof v === 'number' && Number.isFinite(v) && k.length <= 64) values[k] = v;
  }
  return {
    type: 'step',
    step: o['step'] as number,
    ...(epoch !== undefined && { epoch: epoch! }),
    ...(loss !== undefined && { loss: loss! }),
    ...(accuracy !== undefined && { accuracy: accuracy! }),
    ...(examples !== undefined && { examples: examples! }),
    ...(learningRate !== undefined && { learningRate: learningRate! }),
    ...(Object.keys(values).length > 0 && { values }),
  };
}
