import { FheError } from '../fhe.error.js';

/** Per-column z-score statistics, fitted on the training split and stored with the dataset. */
export interface NumericScalerStats {
  readonly version: 1;
  readonly columns: readonly NumericColumnStats[];
  /** z-scores are clipped to ±clip and divided by clip, so every feature lies in [-1, 1]. */
  readonly clip: number;
}

export interface NumericColumnStats {
  readonly name: string;
  readonly mean: number;
  /** Population standard deviation; 0 for a constant column (its feature is then always 0). */
  readonly std: number;
  readonly count: number;
}

export type NumericRow = Readonly<Record<string, string | number | null | undefined>>;

export const DEFAULT_Z_CLIP = 3;

/**
 * Fits z-score statistics over the training rows (Welford's one-pass mean/variance, stable for large counts). Only
 * pass the training split: fitting on validation rows leaks them into the features.
 */
export function fitNumericScaler(
  rows: Iterable<NumericRow>,
  columns: readonly string[],
  options: { clip?: number } = {},
): NumericScalerStats {
  const clip = options.clip ?? DEFAULT_Z_CLIP;
  if (!(clip > 0) || !Number.isFinite(clip)) throw new FheError('invalid_features', 'clip must be a positive number');
  if (columns.length === 0 || new Set(columns).size !== columns.length) {
    throw new FheError('invalid_features', 'numeric columns must be a non-empty list of distinct names');
  }
  const count = new Array<number>(columns.length).fill(0);
  const mean = new Array<number>(columns.length).fill(0);
  const m2 = new Array<number>(columns.length).fill(0);
  let line = 0;
  for (const row of rows) {
    line++;
    columns.forEach((name, c) => {
      const x = parseNumeric(row[name], name, line);
      const n = ++count[c]!;
      const delta = x - mean[c]!;
      mean[c]! += delta / n;
      m2[c]! += delta * (x - mean[c]!);
    });
  }
  if (line === 0) throw new FheError('invalid_features', 'cannot fit a scaler on zero rows');
  return {
    version: 1,
    clip,
    columns: columns.map((name, c) => ({
      name,
      mean: mean[c]!,
      std: Math.sqrt(m2[c]! / count[c]!),
      count: count[c]!,
    })),
  };
}

/** Applies fitted statistics to one row: clip((x − mean) / std, ±clip) / clip per column, in the stats' order. */
export function scaleNumericRow(stats: NumericScalerStats, row: NumericRow, line?: number): Float64Array {
  if (stats.version !== 1) throw new FheError('scaler_mismatch', 'unsupported numeric scaler version');
  const out = new Float64Array(stats.columns.length);
  stats.columns.forEach((column, c) => {
    const x = parseNumeric(row[column.name], column.name, line);
    const z = column.std > 0 ? (x - column.mean) / column.std : 0;
    out[c] = Math.max(-stats.clip, Math.min(stats.clip, z)) / stats.clip;
  });
  return out;
}

function parseNumeric(value: string | number | null | undefined, column: string, line: number | undefined): number {
  const x = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(x)) {
    // Column names are schema, not data; the value itself is never echoed.
    throw new FheError(
      'numeric_value_invalid',
      `column "${column}" is missing or not a finite number${line === undefined ? '' : ` on row ${line}`}`,
      line === undefined ? column : `${line}:${column}`,
    );
  }
  return x;
}
