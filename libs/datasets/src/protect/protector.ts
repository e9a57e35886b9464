import { hkdfSync } from 'node:crypto';
import { FPE_ALPHABETS, FormatPreservingCipher, ShapePreservingCipher } from '@confide/envelope';
import { HmacSha256, normaliseValue, type PiiEntity, type PiiFinding } from '@confide/pii';
import type { Operator, ProtectionPolicy } from './protection-policy.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const TOKEN_CACHE_SIZE = 8192;
const DIGIT_ENTITIES: ReadonlySet<PiiEntity> = new Set(['CREDIT_CARD', 'US_SSN', 'PHONE', 'BANK_ACCOUNT', 'BANK_ROUTING']);

/** Per-dataset keys derived from one protection secret with HKDF-SHA256, one label per use. */
export function deriveDatasetKey(secret: Uint8Array, label: 'token' | 'fpe' | 'report-hash'): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `confide/datasets/${label}/v1`, 32));
}

/**
 * Applies a protection policy to the PII spans of one text. Tokens are HMAC-SHA256 under the dataset's token key
 * over the normalised value (the same value always gets the same token within a dataset, never across datasets);
 * FPE uses FF1 with the entity name as tweak. A value too short for FF1's minimum domain falls back to a token,
 * so nothing is ever left in clear by accident.
 */
export class Protector {
  readonly #tokenMac: HmacSha256;
  readonly #digits: FormatPreservingCipher;
  readonly #shape: ShapePreservingCipher;
  readonly #tweaks = new Map<PiiEntity, Buffer>();
  /** Counts of operator applications, for the report. */
  readonly applied: Record<string, number> = {};
  /**
   * Tokens already computed, by entity and normalised value: a dataset repeats its names, e-mails and numbers
   * across records, and an HMAC (a native object per call) costs far more than a map lookup. Emptied when full.
   */
  readonly #tokens = new Map<string, string>();

  constructor(
    private readonly policy: ProtectionPolicy,
    secret: Uint8Array,
  ) {
    const tokenKey = deriveDatasetKey(secret, 'token');
    this.#tokenMac = new HmacSha256(tokenKey);
    tokenKey.fill(0);
    const fpeKey = deriveDatasetKey(secret, 'fpe');
    this.#digits = new FormatPreservingCipher(fpeKey, FPE_ALPHABETS.digits);
    this.#shape = new ShapePreservingCipher(fpeKey);
    fpeKey.fill(0);
  }

  /** `text` with every finding replaced according to the policy. Findings carry code point offsets. */
  protect(text: string, findings: readonly PiiFinding[]): string {
    if (findings.length === 0) return text;
    const sorted = [...findings].sort((a, b) => a.start - b.start || b.end - a.end);
    const cps = /[\uD800-\uDFFF]/.test(text) ? Array.from(text) : undefined;
    const slice = (s: number, e: number): string => (cps ? cps.slice(s, e).join('') : text.slice(s, e));
    const length = cps ? cps.length : text.length;
    let out = '';
    let at = 0;
    for (const f of sorted) {
      if (f.start < at || f.end > length || f.end <= f.start) continue;
      out += slice(at, f.start);
      out += this.apply(f.entity, slice(f.start, f.end));
      at = f.end;
    }
    return out + slice(at, length);
  }

  apply(entity: PiiEntity, value: string): string {
    const op: Operator = this.policy[entity];
    this.applied[`${entity}:${op.kind}`] = (this.applied[`${entity}:${op.kind}`] ?? 0) + 1;
    switch (op.kind) {
      case 'keep':
        return value;
      case 'redact':
        return `[${entity}]`;
      case 'mask':
        return maskKeepLast(value, op.keepLast);
      case 'token':
        return this.token(entity, value);
      case 'fpe':
        return this.fpe(entity, value);
    }
  }

  token(entity: PiiEntity, value: string): string {
    const normalised = normaliseValue(entity, value);
    const key = `${entity}\u0000${normalised}`;
    let token = this.#tokens.get(key);
    if (token === undefined) {
      token = this.#mac(entity, key);
      if (this.#tokens.size >= TOKEN_CACHE_SIZE) this.#tokens.clear();
      this.#tokens.set(key, token);
    }
    return token;
  }

  /** `message` is `entity ‖ 0x00 ‖ normalised value`. */
  #mac(entity: PiiEntity, message: string): string {
    const mac = this.#tokenMac.digest(message);
    // 80 bits of the MAC as 16 base32 characters.
    let s = '';
    let acc = 0;
    let bits = 0;
    for (let i = 0; i < 10; i++) {
      acc = (acc << 8) | mac[i]!;
      bits += 8;
      while (bits >= 5) {
        s += BASE32[(acc >>> (bits - 5)) & 31];
        bits -= 5;
      }
      acc &= (1 << bits) - 1;
    }
    return `<${entity}_${s}>`;
  }

  private fpe(entity: PiiEntity, value: string): string {
    let tweak = this.#tweaks.get(entity);
    if (!tweak) {
      tweak = Buffer.from(entity, 'ascii');
      this.#tweaks.set(entity, tweak);
    }
    try {
      if (DIGIT_ENTITIES.has(entity)) {
        const digits = value.replace(/\D/g, '').length;
        if (digits >= 6) return this.#digits.encrypt(value, tweak);
      } else {
        return this.#shape.encrypt(value, tweak);
      }
    } catch {
      // domain too small for FF1: fall through to a token
    }
    return this.token(entity, value);
  }
}

/** Keeps the last `keep` letters/digits (never more than half of them), masks the others, keeps separators. */
export function maskKeepLast(value: string, keep: number): string {
  const chars = Array.from(value);
  const alnum = chars.filter((c) => /[\p{L}\p{N}]/u.test(c)).length;
  const reveal = Math.min(keep, Math.floor(alnum / 2));
  let seen = 0;
  return chars
    .map((c) => {
      if (!/[\p{L}\p{N}]/u.test(c)) return c;
      seen++;
      return seen > alnum - reveal ? c : '*';
    })
    .join('');
}
