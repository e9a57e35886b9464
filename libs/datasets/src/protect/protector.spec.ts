import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { buildProtectionPolicy } from './protection-policy.js';
import { Protector } from './protector.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The token as specified, computed here from scratch: HMAC-SHA256 under the HKDF token key, 80 bits in base32. */
function expectedToken(secret: Buffer, entity: string, normalised: string): string {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'confide/datasets/token/v1', 32));
  const mac = createHmac('sha256', key).update(`${entity}\u0000${normalised}`).digest();
  let bits = '';
  for (let i = 0; i < 10; i++) bits += mac[i]!.toString(2).padStart(8, '0');
  let s = '';
  for (let i = 0; i < 80; i += 5) s += BASE32[parseInt(bits.slice(i, i + 5), 2)];
  return `<${entity}_${s}>`;
}

describe('Protector tokens', () => {
  const secret = Buffer.alloc(32, 9);

  it('gives the same value the same HMAC token, also once its remembered tokens were dropped', () => {
    const p = new Protector(buildProtectionPolicy(), secret);
    const first = p.token('PHONE', '+1 415-555-0100');
    expect(first).toBe(expectedToken(secret, 'PHONE', '+14155550100'));
    // Another spelling of the same number normalises to the same digits.
    expect(p.token('PHONE', '+1 (415) 555 0100')).toBe(first);
    // More distinct values than the protector keeps: the first one is computed again, with the same result.
    for (let i = 0; i < 10_000; i++) p.token('EMAIL', `user${i}@example.com`);
    expect(p.token('PHONE', '+1 415-555-0100')).toBe(first);
    expect(p.token('EMAIL', 'User42@Example.com')).toBe(expectedToken(secret, 'EMAIL', 'user42@example.com'));
  });

  it('keeps entities and datasets apart', () => {
    const p = new Protector(buildProtectionPolicy(), secret);
    const other = new Protector(buildProtectionPolicy(), Buffer.alloc(32, 10));
    expect(p.token('PERSON', 'Maria Gonzalez')).not.toBe(p.token('ADDRESS', 'Maria Gonzalez').replace('ADDRESS', 'PERSON'));
    expect(other.token('PERSON', 'Maria Gonzalez')).not.toBe(p.token('PERSON', 'Maria Gonzalez'));
  });
});
