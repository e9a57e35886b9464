import { AttestationError } from '../attestation.error.js';
import type { SignedData } from '../common/index.js';
import { ECDSA_SHA256_P1363 } from './tdx-crypto.js';

/**
 * Intel signs TCB info and QE identity over the exact bytes of the `tcbInfo` / `enclaveIdentity` value as served,
 * not over re-serialised JSON. This finds that byte range in the top-level object without reformatting anything.
 */
export function topLevelValueRanges(text: string, what: string): Map<string, { start: number; end: number }> {
  const fail = (): AttestationError => new AttestationError('collateral_invalid', 'collateral is not a JSON object', what);
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const skipString = (): void => {
    if (text[i] !== '"') throw fail();
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) throw fail();
    i++;
  };
  const skipValue = (): void => {
    ws();
    const ch = text[i];
    if (ch === '"') return skipString();
    if (ch === '{' || ch === '[') {
      let depth = 0;
      while (i < text.length) {
        const c = text[i]!;
        if (c === '"') {
          skipString();
          continue;
        }
        if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') {
          depth--;
          if (depth === 0) {
            i++;
            return;
          }
        }
        i++;
      }
      throw fail();
    }
    const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!m) throw fail();
    i += m[0].length;
  };

  const ranges = new Map<string, { start: number; end: number }>();
  ws();
  if (text[i] !== '{') throw fail();
  i++;
  ws();
  if (text[i] === '}') return ranges;
  for (;;) {
    ws();
    const keyStart = i;
    skipString();
    const key = JSON.parse(text.slice(keyStart, i)) as string;
    ws();
    if (text[i] !== ':') throw fail();
    i++;
    ws();
    const start = i;
    skipValue();
    ranges.set(key, { start, end: i });
    ws();
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') break;
    throw fail();
  }
  i++;
  ws();
  if (i !== text.length) throw fail();
  return ranges;
}

/** A signed JSON value: `tbs` is its exact bytes as served, `signature` raw r‖s (ECDSA P-256 / SHA-256). */
export interface SignedJson extends SignedData {
  readonly value: unknown;
}

export function readSignedJson(body: Uint8Array, field: 'tcbInfo' | 'enclaveIdentity', what: string): SignedJson {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body);
  const ranges = topLevelValueRanges(text, what);
  const range = ranges.get(field);
  const sig = ranges.get('signature');
  if (!range || !sig) throw new AttestationError('collateral_invalid', `collateral has no ${field} or signature`, what);
  let value: unknown;
  let signatureHex: unknown;
  try {
    value = JSON.parse(text.slice(range.start, range.end));
    signatureHex = JSON.parse(text.slice(sig.start, sig.end));
  } catch {
    throw new AttestationError('collateral_invalid', 'collateral JSON is malformed', what);
  }
  if (typeof signatureHex !== 'string' || !/^[0-9a-fA-F]{128}$/.test(signatureHex)) {
    throw new AttestationError('collateral_invalid', 'collateral signature is not 64 bytes of hex', what);
  }
  return {
    tbs: new TextEncoder().encode(text.slice(range.start, range.end)),
    signatureAlgorithm: ECDSA_SHA256_P1363,
    value,
    signature: new Uint8Array(Buffer.from(signatureHex, 'hex')),
  };
}
