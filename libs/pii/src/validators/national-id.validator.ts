import { luhnValid } from './luhn.validator.js';

const VERHOEFF_D: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** Verhoeff check over ASCII digits, check digit last. */
export function verhoeffValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![digit]!]!;
  }
  return c === 0;
}

/** India Aadhaar: 12 digits, first digit 2–9, Verhoeff check digit. */
export function aadhaarValid(digits: string): boolean {
  return /^[2-9]\d{11}$/.test(digits) && verhoeffValid(digits);
}

const NINO_BAD_PREFIXES = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);
/** UK National Insurance number (HMRC format rules; it has no check digit). `compact` is uppercase, no spaces. */
export function ukNinoValid(compact: string): boolean {
  if (!/^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$/.test(compact)) return false;
  return !NINO_BAD_PREFIXES.has(compact.slice(0, 2));
}

/** UK NHS number: 10 digits, mod-11 check digit (a remainder giving 10 is never issued). */
export function ukNhsValid(digits: string): boolean {
  if (!/^\d{10}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (10 - i);
  let check = 11 - (sum % 11);
  if (check === 11) check = 0;
  if (check === 10) return false;
  return check === digits.charCodeAt(9) - 48;
}

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';
/** Spanish DNI (8 digits + mod-23 letter) or NIE (X/Y/Z + 7 digits + letter). `compact` uppercase, no separators. */
export function esDniNieValid(compact: string): boolean {
  let m = /^(\d{8})([A-Z])$/.exec(compact);
  if (m) return DNI_LETTERS[Number(m[1]) % 23] === m[2];
  m = /^([XYZ])(\d{7})([A-Z])$/.exec(compact);
  if (!m) return false;
  const lead = m[1] === 'X' ? '0' : m[1] === 'Y' ? '1' : '2';
  return DNI_LETTERS[Number(lead + m[2]) % 23] === m[3];
}

// Odd-position values of the codice fiscale check (positions 1, 3, 5… counted from 1); digit n maps like letter n.
const CF_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23];
// Omocodia: letters that replace digits when two people would get the same code.
const CF_OMOCODE = 'LMNPQRSTUV';
/** Italian codice fiscale (16 characters) including omocodic variants; `compact` uppercase. */
export function itFiscalCodeValid(compact: string): boolean {
  if (!/^[A-Z]{6}[\dLMNPQRSTUV]{2}[ABCDEHLMPRST][\dLMNPQRSTUV]{2}[A-Z][\dLMNPQRSTUV]{3}[A-Z]$/.test(compact)) {
    return false;
  }
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const ch = compact.charCodeAt(i);
    const v = ch <= 57 ? ch - 48 : ch - 65;
    sum += i % 2 === 0 ? CF_ODD[v]! : v;
  }
  if (String.fromCharCode(65 + (sum % 26)) !== compact[15]) return false;
  // The day field (with +40 for women) must be a real day once omocodic letters are decoded.
  const dayChars = compact.slice(9, 11).replace(/[LMNPQRSTUV]/g, (c) => String(CF_OMOCODE.indexOf(c)));
  const day = Number(dayChars);
  return (day >= 1 && day <= 31) || (day >= 41 && day <= 71);
}

/** Dutch BSN: 9 digits passing the "11-proof" (weights 9..2 and -1). */
export function nlBsnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || digits === '000000000') return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (digits.charCodeAt(i) - 48) * (9 - i);
  sum -= digits.charCodeAt(8) - 48;
  return sum % 11 === 0;
}

/** Polish PESEL: 11 digits, weighted check digit and a real birth date in the century-encoded month. */
export function plPeselValid(digits: string): boolean {
  if (!/^\d{11}$/.test(digits)) return false;
  const w = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += (digits.charCodeAt(i) - 48) * w[i]!;
  if ((10 - (sum % 10)) % 10 !== digits.charCodeAt(10) - 48) return false;
  const yy = Number(digits.slice(0, 2));
  let mm = Number(digits.slice(2, 4));
  const dd = Number(digits.slice(4, 6));
  const centuryBase = [1900, 2000, 2100, 2200, 1800][Math.floor(mm / 20)];
  if (centuryBase === undefined) return false;
  mm %= 20;
  if (mm < 1 || mm > 12) return false;
  const days = new Date(Date.UTC(centuryBase + yy, mm, 0)).getUTCDate();
  return dd >= 1 && dd <= days;
}

/** Canadian SIN: 9 digits, Luhn, first digit not 0 or 8. */
export function caSinValid(digits: string): boolean {
  return /^[1-79]\d{8}$/.test(digits) && luhnValid(digits);
}

/** German tax id (Steuer-ID): 11 digits, no leading zero, ISO 7064 MOD 11,10 check digit. */
export function deTaxIdValid(digits: string): boolean {
  if (!/^[1-9]\d{10}$/.test(digits)) return false;
  let product = 10;
  for (let i = 0; i < 10; i++) {
    let sum = (digits.charCodeAt(i) - 48 + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  let check = 11 - product;
  if (check === 10) check = 0;
  return check === digits.charCodeAt(10) - 48;
}
