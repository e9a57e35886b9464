import { FheError } from '../fhe.error.js';
import { scaleNumericRow, type NumericRow, type NumericScalerStats } from './numeric.scaler.js';
import { hashTextFeatures, type TextHashingOptions } from './text-feature.hasher.js';

/**
 * How a dataset row becomes the dense vector that is encrypted: hashed n-grams of text fields and/or z-scored
 * numeric columns, concatenated in a fixed order. Stored with the dataset (with the fitted scaler stats) so the
 * same definition featurises validation rows and later inference inputs identically.
 */
export interface FeatureDefinition {
  readonly version: 1;
  readonly text?: readonly { readonly field: string; readonly hashing: TextHashingOptions }[];
  readonly numeric?: NumericScalerStats;
}

export function featureDimension(definition: FeatureDefinition): number {
  const text = (definition.text ?? []).reduce((sum, t) => sum + t.hashing.dimension, 0);
  return text + (definition.numeric?.columns.length ?? 0);
}

export type FeatureRow = Readonly<Record<string, string | number | null | undefined>>;

/** The row's feature vector. A missing text field hashes as empty text (zero block); numeric columns must be present. */
export function deriveRowFeatures(definition: FeatureDefinition, row: FeatureRow, line?: number): Float64Array {
  if (definition.version !== 1) throw new FheError('scaler_mismatch', 'unsupported feature definition version');
  const out = new Float64Array(featureDimension(definition));
  if (out.length === 0) throw new FheError('invalid_features', 'the feature definition has no features');
  let offset = 0;
  for (const { field, hashing } of definition.text ?? []) {
    const value = row[field];
    out.set(hashTextFeatures(typeof value === 'string' ? value : value == null ? '' : String(value), hashing), offset);
    offset += hashing.dimension;
  }
  if (definition.numeric !== undefined) out.set(scaleNumericRow(definition.numeric, row as NumericRow, line), offset);
  return out;
}
