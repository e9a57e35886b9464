/**
 * Returns a function mapping UTF-16 indices of `text` to Unicode code point offsets. Text without surrogate
 * pairs (nearly all of it) gets the identity; otherwise a prefix table is built once.
 */
export function utf16ToCodePointMapper(text: string): (index: number) => number {
  if (!/[\uD800-\uDFFF]/.test(text)) return (i) => i;
  const table = new Uint32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    table[i] = cp;
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point: the low half maps to the same offset.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        table[i + 1] = cp;
        i++;
      }
    }
    cp++;
  }
  table[text.length] = cp;
  return (i) => table[i] ?? cp;
}

/** Code point length of a string. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= text.length) n++;
    else {
      const d = text.charCodeAt(i + 1);
      n++;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

/** Substring by code point offsets (the offsets findings carry). */
export function codePointSlice(text: string, start: number, end: number): string {
  if (!/[\uD800-\uDFFF]/.test(text)) return text.slice(start, end);
  return Array.from(text).slice(start, end).join('');
}
