/**
 * ABA routing transit number: 9 digits, weights 3-7-1 summing to a multiple of 10, and a Federal Reserve
 * prefix in 00–12, 21–32, 61–72 or 80.
 */
export function abaRoutingValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const prefix = Number(digits.slice(0, 2));
  const prefixOk =
    (prefix >= 0 && prefix <= 12) || (prefix >= 21 && prefix <= 32) || (prefix >= 61 && prefix <= 72) || prefix === 80;
  if (!prefixOk || digits === '000000000') return false;
  const w = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (w[i] ?? 0);
  return sum % 10 === 0;
}
