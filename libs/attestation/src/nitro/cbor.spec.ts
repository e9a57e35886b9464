import { describe, expect, it } from '@jest/globals';

import { AttestationError } from '../attestation.error.js';
import { CborMap, CborTag, decodeCbor, encodeCbor, type CborValue } from './cbor.js';

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const decode = (h: string): CborValue => decodeCbor(hex(h), 'test');

function failure(h: string, limits?: Parameters<typeof decodeCbor>[2]): { code: string; message: string; target: string | undefined } {
  try {
    decodeCbor(hex(h), 'test', limits);
  } catch (e) {
    if (e instanceof AttestationError) return { code: e.code, message: e.message, target: e.target };
    throw e;
  }
  throw new Error(`decoded ${h}`);
}

/** Plain JS view of a decoded value, for readable expectations. */
function plain(v: CborValue): unknown {
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (v instanceof CborMap) return { map: v.entries.map(([k, x]) => [plain(k), plain(x)]) };
  if (v instanceof CborTag) return { tag: v.tag, value: plain(v.value) };
  if (Array.isArray(v)) return (v as readonly CborValue[]).map(plain);
  return v;
}

describe('decodeCbor: RFC 8949 Appendix A examples in the accepted subset', () => {
  const examples: [string, unknown][] = [
    ['00', 0],
    ['01', 1],
    ['0a', 10],
    ['17', 23],
    ['1818', 24],
    ['1819', 25],
    ['1864', 100],
    ['1903e8', 1000],
    ['1a000f4240', 1000000],
    ['1b000000e8d4a51000', 1000000000000],
    ['1bffffffffffffffff', 18446744073709551615n],
    ['3bffffffffffffffff', -18446744073709551616n],
    ['20', -1],
    ['29', -10],
    ['3863', -100],
    ['3903e7', -1000],
    ['f4', false],
    ['f5', true],
    ['f6', null],
    ['f7', undefined],
    ['c074323031332d30332d32315432303a30343a30305a', { tag: 0, value: '2013-03-21T20:04:00Z' }],
    ['c11a514b67b0', { tag: 1, value: 1363896240 }],
    ['d74401020304', { tag: 23, value: { bytes: '01020304' } }],
    ['d818456449455446', { tag: 24, value: { bytes: '6449455446' } }],
    ['d82076687474703a2f2f7777772e6578616d706c652e636f6d', { tag: 32, value: 'http://www.example.com' }],
    ['40', { bytes: '' }],
    ['4401020304', { bytes: '01020304' }],
    ['60', ''],
    ['6161', 'a'],
    ['6449455446', 'IETF'],
    ['62225c', '"\\'],
    ['62c3bc', '\u00fc'],
    ['63e6b0b4', '\u6c34'],
    ['64f0908591', '\ud800\udd51'],
    ['80', []],
    ['83010203', [1, 2, 3]],
    ['8301820203820405', [1, [2, 3], [4, 5]]],
    ['98190102030405060708090a0b0c0d0e0f101112131415161718181819', Array.from({ length: 25 }, (_, i) => i + 1)],
    ['a0', { map: [] }],
    ['a201020304', { map: [[1, 2], [3, 4]] }],
    ['a26161016162820203', { map: [['a', 1], ['b', [2, 3]]] }],
    ['826161a161626163', ['a', { map: [['b', 'c']] }]],
    ['a56161614161626142616361436164614461656145', { map: [['a', 'A'], ['b', 'B'], ['c', 'C'], ['d', 'D'], ['e', 'E']] }],
  ];

  it.each(examples)('%s', (encoded, expected) => {
    const value = decode(encoded);
    expect(plain(value)).toEqual(expected);
    // Preferred serialization both ways: re-encoding gives the same bytes.
    expect(Buffer.from(encodeCbor(value)).toString('hex')).toBe(encoded);
  });

  it('integers beyond 2^53 stay exact as bigint; the largest safe ones are numbers', () => {
    expect(decode('1b001fffffffffffff')).toBe(Number.MAX_SAFE_INTEGER);
    expect(decode('1b0020000000000000')).toBe(2n ** 53n);
    expect(decode('3b001ffffffffffffe')).toBe(-Number.MAX_SAFE_INTEGER);
    expect(decode('3b001fffffffffffff')).toBe(-(2n ** 53n));
  });

  it('map lookups distinguish integer and text keys', () => {
    const m = decode('a2010061310a') as CborMap;
    expect([m.get(1), m.get('1'), m.get(2)]).toEqual([0, 10, undefined]);
  });
});

