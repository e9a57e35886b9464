// Numbers published as examples (Woolworth wallet card, ads, Presidio's list) that are never a real person's.
const SAMPLE_SSNS = new Set(['078051120', '123456789', '219099999', '457555462', '987654320', '098765432']);

/**
 * SSA rules for a 9-digit SSN: area 000, 666 and 900–999 are never issued (9xx is ITIN space), group 00 and
 * serial 0000 are invalid, and all-same-digit and published sample numbers are rejected.
 */
export function usSsnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = digits.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return false;
  if (/^(\d)\1{8}$/.test(digits)) return false;
  return !SAMPLE_SSNS.has(digits);
}

/** US ITIN: 9xx-[50-65|70-88|90-92|94-99]-xxxx. */
export function usItinValid(digits: string): boolean {
  if (!/^9\d{8}$/.test(digits)) return false;
  const g = Number(digits.slice(3, 5));
  return (g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || (g >= 94 && g <= 99);
}
