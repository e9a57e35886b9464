import { FheError } from '../fhe.error.js';
import { deriveRowFeatures, featureDimension, type FeatureDefinition, type FeatureRow } from '../features/feature-definition.js';
import { murmur3 } from '../features/murmur3.js';
import { fitNumericScaler } from '../features/numeric.scaler.js';
import { DEFAULT_TEXT_HASHING } from '../features/text-feature.hasher.js';
import { createLogRegLayout, type LogRegLayout } from '../logreg/logreg.layout.js';
import type { CkksParameters, ParameterOptions } from '../params/ckks-parameters.js';
import { FheEnterpriseSession } from '../session/fhe-enterprise.session.js';
import { encodePublicBundle } from '../session/public-bundle.js';
import { encodeCiphertextList } from '../training/ciphertext-list.js';

/** How an FHE dataset's rows become features and a binary label (chosen at upload; stored with the dataset). */
export interface FheDatasetSpec {
  /** Field (CSV column or JSON key) holding the label, and the value that counts as the positive class. */
  readonly label: { readonly field: string; readonly positive: string; readonly negative?: string };
  /** Text fields, each hashed into a dense block of signed n-gram counts. */
  readonly text?: readonly string[];
  /** Numeric columns, z-scored with statistics of the training split. */
  readonly numeric?: readonly string[];
  /** Hashed dimension per text field; by default text fills features + bias up to a power of two (≥ 16). */
  readonly textDimension?: number;
  /** Share of rows kept back (sealed, in plaintext) to measure the trained model's accuracy. */
  readonly holdoutFraction?: number;
  /** Seed of the holdout split and the n-gram hash. */
  readonly seed?: number;
}

export interface FheLabelMapping {
  readonly field: string;
  readonly positive: string;
  readonly negative?: string;
}

export interface FheSplit {
  readonly seed: number;
  readonly holdoutFraction: number;
  readonly train: number;
  readonly holdout: number;
  readonly trainPositives: number;
}

/** Rows turned into features on the owner's side: everything before encryption. */
export interface PreparedFheDataset {
  readonly definition: FeatureDefinition;
  readonly label: FheLabelMapping;
  readonly split: FheSplit;
  readonly train: { readonly features: Float64Array[]; readonly labels: number[] };
  readonly holdout: { readonly features: Float64Array[]; readonly labels: number[] };
  /** max ‖[1, x]‖₂ over the training rows: the refresh keeps ‖w‖·bound inside the sigmoid's range. */
  readonly rowNormBound: number;
}

/** What is stored for an FHE dataset. Only `secretKey` is secret: wrap it with the KEK, then zero it. */
export interface EncryptedFheDataset {
  readonly layout: LogRegLayout;
  readonly parameters: CkksParameters;
  /** `encodeCiphertextList` of the training samples Z = y·[1, x]. */
  readonly ciphertexts: Uint8Array;
  /** `encodePublicBundle`: relinearisation keys + only the Galois keys of this layout. */
  readonly bundle: Uint8Array;
  readonly secretKey: Uint8Array;
}

export const DEFAULT_HOLDOUT_FRACTION = 0.2;
const DEFAULT_SPLIT_SEED = 0x5eed;

/** Whether data row `index` (0-based) falls in the holdout: a hash of (seed, index), so the split is reproducible. */
export function isHoldoutRow(index: number, seed: number, fraction: number): boolean {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, index >>> 0);
  return murmur3(bytes, seed) / 2 ** 32 < fraction;
}

/**
 * Derives the binary labels, the holdout split, the scaler (fitted on the training split only) and the feature
 * vectors. Errors name the row and field, never the value.
 */
