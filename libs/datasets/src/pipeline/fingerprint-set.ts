/**
 * A set of 64-bit row fingerprints in one open-addressing table of uint32 pairs (8 bytes a slot, load <= 0.5), instead
 * of a Set<number> whose heap-number entries cost ~40-80 bytes each: 2.3 M rows (a 1 GB upload) take 32 MB, not
 * well over 100 MB. The all-zero fingerprint is stored as 1 (the empty slot marker is 0, 0).
 */
export class FingerprintSet {
  #table: Uint32Array;
  #mask: number;
  #size = 0;

  constructor(initialSlots = 1 << 12) {
    let slots = 1;
    while (slots < initialSlots) slots *= 2;
    this.#table = new Uint32Array(slots * 2);
    this.#mask = slots - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds (hi, lo); returns false when it was already present. */
  add(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    if (hi === 0 && lo === 0) lo = 1;
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#grow();
    if (!this.#insert(this.#table, this.#mask, hi, lo)) return false;
    this.#size += 1;
    return true;
  }

  has(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    if (hi === 0 && lo === 0) lo = 1;
    const t = this.#table;
    for (let i = lo & this.#mask; ; i = (i + 1) & this.#mask) {
      const h = t[2 * i] as number;
      const l = t[2 * i + 1] as number;
      if (h === 0 && l === 0) return false;
      if (h === hi && l === lo) return true;
    }
  }

  #insert(t: Uint32Array, mask: number, hi: number, lo: number): boolean {
    // The fingerprint comes from SHA-256, so its low bits are already uniform: use them as the slot index.
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const h = t[2 * i] as number;
      const l = t[2 * i + 1] as number;
      if (h === 0 && l === 0) {
        t[2 * i] = hi;
        t[2 * i + 1] = lo;
        return true;
      }
      if (h === hi && l === lo) return false;
    }
  }

  #grow(): void {
    const old = this.#table;
    const slots = (this.#mask + 1) * 2;
    const table = new Uint32Array(slots * 2);
    const mask = slots - 1;
    for (let i = 0; i < old.length; i += 2) {
      const h = old[i] as number;
      const l = old[i + 1] as number;
      if (h !== 0 || l !== 0) this.#insert(table, mask, h, l);
    }
    this.#table = table;
    this.#mask = mask;
  }
}
