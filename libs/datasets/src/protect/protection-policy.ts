import { PII_ENTITIES, isPiiEntity, type PiiEntity } from '@confide/pii';
import { DatasetError } from '../datasets.error.js';

export type Operator =
  | { readonly kind: 'keep' }
  | { readonly kind: 'redact' }
  | { readonly kind: 'mask'; readonly keepLast: number }
  | { readonly kind: 'token' }
  | { readonly kind: 'fpe' };

export type ProtectionPolicy = Readonly<Record<PiiEntity, Operator>>;

/**
 * Defaults: identifiers a model may usefully see as stable symbols are tokenised (same value, same token);
 * numbers whose shape matters are format-preserving encrypted; secrets, URLs with credentials, addresses and
 * dates of birth are removed.
 */
export const DEFAULT_OPERATORS: Readonly<Record<PiiEntity, string>> = {
  EMAIL: 'token',
  PHONE: 'token',
  CREDIT_CARD: 'fpe',
  IBAN: 'fpe',
  US_SSN: 'fpe',
  IP_ADDRESS: 'token',
  MAC_ADDRESS: 'token',
  SECRET: 'redact',
  DATE_OF_BIRTH: 'redact',
  NATIONAL_ID: 'token',
  BANK_ACCOUNT: 'fpe',
  BANK_ROUTING: 'mask:4',
  PASSPORT: 'token',
  DRIVER_LICENSE: 'token',
  URL: 'redact',
  PERSON: 'token',
  ADDRESS: 'redact',
};

export function parseOperator(spec: string): Operator | undefined {
  switch (spec) {
    case 'keep':
    case 'redact':
    case 'token':
    case 'fpe':
      return { kind: spec };
  }
  const m = /^mask(?::(\d{1,2}))?$/.exec(spec);
  return m ? { kind: 'mask', keepLast: m[1] === undefined ? 4 : Number(m[1]) } : undefined;
}

export function formatOperator(op: Operator): string {
  return op.kind === 'mask' ? `mask:${op.keepLast}` : op.kind;
}

/**
 * Builds a policy from overrides (`{"EMAIL":"token","PHONE":"mask:4"}`) on top of the defaults. Unknown entities
 * or operators are refused with `invalid_protect_option`, naming only the entity.
 */
export function buildProtectionPolicy(overrides: Readonly<Record<string, string>> = {}): ProtectionPolicy {
  const out = {} as Record<PiiEntity, Operator>;
  for (const entity of PII_ENTITIES) out[entity] = parseOperator(DEFAULT_OPERATORS[entity])!;
  for (const [entity, spec] of Object.entries(overrides)) {
    if (!isPiiEntity(entity)) throw new DatasetError('invalid_protect_option', 'protect names an unknown entity', 'protect');
    const op = typeof spec === 'string' ? parseOperator(spec) : undefined;
    if (!op) throw new DatasetError('invalid_protect_option', `protect.${entity} must be keep, redact, token, fpe or mask:N`, `protect.${entity}`);
    out[entity] = op;
  }
  return out;
}

export function describePolicy(policy: ProtectionPolicy): Record<PiiEntity, string> {
  const out = {} as Record<PiiEntity, string>;
  for (const entity of PII_ENTITIES) out[entity] = formatOperator(policy[entity]);
  return out;
}
