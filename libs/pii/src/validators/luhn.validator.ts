/** Luhn (mod 10) over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export type CardBrand =
  | 'visa'
  | 'mastercard'
  | 'amex'
  | 'discover'
  | 'jcb'
  | 'diners'
  | 'maestro'
  | 'unionpay'
  | 'mir'
  | 'rupay'
  | 'troy';

interface IinRange {
  brand: CardBrand;
  /** Inclusive prefix range, compared on the first `len` digits. */
  from: number;
  to: number;
  len: number;
  lengths: readonly number[];
}

// Issuer identification number ranges (ISO/IEC 7812 as published by the schemes).
const IIN_RANGES: readonly IinRange[] = [
  { brand: 'amex', from: 34, to: 34, len: 2, lengths: [15] },
  { brand: 'amex', from: 37, to: 37, len: 2, lengths: [15] },
  { brand: 'diners', from: 300, to: 305, len: 3, lengths: [14, 16, 17, 18, 19] },
  { brand: 'diners', from: 36, to: 36, len: 2, lengths: [14, 15, 16, 17, 18, 19] },
  { brand: 'diners', from: 38, to: 39, len: 2, lengths: [14, 15, 16, 17, 18, 19] },
  { brand: 'jcb', from: 3528, to: 3589, len: 4, lengths: [16, 17, 18, 19] },
  { brand: 'visa', from: 4, to: 4, len: 1, lengths: [13, 16, 19] },
  { brand: 'mir', from: 2200, to: 2204, len: 4, lengths: [16, 17, 18, 19] },
  { brand: 'mastercard', from: 2221, to: 2720, len: 4, lengths: [16] },
  { brand: 'mastercard', from: 51, to: 55, len: 2, lengths: [16] },
  { brand: 'discover', from: 6011, to: 6011, len: 4, lengths: [16, 17, 18, 19] },
  { brand: 'discover', from: 644, to: 649, len: 3, lengths: [16, 17, 18, 19] },
  { brand: 'discover', from: 65, to: 65, len: 2, lengths: [16, 17, 18, 19] },
  { brand: 'unionpay', from: 62, to: 62, len: 2, lengths: [16, 17, 18, 19] },
  { brand: 'rupay', from: 60, to: 60, len: 2, lengths: [16] },
  { brand: 'rupay', from: 81, to: 82, len: 2, lengths: [16] },
  { brand: 'troy', from: 9792, to: 9792, len: 4, lengths: [16] },
  { brand: 'maestro', from: 50, to: 50, len: 2, lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
  { brand: 'maestro', from: 56, to: 69, len: 2, lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
];

/** The card brand whose IIN range and length fit, or undefined. `digits` must be ASCII digits only. */
export function cardBrand(digits: string): CardBrand | undefined {
  for (const r of IIN_RANGES) {
    if (digits.length < r.len) continue;
    const p = Number(digits.slice(0, r.len));
    if (p >= r.from && p <= r.to && r.lengths.includes(digits.length)) return r.brand;
  }
  return undefined;
}
