import { readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';
import { Crypto as PeculiarCrypto } from '@peculiar/webcrypto';

import { concatBytes, fromHex, toHex } from './bytes.js';
import { CryptoError } from './crypto.error.js';
import type { EcCurve, HashAlgorithm } from './crypto-provider.js';
import { ecdsaDerToP1363, ecdsaP1363ToDer, littleEndianToFixedBigEndian } from './ecdsa-signature.js';
import { AES_GCM_MAX_IV_BYTES, WebCryptoProvider } from './webcrypto.provider.js';

const FIXTURES = new URL('../../../test/fixtures/wycheproof/', import.meta.url);

interface WycheproofTest {
  readonly tcId: number;
  readonly flags: readonly string[];
  readonly result: 'valid' | 'invalid' | 'acceptable';
  readonly [field: string]: unknown;
}
interface WycheproofFile {
  readonly numberOfTests: number;
  readonly testGroups: readonly ({ readonly tests: readonly WycheproofTest[] } & Record<string, unknown>)[];
}

function load(name: string): WycheproofFile {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as WycheproofFile;
}

const provider = new WebCryptoProvider();
const defaultProvider = provider;

/**
 * Runs every vector: `valid` must be accepted, `invalid` rejected (false or a thrown error). No file here has
 * `acceptable` vectors; if one appears it must be listed in `acceptablePolicy` with what we do. Returns the list of
 * mismatches so a failure names the tcId and flags.
 */
async function runAll(
  file: WycheproofFile,
  check: (group: Record<string, unknown>, test: WycheproofTest) => Promise<boolean>,
  acceptablePolicy: Readonly<Record<string, boolean>> = {},
  /** Documented deviations: valid vectors the provider refuses on purpose (each one counted and asserted). */
  refusedOnPurpose: (test: WycheproofTest) => boolean = () => false,
): Promise<{ mismatches: string[]; count: number; refused: number }> {
  const mismatches: string[] = [];
  let count = 0;
  let refused = 0;
  for (const group of file.testGroups) {
    for (const test of group.tests) {
      count++;
      if (refusedOnPurpose(test)) {
        refused++;
        await expect(check(group, test)).rejects.toMatchObject({ code: 'parameter_invalid' });
        continue;
      }
      let accepted: boolean;
      try {
        accepted = await check(group, test);
      } catch (error) {
        if (!(error instanceof CryptoError) && !(error instanceof Error)) throw error;
        accepted = false;
      }
      const expected =
        test.result === 'acceptable'
          ? acceptablePolicy[test.flags.find((f) => f in acceptablePolicy) ?? '']
          : test.result === 'valid';
      if (expected === undefined) mismatches.push(`tcId ${test.tcId}: acceptable without a documented policy`);
      else if (accepted !== expected) mismatches.push(`tcId ${test.tcId} [${test.flags.join(',')}] expected ${test.result}`);
    }
  }
  return { mismatches, count, refused };
}

const hex = (v: unknown): Uint8Array => fromHex(String(v));

describe('WebCryptoProvider against Wycheproof', () => {
  const ecdsaFiles: readonly [string, EcCurve, HashAlgorithm, 'der' | 'p1363'][] = [
    ['ecdsa_secp256r1_sha256_test.json', 'P-256', 'SHA-256', 'der'],
    ['ecdsa_secp256r1_sha256_p1363_test.json', 'P-256', 'SHA-256', 'p1363'],
    ['ecdsa_secp384r1_sha384_test.json', 'P-384', 'SHA-384', 'der'],
    ['ecdsa_secp384r1_sha384_p1363_test.json', 'P-384', 'SHA-384', 'p1363'],
  ];
  // Both the native public-key path (default) and the pure WebCrypto path must give the same verdicts.
  const webcryptoOnly = new WebCryptoProvider(new PeculiarCrypto() as unknown as Crypto, { nativePublicKeyOps: false });
  const ecdsaRuns = ecdsaFiles.flatMap(([n, c, h, f]) => [
    [n, c, h, f, 'native'] as const,
    [n, c, h, f, 'webcrypto'] as const,
  ]);
  it.each(ecdsaRuns)('ECDSA %s %s %s %s (%s path)', async (name, curve, hash, format, path) => {
    const file = load(name);
    const p = path === 'native' ? provider : webcryptoOnly;
    const { mismatches, count } = await runAll(file, (group, test) => {
      const key = group.publicKey as { uncompressed: string };
      return p.verifyEcdsa({
        curve,
        hash,
        publicKey: test.tcId % 2 === 0 ? { point: hex(key.uncompressed) } : { spki: hex(group.publicKeyDer) },
        signature: hex(test.sig),
        signatureFormat: format,
        data: hex(test.msg),
      });
    });
    expect(count).toBe(file.numberOfTests);
    expect(mismatches).toEqual([]);
  });

  it.each([
    ['ecdh_secp256r1_webcrypto_test.json', 'P-256'],
    ['ecdh_secp384r1_webcrypto_test.json', 'P-384'],
  ] as const)('ECDH public keys %s: the native check (ecdhEphemeral, TEE keys) accepts exactly the keys WebCrypto agrees with', async (name, curve) => {
    const file = load(name);
    let refused = 0;
    const mismatches: number[] = [];
    for (const group of file.testGroups) {
      for (const test of group.tests) {
        const jwk = test.public as JsonWebKey;
        const native = await provider.checkEcPublicKey(curve, { jwk }).then(
          () => true,
          () => false,
        );
        // The WebCrypto path only notices some bad points when it derives, so it is asked for the whole agreement.
        const webcrypto = await webcryptoOnly
          .importEcdhPrivateKey(test.private as JsonWebKey)
          .then((priv) => webcryptoOnly.deriveEcdhSecret(priv, { jwk }))
          .then(
            () => true,
            () => false,
          );
        if (native !== webcrypto || (test.result === 'valid' && !native)) mismatches.push(test.tcId);
        if (!native) refused++;
      }
    }
    expect(mismatches).toEqual([]);
    expect(refused).toBeGreaterThan(0);
  });

  it.each([
    ['ecdh_secp256r1_webcrypto_test.json'],
    ['ecdh_secp384r1_webcrypto_test.json'],
  ])('ECDH %s', async (name) => {
    const file = load(name);
    const { mismatches, count } = await runAll(file, async (_group, test) => {
      const priv = await provider.importEcdhPrivateKey(test.private as JsonWebKey);
      const shared = await provider.deriveEcdhSecret(priv, { jwk: test.public as JsonWebKey });
      return toHex(shared) === test.shared;
    });
    expect(count).toBe(file.numberOfTests);
    expect(mismatches).toEqual([]);
  });

  it.each([
    ['rsa_pss_4096_sha384_mgf1_48_test.json'],
    ['rsa_pss_2048_sha256_mgf1_32_test.json'],
  ])('RSA-PSS %s', async (name) => {
    const file = load(name);
    const { mismatches, count } = await runAll(file, (group, test) => {
      expect(group.mgf).toBe('MGF1');
      expect(group.mgfSha).toBe(group.sha);
      return provider.verifyRsaPss({
        hash: group.sha as HashAlgorithm,
        saltLength: Number(group.sLen),
        publicKeySpki: hex(group.publicKeyDer),
        signature: hex(test.sig),
        data: hex(test.msg),
      });
    });
    expect(count).toBe(file.numberOfTests);
    expect(mismatches).toEqual([]);
  });

  it.each(['native', 'webcrypto'] as const)('AES-GCM (%s sealing path): decrypts every valid vector, encrypts to the same bytes, rejects every invalid one', async (path) => {
    const file = load('aes_gcm_test.json');
    const provider = path === 'native' ? defaultProvider : webcryptoOnly;
    // Deviation: the 3 valid LongIv vectors with 257-byte IVs exceed what OpenSSL 3 accepts; the provider refuses
    // them with parameter_invalid instead of failing later. confide only ever generates 96-bit IVs.
    const { mismatches, count, refused } = await runAll(file, async (group, test) => {
      const request = { key: hex(test.key), iv: hex(test.iv), additionalData: hex(test.aad), tagLength: Number(group.tagSize) };
      const sealed = concatBytes(hex(test.ct), hex(test.tag));
      const opened = await provider.aesGcmDecrypt({ ...request, ciphertext: sealed });
      if (toHex(opened) !== test.msg) return false;
      const resealed = await provider.aesGcmEncrypt({ ...request, plaintext: hex(test.msg) });
      return toHex(resealed) === toHex(sealed);
    }, {}, (test) => String(test.iv).length / 2 > AES_GCM_MAX_IV_BYTES);
    expect(refused).toBe(3);
    expect(count).toBe(file.numberOfTests);
    expect(mismatches).toEqual([]);
  });

  it.each([
    ['hkdf_sha256_test.json', 'SHA-256'],
    ['hkdf_sha384_test.json', 'SHA-384'],
  ] as const)('HKDF %s', async (name, hash) => {
    const file = load(name);
    const { mismatches, count } = await runAll(file, async (_group, test) => {
      const okm = await provider.hkdf({ hash, ikm: hex(test.ikm), salt: hex(test.salt), info: hex(test.info), length: Number(test.size) });
      return toHex(okm) === test.okm;
    });
    expect(count).toBe(file.numberOfTests);
    expect(mismatches).toEqual([]);
  });

  it('HMAC-SHA256 (truncated tags compared by prefix)', async () => {
    const file = load('hmac_sha256_test.json');
    const { mismatches, count } = await runAll(file, async (group, test) => {
      const tag = await provider.hmac('SHA-256', hex(test.key), hex(test.msg));
      return toHex(tag.subarray(0, Number(group.tagSize) / 8)) === test.tag;
    });
    expect(count).toBe(file.numberOfTests);
    expect(mismatches).toEqual([]);
  });
});

describe('WebCryptoProvider behaviour', () => {
  const webcryptoPath = new WebCryptoProvider(new PeculiarCrypto() as unknown as Crypto, { nativePublicKeyOps: false });
  it('native path: refuses a key on another curve, an off-curve point and a bad JWK as key_invalid', async () => {
    const { generateKeyPairSync, sign } = await import('node:crypto');
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    const data = new TextEncoder().encode('confide');
    const signature = new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    const req = { curve: 'P-256', hash: 'SHA-256', signature, signatureFormat: 'p1363', data } as const;
    await expect(provider.verifyEcdsa({ ...req, publicKey: { spki } })).resolves.toBe(true);
    const jwk = publicKey.export({ format: 'jwk' });
    await expect(provider.verifyEcdsa({ ...req, publicKey: { jwk } })).resolves.toBe(true);
    await expect(provider.verifyEcdsa({ ...req, curve: 'P-384', hash: 'SHA-384', publicKey: { spki } })).rejects.toMatchObject({ code: 'key_invalid' });
    const point = spki.slice(-65);
    point[64]! ^= 1; // y no longer on the curve
    await expect(provider.verifyEcdsa({ ...req, publicKey: { point } })).rejects.toMatchObject({ code: 'key_invalid' });
    await expect(provider.verifyEcdsa({ ...req, publicKey: { jwk: { ...jwk, x: 'AA' } } })).rejects.toMatchObject({ code: 'key_invalid' });
    const flipped = signature.slice();
    flipped[5]! ^= 1;
    await expect(provider.verifyEcdsa({ ...req, signature: flipped, publicKey: { spki } })).resolves.toBe(false);
  });

  it('round-trips ECDH between two generated P-384 key pairs', async () => {
    const a = await provider.generateEcdhKeyPair('P-384');
    const b = await provider.generateEcdhKeyPair('P-384');
    const ab = await provider.deriveEcdhSecret(a.privateKey, { jwk: await provider.exportPublicJwk(b.publicKey) });
    const ba = await provider.deriveEcdhSecret(b.privateKey, { jwk: await provider.exportPublicJwk(a.publicKey) });
    expect(toHex(ab)).toBe(toHex(ba));
    expect(ab).toHaveLength(48);
  });

  it('AES-GCM: any flipped bit of ciphertext, tag, IV or AAD fails to decrypt', async () => {
    const key = provider.randomBytes(32);
    const iv = provider.randomBytes(12);
    const additionalData = new TextEncoder().encode('tenant-1/dataset-9/v1');
    const ct = await provider.aesGcmEncrypt({ key, iv, additionalData, plaintext: new TextEncoder().encode('hello') });
    for (const [field, bytes] of [['ct', ct], ['iv', iv], ['aad', additionalData]] as const) {
      for (let bit = 0; bit < bytes.length * 8; bit += 7) {
        const flipped = { ct: ct.slice(), iv: iv.slice(), aad: additionalData.slice() };
        flipped[field][bit >> 3]! ^= 1 << (bit & 7);
        await expect(
          provider.aesGcmDecrypt({ key, iv: flipped.iv, additionalData: flipped.aad, ciphertext: flipped.ct }),
        ).rejects.toMatchObject({ code: 'decryption_failed' });
      }
    }
  });

  it('rejects a non-canonical DER signature that encodes a valid (r, s)', () => {
    const canonical = fromHex('3006020101020101');
    expect(ecdsaDerToP1363(canonical, 'P-256')).not.toBeNull();
    expect(ecdsaDerToP1363(fromHex('308106020101020101'), 'P-256')).toBeNull(); // long-form length
    expect(ecdsaDerToP1363(fromHex('300702020001020101'), 'P-256')).toBeNull(); // padded integer
    expect(ecdsaDerToP1363(fromHex('300602010102010100'), 'P-256')).toBeNull(); // trailing byte
  });

  it('P1363 → DER is the exact inverse of the strict DER parser (leading zeros, high bits, both curves)', () => {
    for (const size of [32, 48]) {
      const curve = size === 32 ? 'P-256' : 'P-384';
      for (const [r0, s0, zeros] of [[0x7f, 0x80, 0], [0x80, 0x01, 0], [0x00, 0x00, 1], [0x00, 0xff, 3], [0x12, 0x00, 5]] as const) {
        const sig = new Uint8Array(2 * size).fill(0x5a);
        sig.fill(0, 0, zeros);
        sig[zeros] = r0 || 0x01;
        sig.fill(0, size, size + zeros);
        sig[size + zeros] = s0 || 0x01;
        const der = ecdsaP1363ToDer(sig);
        expect(toHex(ecdsaDerToP1363(der, curve)!)).toBe(toHex(sig));
      }
    }
  });

  it('AES-KW: RFC 3394 §4.1 and §4.6 vectors on the native and the WebCrypto path', async () => {
    const vectors = [
      ['000102030405060708090a0b0c0d0e0f', '00112233445566778899aabbccddeeff', '1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5'],
      [
        '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
        '00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f',
        '28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21',
      ],
    ] as const;
    for (const p of [provider, webcryptoPath]) {
      for (const [kek, key, wrapped] of vectors) expect(toHex(await p.aesKeyWrap(fromHex(kek), fromHex(key)))).toBe(wrapped);
      await expect(p.aesKeyWrap(new Uint8Array(15), new Uint8Array(16))).rejects.toMatchObject({ code: 'key_invalid' });
      await expect(p.aesKeyWrap(new Uint8Array(32), new Uint8Array(20))).rejects.toMatchObject({ code: 'parameter_invalid' });
    }
  });

  it('ecdhEphemeral: the peer derives the same secret from the returned public JWK; off-curve peers are refused', async () => {
    for (const p of [provider, webcryptoPath]) {
      for (const curve of ['P-256', 'P-384'] as const) {
        const peer = await provider.generateEcdhKeyPair(curve, true);
        const peerJwk = await provider.exportPublicJwk(peer.publicKey);
        const { publicJwk, secret } = await p.ecdhEphemeral(curve, { jwk: peerJwk });
        expect(Object.keys(publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
        expect(publicJwk.crv).toBe(curve);
        expect(toHex(await provider.deriveEcdhSecret(peer.privateKey, { jwk: publicJwk }))).toBe(toHex(secret));
        const offCurve = { ...peerJwk, y: peerJwk.x };
        await expect(p.ecdhEphemeral(curve, { jwk: offCurve })).rejects.toMatchObject({ code: 'key_invalid' });
      }
    }
  });

  it('converts little-endian r/s to big-endian and refuses values wider than the curve', () => {
    expect(toHex(littleEndianToFixedBigEndian(fromHex('0102000000'), 3)!)).toBe('000201');
    expect(littleEndianToFixedBigEndian(fromHex('01020304'), 3)).toBeNull();
  });

  it('never puts key material in error messages', async () => {
    const badPoint = new Uint8Array(97).fill(7);
    await expect(
      provider.verifyEcdsa({ curve: 'P-384', hash: 'SHA-384', publicKey: { point: badPoint }, signature: new Uint8Array(96), signatureFormat: 'p1363', data: new Uint8Array() }),
    ).rejects.toMatchObject({ code: 'key_invalid', message: 'P-384 public key could not be imported' });
  });
});
