import { createCipheriv, createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { EnvelopeError } from '../envelope.error.js';
import { aesGcmDecrypt, aesGcmEncrypt, hkdfSha256 } from './aead.js';
import { availableGcmBackends } from './gcm-backend.js';

const dir = join(process.cwd(), 'test/fixtures/wycheproof-envelope');
interface GcmTest {
  tcId: number;
  flags: string[];
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface HkdfTest {
  tcId: number;
  flags: string[];
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
const gcm = JSON.parse(readFileSync(join(dir, 'aes_gcm_test.json'), 'utf8')) as {
  numberOfTests: number;
  testGroups: { ivSize: number; keySize: number; tagSize: number; tests: GcmTest[] }[];
};
const hkdf = JSON.parse(readFileSync(join(dir, 'hkdf_sha256_test.json'), 'utf8')) as {
  numberOfTests: number;
  testGroups: { tests: HkdfTest[] }[];
};
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const label = (t: { tcId: number; flags: string[] }): string => `tcId ${t.tcId} [${t.flags.join(',')}]`;

function nodeGcmDecrypt(t: GcmTest): Buffer | 'refused' | undefined {
  const algorithm = `aes-${hex(t.key).length * 8}-gcm` as 'aes-256-gcm';
  let decipher;
  try {
    decipher = createDecipheriv(algorithm, hex(t.key), hex(t.iv), { authTagLength: 16 });
  } catch {
    return 'refused';
  }
  try {
    decipher.setAAD(hex(t.aad));
    decipher.setAuthTag(hex(t.tag));
    return Buffer.concat([decipher.update(hex(t.ct)), decipher.final()]);
  } catch {
    return undefined;
  }
}

describe('Wycheproof AES-GCM', () => {
  const all = gcm.testGroups.flatMap((g) => g.tests.map((t) => ({ ...t, ivSize: g.ivSize, tagSize: g.tagSize })));

  it('has every vector of the file', () => {
    expect(all).toHaveLength(gcm.numberOfTests);
  });

  // Through each AES-GCM backend built here: the native addon (when built) and node:crypto.
  it.each(availableGcmBackends().map((gcm) => [gcm.name, gcm] as const))('our primitives through %s: 96-bit IVs decrypt/encrypt valid vectors and reject invalid ones; other IV sizes are refused', (_name, gcm) => {
    const failures: string[] = [];
    let checked = 0;
    for (const t of all) {
      const run = (): Buffer => aesGcmDecrypt(hex(t.key), hex(t.iv), hex(t.ct), hex(t.tag), hex(t.aad), gcm);
      if (t.ivSize !== 96) {
        try {
          run();
          failures.push(`${label(t)} non-96-bit IV accepted`);
        } catch (e) {
          if (!(e instanceof EnvelopeError && e.code === 'invalid_nonce')) failures.push(`${label(t)} wrong error`);
        }
        continue;
      }
      checked += 1;
      if (t.result === 'valid') {
        try {
          if (!run().equals(hex(t.msg))) failures.push(`${label(t)} wrong plaintext`);
          const sealed = aesGcmEncrypt(hex(t.key), hex(t.iv), hex(t.msg), hex(t.aad), gcm);
          if (!sealed.ciphertext.equals(hex(t.ct)) || !sealed.tag.equals(hex(t.tag))) failures.push(`${label(t)} wrong ciphertext`);
          // In place (the sealed-blob writer with consumeInput), the message split in two pieces.
          const msg = hex(t.msg);
          const cut = msg.length >> 1;
          const inPlace = gcm.seal(hex(t.key), hex(t.iv), hex(t.aad), [msg.subarray(0, cut), msg.subarray(cut)], true);
          if (!Buffer.concat(inPlace.out).equals(hex(t.ct)) || !inPlace.tag.equals(hex(t.tag))) failures.push(`${label(t)} wrong in-place ciphertext`);
        } catch {
          failures.push(`${label(t)} valid vector rejected`);
        }
      } else {
        try {
          run();
          failures.push(`${label(t)} invalid vector accepted`);
        } catch (e) {
          if (!(e instanceof EnvelopeError)) failures.push(`${label(t)} untyped error`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  it('node:crypto itself (any IV size): valid vectors decrypt, invalid ones are rejected', () => {
    const failures: string[] = [];
    const refused: number[] = [];
    for (const t of all) {
      if (t.iv.length === 0) {
        // Zero-length IVs: node refuses to construct the cipher at all, which is the right answer.
        expect(() => createCipheriv('aes-128-gcm', Buffer.alloc(16), Buffer.alloc(0))).toThrow();
        if (t.result === 'valid') failures.push(`${label(t)} valid zero-length-IV vector`);
        continue;
      }
      const plaintext = nodeGcmDecrypt(t);
      if (plaintext === 'refused') {
        refused.push(t.iv.length / 2);
        continue;
      }
      if (t.result === 'valid' && (plaintext === undefined || !plaintext.equals(hex(t.msg)))) failures.push(`${label(t)} valid failed`);
      if (t.result === 'invalid' && plaintext !== undefined) failures.push(`${label(t)} invalid accepted`);
    }
    expect(failures).toEqual([]);
    // Node/OpenSSL refuse IVs longer than 256 bytes outright (3 LongIv vectors of 257 bytes); our API only takes 12.
    expect(refused.every((length) => length > 256)).toBe(true);
    expect(refused.length).toBeLessThanOrEqual(3);
  });
});

describe('Wycheproof HKDF-SHA256', () => {
  const all = hkdf.testGroups.flatMap((g) => g.tests);

  it('derives every valid vector and rejects every invalid one', () => {
    expect(all).toHaveLength(hkdf.numberOfTests);
    const failures: string[] = [];
    for (const t of all) {
      let okm: Buffer | undefined;
      try {
        okm = hkdfSha256(hex(t.ikm), hex(t.salt), hex(t.info), t.size);
      } catch (e) {
        if (!(e instanceof EnvelopeError)) failures.push(`${label(t)} untyped error`);
      }
      if (t.result === 'valid' && (okm === undefined || !okm.equals(hex(t.okm)))) failures.push(`${label(t)} valid failed`);
      if (t.result === 'invalid' && okm !== undefined) failures.push(`${label(t)} invalid accepted`);
    }
    expect(failures).toEqual([]);
  });
});
