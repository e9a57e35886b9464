import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type { z } from 'zod';

import { AttestationError } from '../attestation.error.js';
import {
  AttestationPolicySchema,
  canonicalSha256,
  policyHash,
  ReferenceValuesSchema,
  type AttestationPolicy,
  type LoadedPolicy,
  type ReferenceValues,
} from './attestation-policy.js';

function firstIssue(error: z.ZodError, what: string): AttestationError {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  const detail = issue?.code === 'invalid_type' && issue.message.includes('undefined') ? 'is required' : (issue?.message ?? 'is invalid');
  return new AttestationError('policy_invalid', `${what} field "${field}" ${detail}`, field);
}

/** Validates a policy document; the error names the first offending field (its dotted path is also the target). */
export function parsePolicy(json: unknown): AttestationPolicy {
  const r = AttestationPolicySchema.safeParse(json);
  if (!r.success) throw firstIssue(r.error, 'policy');
  return r.data;
}

export function parseReferenceValues(json: unknown): ReferenceValues {
  const r = ReferenceValuesSchema.safeParse(json);
  if (!r.success) throw firstIssue(r.error, 'reference values');
  return r.data;
}

/** Policy + the reference values it pins (by id and SHA-256 of their canonical JSON). */
export function loadPolicy(policyJson: unknown, referenceValuesJson: unknown): LoadedPolicy {
  const policy = parsePolicy(policyJson);
  const referenceValues = parseReferenceValues(referenceValuesJson);
  if (referenceValues.id !== policy.referenceValues.id || canonicalSha256(referenceValues) !== policy.referenceValues.sha256) {
    throw new AttestationError(
      'policy_reference_values_mismatch',
      'reference values differ from the set the policy pins',
      'referenceValues',
    );
  }
  return { policy, referenceValues, policyHash: policyHash(policy) };
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new AttestationError('policy_invalid', 'policy or reference-value file is unreadable', path);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AttestationError('policy_invalid', 'policy or reference-value file is not JSON', path);
  }
}

/** Reads `<dir>/policies/x.json` and the reference values it names from `<dir>/reference-values/<id>.json`. */
export async function loadPolicyFile(path: string): Promise<LoadedPolicy> {
  const policy = parsePolicy(await readJson(path));
  const referencePath = join(dirname(path), '..', 'reference-values', `${policy.referenceValues.id}.json`);
  return loadPolicy(policy, await readJson(referencePath));
}

/** `attestationDir` is the repository's attestation/ folder (policies/ and reference-values/ inside). */
export async function loadPolicyById(attestationDir: string, id: string): Promise<LoadedPolicy> {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) throw new AttestationError('policy_invalid', 'policy id is not kebab-case', 'id');
  return loadPolicyFile(join(attestationDir, 'policies', `${id}.json`));
}
