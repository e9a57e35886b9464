import { hash } from 'node:crypto';

const BLOCK = 64;
const DIGEST = 32;

/**
 * HMAC-SHA256 (RFC 2104) of UTF-8 strings under one key, as two one-shot SHA-256 calls over buffers prepared once:
 * `SHA256(K⊕opad ‖ SHA256(K⊕ipad ‖ m))`. Byte for byte what `createHmac('sha256', key).update(m)` gives (tested),
 * at a fraction of its cost: `createHmac` builds a native HMAC object per message (~5 µs even with a KeyObject),
 * which a dataset tokenising a value per record pays millions of times.
 */
export class HmacSha256 {
  /** K⊕ipad, then room for the message (grown on demand). */
  #inner: Buffer;
  /** K⊕opad, then the inner digest. */
  readonly #outer = Buffer.alloc(BLOCK + DIGEST);

  constructor(key: Uint8Array) {
    const block = Buffer.alloc(BLOCK);
    if (key.length > BLOCK) hash('sha256', key, 'buffer').copy(block);
    else block.set(key);
    this.#inner = Buffer.alloc(BLOCK + 256);
    for (let i = 0; i < BLOCK; i++) {
      this.#inner[i] = block[i]! ^ 0x36;
      this.#outer[i] = block[i]! ^ 0x5c;
    }
    block.fill(0);
  }

  /** The MAC of `message` encoded as UTF-8 (lone surrogates as U+FFFD, as `Hmac.update` encodes them). */
  digest(message: string): Buffer {
    // A UTF-16 unit never takes more than 3 bytes of UTF-8.
    if (this.#inner.length < BLOCK + 3 * message.length) {
      const grown = Buffer.alloc(BLOCK + 3 * message.length);
      this.#inner.copy(grown, 0, 0, BLOCK);
      this.#inner.fill(0);
      this.#inner = grown;
    }
    const n = this.#inner.write(message, BLOCK, 'utf8');
    const inner = hash('sha256', this.#inner.subarray(0, BLOCK + n), 'buffer');
    // The message is PII in clear: it does not stay in the scratch buffer.
    this.#inner.fill(0, BLOCK, BLOCK + n);
    inner.copy(this.#outer, BLOCK);
    return hash('sha256', this.#outer, 'buffer');
  }
}
