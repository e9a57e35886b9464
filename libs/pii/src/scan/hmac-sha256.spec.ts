import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { HmacSha256 } from './hmac-sha256.js';

/** Deterministic xorshift PRNG: a failure names its seed. */
function rng(seed: number): () => number {
  // Small seeds spread over all 32 bits: xorshift starts slowly from a few set bits.
  let x = Math.imul(seed, 0x9e3779b1) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** Strings mixing ASCII, Latin-1, CJK, astral characters and lone surrogates. */
function randomText(r: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const k = r();
    if (k < 0.6) s += String.fromCharCode(32 + Math.floor(r() * 95));
    else if (k < 0.75) s += String.fromCharCode(0xa0 + Math.floor(r() * 0x160));
    else if (k < 0.85) s += String.fromCharCode(0x4e00 + Math.floor(r() * 0x5000));
    else if (k < 0.95) s += String.fromCodePoint(0x1f300 + Math.floor(r() * 0x300));
    else s += String.fromCharCode(0xd800 + Math.floor(r() * 0x800));
  }
  return s;
}

describe('HmacSha256', () => {
  it('gives the RFC 4231 results (short key, short key as text, key longer than a block)', () => {
    const hex = (key: Buffer, data: string): string => new HmacSha256(key).digest(data).toString('hex');
    expect(hex(Buffer.alloc(20, 0x0b), 'Hi There')).toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    expect(hex(Buffer.from('Jefe'), 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(hex(Buffer.alloc(131, 0xaa), 'Test Using Larger Than Block-Size Key - Hash Key First')).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
    expect(
      hex(
        Buffer.alloc(131, 0xaa),
        'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
      ),
    ).toBe('9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2');
  });

  it('is byte-identical to createHmac for random keys and messages, reusing one instance', () => {
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      for (const keyLength of [0, 1, 16, 32, 63, 64, 65, 200]) {
        const key = randomBytes(keyLength);
        const mac = new HmacSha256(key);
        for (let i = 0; i < 150; i++) {
          // Mostly short values, sometimes long ones that outgrow the scratch buffer.
          const text = randomText(r, r() < 0.9 ? Math.floor(r() * 40) : Math.floor(r() * 2000));
          expect([seed, keyLength, mac.digest(text).toString('hex')]).toEqual([seed, keyLength, createHmac('sha256', key).update(text).digest('hex')]);
        }
      }
    }
  });

  it('keeps its own copy of the key', () => {
    const key = randomBytes(32);
    const expected = createHmac('sha256', key).update('PHONE\u0000+14155550100').digest('hex');
    const mac = new HmacSha256(key);
    key.fill(0);
    expect(mac.digest('PHONE\u0000+14155550100').toString('hex')).toBe(expected);
  });
});
