/** Entity labels the scanner reports. Names follow research/pii.md §4. */
export const PII_ENTITIES = [
  'EMAIL',
  'PHONE',
  'CREDIT_CARD',
  'IBAN',
  'US_SSN',
  'IP_ADDRESS',
  'MAC_ADDRESS',
  'SECRET',
  'DATE_OF_BIRTH',
  'NATIONAL_ID',
  'BANK_ACCOUNT',
  'BANK_ROUTING',
  'PASSPORT',
  'DRIVER_LICENSE',
  'URL',
  'PERSON',
  'ADDRESS',
] as const;
export type PiiEntity = (typeof PII_ENTITIES)[number];

export function isPiiEntity(value: string): value is PiiEntity {
  return (PII_ENTITIES as readonly string[]).includes(value);
}

/**
 * One detected span. `start`/`end` are Unicode code point offsets (end exclusive) into the scanned string.
 * `reason` is a stable machine-readable code naming the rule that fired plus any validator or context that
 * changed the score, e.g. `credit_card:luhn+iin` or `us_ssn:pattern+context`.
 */
export interface PiiFinding {
  entity: PiiEntity;
  start: number;
  end: number;
  score: number;
  reason: string;
}

/** A detector's raw output before context, thresholds and overlap resolution. Offsets are UTF-16 indices. */
export interface Candidate {
  entity: PiiEntity;
  start: number;
  end: number;
  score: number;
  reason: string;
  /** Score used when the context words of this entity are near; defaults to score + the global boost. */
  contextScore?: number;
  /** True when the detector already looked at context itself (the enhancer leaves it alone). */
  contextChecked?: boolean;
}
