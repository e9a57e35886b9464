/** FIFO of byte chunks that hands out exact-length runs without copying whole chunks. */
export class ByteQueue {
  #pieces: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#pieces.push(chunk);
    this.#length += chunk.length;
  }

  /** Removes and returns the first `n` bytes as a list of views (n must be <= length). */
  take(n: number): Buffer[] {
    const out: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = this.#pieces[0];
      if (head === undefined) throw new RangeError('ByteQueue underflow');
      if (head.length <= need) {
        out.push(head);
        this.#pieces.shift();
        need -= head.length;
      } else {
        out.push(head.subarray(0, need));
        this.#pieces[0] = head.subarray(need);
        need = 0;
      }
    }
    this.#length -= n;
    return out;
  }

  /** A copy of the first `n` bytes, left in the queue. */
  peek(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    for (const piece of this.#pieces) {
      if (o >= n) break;
      o += piece.copy(out, o, 0, Math.min(piece.length, n - o));
    }
    return out;
  }
}

/** Splits a run of pieces into everything but the last `n` bytes, and those last `n` bytes (copied). */
export function splitTail(pieces: readonly Buffer[], n: number): { body: Buffer[]; tail: Buffer } {
  const total = pieces.reduce((sum, p) => sum + p.length, 0);
  const bodyLength = total - n;
  const body: Buffer[] = [];
  const tail = Buffer.allocUnsafe(n);
  let seen = 0;
  let t = 0;
  for (const piece of pieces) {
    const end = seen + piece.length;
    if (end <= bodyLength) {
      body.push(piece);
    } else if (seen >= bodyLength) {
      t += piece.copy(tail, t);
    } else {
      const cut = bodyLength - seen;
      body.push(piece.subarray(0, cut));
      t += piece.copy(tail, t, cut);
    }
    seen = end;
  }
  return { body, tail };
}
