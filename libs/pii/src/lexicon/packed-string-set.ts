import { hashString } from '@confide/domain';

/**
 * A read-only set of strings packed into one string (entries joined by '\n') with an open-addressing table of entry
 * offsets: about one or two bytes per character plus ~8 bytes per entry, where a Set holds a heap string (~20 bytes of
 * header) and a table entry for each. The name and word lists hold ~240,000 entries; as Sets they took ~16 MiB of
 * heap in every process that scans PII.
 */
export class PackedStringSet {
  readonly #text: string;
  /** Slot → entry start + 1; 0 is an empty slot. */
  readonly #slots: Int32Array;
  readonly #mask: number;
  readonly size: number;

  constructor(entries: Iterable<string>) {
    const unique = [...new Set(entries)].filter((e) => !e.includes('\n'));
    this.size = unique.length;
    let slots = 16;
    while (slots < unique.length * 2) slots *= 2;
    this.#slots = new Int32Array(slots);
    this.#mask = slots - 1;
    this.#text = unique.join('\n');
    let start = 0;
    for (const e of unique) {
      let i = hashString(e) & this.#mask;
      while (this.#slots[i] !== 0) i = (i + 1) & this.#mask;
      this.#slots[i] = start + 1;
      start += e.length + 1;
    }
  }

  has(s: string): boolean {
    const n = s.length;
    const text = this.#text;
    for (let i = hashString(s) & this.#mask; ; i = (i + 1) & this.#mask) {
      const slot = this.#slots[i]!;
      if (slot === 0) return false;
      const at = slot - 1;
      if (at + n === text.length || text.charCodeAt(at + n) === 10) {
        let k = 0;
        while (k < n && text.charCodeAt(at + k) === s.charCodeAt(k)) k++;
        if (k === n) return true;
      }
    }
  }
}
