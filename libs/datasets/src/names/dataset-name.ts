import { DatasetError } from '../datasets.error.js';

// C0/C1 controls, bidi embeddings/overrides/isolates, zero-width characters, BOM, line/paragraph separators.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/u;

/**
 * A client-supplied file name, kept as metadata only (storage keys are server ids). NFC-normalised; control,
 * bidi and zero-width characters, path separators, `..` and names over 255 bytes are refused.
 */
export function normaliseDatasetName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  const ok =
    name.length > 0 &&
    Buffer.byteLength(name) <= 255 &&
    !FORBIDDEN.test(name) &&
    !/[/\\]/.test(name) &&
    !/^[A-Za-z]:/.test(name) &&
    name !== '.' &&
    !name.includes('..') &&
    !/%2f|%5c|%00/i.test(name);
  if (!ok) throw new DatasetError('invalid_filename', 'the file name must be a plain name (no paths, control or bidi characters, at most 255 bytes)', 'filename');
  return name;
}

const POLICY = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function assertPolicyName(name: string): string {
  if (!POLICY.test(name)) throw new DatasetError('invalid_policy_name', 'policy must be 1-64 characters of [a-z0-9._-]', 'policy');
  return name;
}
