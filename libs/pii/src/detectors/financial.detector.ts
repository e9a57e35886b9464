import type { Candidate } from '../entities.js';
import { abaRoutingValid } from '../validators/aba-routing.validator.js';
import { IBAN_LENGTHS, ibanValid } from '../validators/iban.validator.js';
import { cardBrand, luhnValid } from '../validators/luhn.validator.js';
import { digitsOf, eachMatch, type Detector } from './detector.js';

const CARD_RE = /(?<![\d-])\d(?:[ -]?\d){11,18}(?![\d]|-\d)/g;
// Generous: two letters, two digits, then groups; truncated afterwards to the country's exact length.
const IBAN_RE = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}[ ]?[A-Za-z0-9]{4}(?:[ ]?[A-Za-z0-9]{1,4}){1,8}/g;

export class CreditCardDetector implements Detector {
  readonly name = 'credit_card';
  readonly entities = ['CREDIT_CARD'] as const;
  readonly needsDigits = true;
  readonly minDigits = 12;

  detect(text: string, out: Candidate[]): void {
    eachMatch(CARD_RE, text, (m) => {
      const raw = m[0];
      const hasSpace = raw.includes(' ');
      const hasDash = raw.includes('-');
      if (hasSpace && hasDash) return;
      const digits = digitsOf(raw);
      if (/^(\d)\1+$/.test(digits) || !luhnValid(digits)) return;
      const brand = cardBrand(digits);
      out.push({
        entity: 'CREDIT_CARD',
        start: m.index,
        end: m.index + raw.length,
        score: brand ? 0.85 : 0.3,
        contextScore: brand ? 1 : 0.7,
        reason: brand ? `credit_card:luhn+iin_${brand}` : 'credit_card:luhn',
      });
    });
  }
}

export class IbanDetector implements Detector {
  readonly name = 'iban';
  readonly entities = ['IBAN'] as const;
  readonly needsDigits = true;
  readonly minDigits = 2;

  detect(text: string, out: Candidate[]): void {
    eachMatch(IBAN_RE, text, (m) => {
      const raw = m[0];
      const country = raw.slice(0, 2).toUpperCase();
      const len = IBAN_LENGTHS[country];
      if (len === undefined) return;
      // Walk the match taking exactly `len` alphanumerics; the IBAN must end at a group boundary.
      let taken = 0;
      let i = 0;
      let compact = '';
      for (; i < raw.length && taken < len; i++) {
        const ch = raw[i]!;
        if (ch === ' ') continue;
        compact += ch.toUpperCase();
        taken++;
      }
      if (taken !== len) return;
      const next = text.charCodeAt(m.index + i);
      if (!Number.isNaN(next) && /[A-Za-z0-9]/.test(String.fromCharCode(next))) return;
      if (!ibanValid(compact)) return;
      out.push({ entity: 'IBAN', start: m.index, end: m.index + i, score: 0.95, reason: 'iban:mod97+length' });
    });
  }
}

const NINE_DIGITS_RE = /(?<![\d.,-])\d{9}(?![\d]|[.,-]\d)/g;
const ACCOUNT_RE = /(?<![\d.,-])\d(?:[ -]?\d){5,16}(?![\d]|[.,-]\d)/g;

export class BankRoutingDetector implements Detector {
  readonly name = 'bank_routing';
  readonly entities = ['BANK_ROUTING'] as const;
  readonly needsDigits = true;
  readonly minDigits = 9;
  readonly gatedBy = 'BANK_ROUTING' as const;

  detect(text: string, out: Candidate[]): void {
    eachMatch(NINE_DIGITS_RE, text, (m) => {
      if (!abaRoutingValid(m[0])) return;
      out.push({
        entity: 'BANK_ROUTING',
        start: m.index,
        end: m.index + 9,
        score: 0.2,
        contextScore: 0.85,
        reason: 'bank_routing:aba_checksum',
      });
    });
  }
}

export class BankAccountDetector implements Detector {
  readonly name = 'bank_account';
  readonly entities = ['BANK_ACCOUNT'] as const;
  readonly needsDigits = true;
  readonly minDigits = 6;
  readonly gatedBy = 'BANK_ACCOUNT' as const;

  detect(text: string, out: Candidate[]): void {
    eachMatch(ACCOUNT_RE, text, (m) => {
      const digits = digitsOf(m[0]);
      if (/^(\d)\1+$/.test(digits)) return;
      out.push({
        entity: 'BANK_ACCOUNT',
        start: m.index,
        end: m.index + m[0].length,
        score: 0.05,
        contextScore: 0.6,
        reason: 'bank_account:digits',
      });
    });
  }
}
