import { canonicalJson } from './canonical-json.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys and strips whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1, y: 2 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":2,"z":1}}');
  });
  it('formats numbers like ECMAScript', () => {
    expect(canonicalJson([1e21, 0.1, -0, 100])).toBe('[1e+21,0.1,0,100]');
  });
  it('sorts by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    expect(canonicalJson({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '\u00f6': 4 })).toBe('{"\\r":2,"ö":4,"€":1,"😀":3}');
  });
  it('refuses values JSON cannot hold', () => {
    expect(() => canonicalJson({ a: NaN })).toThrow(/\$\.a/);
    expect(() => canonicalJson({ a: () => 1 })).toThrow();
  });
});
