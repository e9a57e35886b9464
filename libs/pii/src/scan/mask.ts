import type { PiiEntity } from '../entities.js';
import { PiiError } from '../pii.error.js';
import { HmacSha256 } from './hmac-sha256.js';

/**
 * A masked rendering safe for reports: separators and length class survive, content does not. Card-like numbers
 * keep their last 4 digits (as on a receipt), e-mails their TLD, secrets nothing at all.
 */
export function maskValue(entity: PiiEntity, value: string): string {
  const v = value.length > 64 ? value.slice(0, 64) : value;
  switch (entity) {
    case 'SECRET':
    case 'URL':
      return '********';
    case 'EMAIL': {
      const at = v.lastIndexOf('@');
      const dot = v.lastIndexOf('.');
      return at > 0 && dot > at ? `${v[0]}***@***${v.slice(dot)}` : maskAll(v);
    }
    case 'CREDIT_CARD':
    case 'IBAN':
    case 'BANK_ACCOUNT':
      return maskKeepLast(v, 4);
    case 'PHONE':
    case 'US_SSN':
    case 'NATIONAL_ID':
    case 'BANK_ROUTING':
    case 'PASSPORT':
    case 'DRIVER_LICENSE':
    case 'IP_ADDRESS':
    case 'MAC_ADDRESS':
    case 'DATE_OF_BIRTH':
      return maskKeepLast(v, 2);
    case 'PERSON':
    case 'ADDRESS':
      return v.replace(/[\p{L}\p{N}]+/gu, (w) => `${w[0]}${'*'.repeat(Math.min(w.length - 1, 8))}`);
  }
}

function maskAll(v: string): string {
  return v.replace(/[\p{L}\p{N}]/gu, '*');
}

function maskKeepLast(v: string, keep: number): string {
  let alnum = 0;
  for (const ch of v) if (/[\p{L}\p{N}]/u.test(ch)) alnum++;
  // Never reveal more than a third of the characters.
  const reveal = Math.min(keep, Math.floor(alnum / 3));
  let seen = 0;
  let out = '';
  for (const ch of v) {
    if (/[\p{L}\p{N}]/u.test(ch)) {
      seen++;
      out += seen > alnum - reveal ? ch : '*';
    } else {
      out += ch;
    }
  }
  return out;
}

/** The value as compared for hashing: digits only for numbers, lowercase for e-mails, collapsed whitespace else. */
export function normaliseValue(entity: PiiEntity, value: string): string {
  switch (entity) {
    case 'PHONE':
    case 'CREDIT_CARD':
    case 'US_SSN':
    case 'BANK_ROUTING':
    case 'BANK_ACCOUNT':
      return value.replace(/[^\d+]/g, '');
    case 'IBAN':
    case 'NATIONAL_ID':
    case 'PASSPORT':
    case 'DRIVER_LICENSE':
    case 'MAC_ADDRESS':
      return value.replace(/[\s.:-]/g, '').toUpperCase();
    case 'EMAIL':
    case 'PERSON':
    case 'ADDRESS':
    case 'IP_ADDRESS':
      return value.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
    case 'SECRET':
    case 'URL':
    case 'DATE_OF_BIRTH':
      return value.normalize('NFC').trim();
  }
}

/** HMAC-SHA256 with a caller-held key over `entity ‖ 0x00 ‖ normalised value`, hex. Linkable, not reversible. */
export class KeyedHasher {
  private readonly mac: HmacSha256;

  constructor(key: Uint8Array) {
    if (!(key instanceof Uint8Array) || key.length < 16) {
      throw new PiiError('hash_key_invalid', 'The hash key must be at least 16 bytes.');
    }
    this.mac = new HmacSha256(key);
  }

  hash(entity: PiiEntity, value: string): string {
    return this.mac.digest(`${entity}\u0000${normaliseValue(entity, value)}`).toString('hex');
  }
}
