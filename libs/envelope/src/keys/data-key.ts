import { randomBytes, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { EnvelopeError } from '../envelope.error.js';

export const DEK_LENGTH = 32;
const KEY_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A dataset's plaintext data-encryption key (AES-256). Lives only in memory: it never serialises (JSON, util.inspect
 * and String() show a redacted form) and `destroy()` zeroes it. Persist it only as a WrappedDek.
 */
export class DataKey {
  readonly #material: Buffer;
  #destroyed = false;

  private constructor(
    readonly keyId: string,
    readonly version: number,
    material: Uint8Array,
  ) {
    assertKeyId(keyId);
    assertKeyVersion(version);
    if (material.length !== DEK_LENGTH) {
      throw new EnvelopeError('invalid_key', `a data key must be ${DEK_LENGTH} bytes`);
    }
    this.#material = Buffer.alloc(DEK_LENGTH);
    this.#material.set(material);
  }

  /** A fresh random DEK. */
  static generate(options: { keyId?: string; version?: number } = {}): DataKey {
    const material = randomBytes(DEK_LENGTH);
    try {
      return new DataKey(options.keyId ?? randomUUID(), options.version ?? 1, material);
    } finally {
      material.fill(0);
    }
  }

  /** Wraps existing key bytes (copied; the caller should zero its own copy). */
  static fromBytes(keyId: string, version: number, material: Uint8Array): DataKey {
    return new DataKey(keyId, version, material);
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /**
   * A copy of the raw key bytes, for handing the key on (e.g. the key broker encrypting it to an attested enclave key
   * as a JWE). The caller owns the copy and should zero it when done.
   */
  exportBytes(): Uint8Array {
    return Buffer.from(this.material());
  }

  /** @internal Borrowed view for this lib's own crypto; never stored. */
  material(): Buffer {
    if (this.#destroyed) throw new EnvelopeError('invalid_key', 'the data key was destroyed');
    return this.#material;
  }

  destroy(): void {
    this.#material.fill(0);
    this.#destroyed = true;
  }

  toJSON(): { keyId: string; version: number; material: '[redacted]' } {
    return { keyId: this.keyId, version: this.version, material: '[redacted]' };
  }

  toString(): string {
    return `DataKey(${this.keyId} v${this.version})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

export function assertKeyId(keyId: string): void {
  if (!KEY_ID_PATTERN.test(keyId)) {
    throw new EnvelopeError('invalid_key', 'key id must be 1-128 characters of [A-Za-z0-9._:-]');
  }
}

export function assertKeyVersion(version: number): void {
  if (!Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    throw new EnvelopeError('invalid_key', 'key version must be an integer in 1..2^32-1');
  }
}