export function prepareFheDataset(rows: readonly FeatureRow[], spec: FheDatasetSpec): PreparedFheDataset {
  const text = spec.text ?? [];
  const numeric = spec.numeric ?? [];
  const names = [...text, ...numeric, spec.label.field];
  if (text.length + numeric.length === 0) throw new FheError('invalid_features', 'name at least one text field or numeric column');
  if (new Set(names).size !== names.length) {
    throw new FheError('invalid_features', 'feature fields and the label field must be distinct');
  }
  const fraction = spec.holdoutFraction ?? DEFAULT_HOLDOUT_FRACTION;
  if (!(fraction > 0 && fraction < 0.9)) throw new FheError('invalid_parameters', 'the holdout fraction must be above 0 and below 0.9');
  const seed = (spec.seed ?? DEFAULT_SPLIT_SEED) >>> 0;
  const label: FheLabelMapping = { field: spec.label.field, positive: spec.label.positive, ...(spec.label.negative !== undefined ? { negative: spec.label.negative } : {}) };

  const labels = rows.map((row, i) => labelOf(row, label, i + 1));
  rows.forEach((row, i) => numeric.forEach((column) => assertNumeric(row[column], column, i + 1)));
  const trainIdx: number[] = [];
  const holdIdx: number[] = [];
  rows.forEach((_, i) => (isHoldoutRow(i, seed, fraction) ? holdIdx : trainIdx).push(i));
  if (trainIdx.length < 2 || holdIdx.length < 1) {
    throw new FheError('split_too_small', `${rows.length} rows are too few for a training split and a holdout`);
  }
  const trainPositives = trainIdx.filter((i) => labels[i] === 1).length;
  if (trainPositives === 0 || trainPositives === trainIdx.length) {
    throw new FheError('label_not_binary', `the training split holds a single class of "${label.field}"`, label.field);
  }

  let textDimension = spec.textDimension;
  if (text.length > 0 && textDimension === undefined) {
    let stride = 16;
    while (stride < numeric.length + text.length + 1) stride *= 2;
    textDimension = Math.floor((stride - 1 - numeric.length) / text.length);
  }
  const definition: FeatureDefinition = {
    version: 1,
    ...(text.length > 0 ? { text: text.map((field) => ({ field, hashing: { dimension: textDimension!, ...DEFAULT_TEXT_HASHING, seed } })) } : {}),
    ...(numeric.length > 0 ? { numeric: fitNumericScaler(trainIdx.map((i) => rows[i]!), numeric) } : {}),
  };
  featureDimension(definition);
  const features = rows.map((row, i) => deriveRowFeatures(definition, row, i + 1));
  let rowNormBound = 0;
  for (const i of trainIdx) rowNormBound = Math.max(rowNormBound, Math.hypot(1, ...features[i]!));
  const pick = (idx: number[]) => ({ features: idx.map((i) => features[i]!), labels: idx.map((i) => labels[i]!) });
  return {
    definition,
    label,
    split: { seed, holdoutFraction: fraction, train: trainIdx.length, holdout: holdIdx.length, trainPositives },
    train: pick(trainIdx),
    holdout: pick(holdIdx),
    rowNormBound,
  };
}

/**
 * Fresh CKKS keys for this dataset, the training samples encrypted (seeded symmetric, zstd), and the public bundle
 * for nodes. The session is disposed before returning; the secret key comes back as bytes for the caller to wrap.
 */
export async function encryptFheDataset(
  prepared: PreparedFheDataset,
  parameters: CkksParameters,
  options: ParameterOptions = {},
): Promise<EncryptedFheDataset> {
  const layout = createLogRegLayout(parameters, featureDimension(prepared.definition), prepared.train.features.length);
  const owner = await FheEnterpriseSession.createForLogReg(parameters, layout, options);
  try {
    const ciphertexts = encodeCiphertextList(owner.encryptLogRegDataset(layout, prepared.train.features, prepared.train.labels));
    const bundle = encodePublicBundle(owner.publicBundle());
    return { layout, parameters, ciphertexts, bundle, secretKey: owner.exportSecretKey() };
  } finally {
    owner.dispose();
  }
}

function labelOf(row: FeatureRow, label: FheLabelMapping, line: number): 0 | 1 {
  const raw = row[label.field];
  const value = raw === null || raw === undefined ? '' : String(raw).trim();
  if (value === '') {
    throw new FheError('label_missing', `row ${line} has no value in the label field "${label.field}"`, `${line}:${label.field}`);
  }
  if (value === label.positive) return 1;
  if (label.negative !== undefined && value !== label.negative) {
    throw new FheError('label_not_binary', `row ${line} has a label that is neither the positive nor the negative class`, `${line}:${label.field}`);
  }
  return 0;
}

function assertNumeric(value: FeatureRow[string], column: string, line: number): void {
  const x = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(x)) {
    throw new FheError('numeric_value_invalid', `column "${column}" is missing or not a finite number on row ${line}`, `${line}:${column}`);
  }
}