describe('decodeCbor refuses what a second decoder could read differently (evidence_malformed, never a crash)', () => {
  it.each([
    ['5f42010243030405ff', 'indefinite'],
    ['7f657374726561646d696e67ff', 'indefinite'],
    ['9fff', 'indefinite'],
    ['9f018202039f0405ffff', 'indefinite'],
    ['bf61610161629f0203ffff', 'indefinite'],
  ])('indefinite length %s', (h, word) => {
    expect(failure(h)).toMatchObject({ code: 'evidence_malformed', message: expect.stringContaining(word) });
  });

  it.each(['1800', '1817', '190017', '1900ff', '1a0000ffff', '1b00000000ffffffff', '3800', '5800', '780161', '9800', 'b800', 'd800f6'])(
    'non-minimal argument %s',
    (h) => {
      expect(failure(h)).toMatchObject({ code: 'evidence_malformed', message: 'CBOR integer or length is not minimally encoded' });
    },
  );

  it.each(['f90000', 'fa47c35000', 'fb3ff199999999999a'])('floating point %s', (h) => {
    expect(failure(h).message).toBe('CBOR floating-point values are not accepted');
  });

  it.each(['f0', 'f818', 'f8ff', 'ff', '1c', '3d', '5e', 'fc'])('simple values other than false/true/null/undefined, break, reserved info: %s', (h) => {
    expect(failure(h).code).toBe('evidence_malformed');
  });

  it('duplicate map keys, by value (integer or text), but 1 and "1" are different keys', () => {
    expect(failure('a201020103')).toMatchObject({ message: 'CBOR map has a duplicate key', target: 'test.1' });
    expect(failure('a2616101616102').message).toBe('CBOR map has a duplicate key');
    expect(failure('a1a201000100f6').message).toBe('CBOR map has a duplicate key'); // inside a nested key map
    expect(plain(decode('a201006131f6'))).toEqual({ map: [[1, 0], ['1', null]] });
  });

  it('trailing bytes after the item', () => {
    expect(failure('0000')).toMatchObject({ message: 'CBOR has trailing bytes after the data item', target: 'test' });
    expect(failure('80ff').message).toBe('CBOR has trailing bytes after the data item');
  });

  it('truncation anywhere, including lengths far beyond the input (nothing is allocated for them)', () => {
    for (const h of ['', '19', '1903', '1a000f42', '4401020304'.slice(0, 8), '830102', 'a2010203', '6449455', 'c1', '5bffffffffffffffff', '9bffffffffffffffff', 'bb0000000100000000']) {
      expect(failure(h)).toMatchObject({ code: 'evidence_malformed', message: 'CBOR is truncated' });
    }
    const full = hex('a26161016162820203');
    for (let n = 0; n < full.length; n++) {
      expect(() => decodeCbor(full.subarray(0, n), 'test')).toThrow(AttestationError);
    }
  });

  it('invalid UTF-8 in text strings (bad continuation, overlong, lone surrogate)', () => {
    for (const h of ['62c328', '62c0af', '63eda080', '61ff']) expect(failure(h).message).toBe('CBOR text string is not valid UTF-8');
  });

  it('names the path to the offending item in the target', () => {
    // {"pcrs": {3: h'01', 4: h'01' + one byte missing}}
    expect(failure('a16470637273a203410104420102'.slice(0, -2))).toMatchObject({ message: 'CBOR is truncated', target: 'test.pcrs.4' });
    expect(failure('8301028201f9')).toMatchObject({ message: 'CBOR floating-point values are not accepted', target: 'test[2][1]' });
  });

  it('depth, item-count and size limits', () => {
    const nested = (depth: number): string => '81'.repeat(depth) + '00';
    expect(decodeCbor(hex(nested(16)), 'test')).toBeDefined();
    expect(failure(nested(17)).message).toBe('CBOR nesting is too deep');
    const limits = { maxBytes: 64, maxDepth: 4, maxItems: 3 };
    expect(failure('8401020304', limits).message).toBe('CBOR array has too many elements');
    expect(failure('a401020304050607', limits).message).toBe('CBOR map has too many entries');
    expect(failure('00'.repeat(65), limits).message).toBe('CBOR input is too large');
  });

  it('a byte-string result is a view of the input, not a copy', () => {
    const input = hex('4401020304');
    const bytes = decodeCbor(input, 'test') as Uint8Array;
    expect(bytes.buffer).toBe(input.buffer);
  });
});

describe('encodeCbor', () => {
  it('round-trips what it encodes, with preferred argument sizes at every boundary', () => {
    const values: CborValue[] = [0, 23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296, Number.MAX_SAFE_INTEGER, 2n ** 64n - 1n, -1, -24, -25, -256, -257, -(2n ** 64n)];
    for (const v of values) expect(decodeCbor(encodeCbor(v), 'test')).toBe(v);
    const nested = new CborMap([['pcrs', new CborMap([[0, new Uint8Array(48)]])], [-35, [true, null, new CborTag(18, 'x')]]]);
    expect(plain(decodeCbor(encodeCbor(nested), 'test'))).toEqual(plain(nested));
    expect(Buffer.from(encodeCbor(new Uint8Array(300))).subarray(0, 3).toString('hex')).toBe('59012c');
  });

  it('refuses what it cannot represent exactly', () => {
    expect(() => encodeCbor(1.5)).toThrow(RangeError);
    expect(() => encodeCbor(2n ** 64n)).toThrow(RangeError);
  });
});
