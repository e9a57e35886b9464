import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { beforeAll, describe, expect, it } from '@jest/globals';

import { WebCryptoProvider } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import { certificatesFromPemOrDer } from '../common/index.js';
import { NVIDIA_DEVICE_IDENTITY_ROOT_PEM } from '../nvidia/nvidia-trust-anchors.js';
import { AWS_NITRO_ENCLAVES_ROOT_G1_PEM, AWS_NITRO_ENCLAVES_ROOT_G1_SHA256 } from './aws-nitro-trust-anchors.js';
import { CborMap, encodeCbor, type CborValue } from './cbor.js';
import { NitroVerifier, type NitroVerifyOptions } from './nitro.verifier.js';
import { coseSign1, FakeNitroPki, generateP384, payloadOf, signSign1, withField } from './testing/fake-nitro-pki.js';

const FIXTURES = new URL('../../../../test/fixtures/attestation/', import.meta.url);
const ROOTS = new URL('../../../../attestation/roots/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const PROD = fixture('nitro-blocky-attestation-doc.cbor');
const DEBUG = fixture('nitro-blocky-attestation-doc-debug.cbor');
const PROD_AT = new Date('2024-09-07T14:37:39.545Z');
const DEBUG_AT = new Date('2024-09-07T14:38:06.508Z');
const ZERO48 = '00'.repeat(48);
const ONES_1024 = '01'.repeat(1024);

const verifier = new NitroVerifier({ crypto: new WebCryptoProvider() });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof AttestationError) return error.code;
    throw error;
  }
}
const run = (doc: Uint8Array, options: Partial<NitroVerifyOptions> = {}, v = verifier): Promise<string> => codeOf(v.verify(doc, { at: PROD_AT, ...options }));

/** Where the parts of the real document sit in its bytes (found, not hard-coded). */
function layout(doc: Uint8Array) {
  const buf = Buffer.from(doc);
  const payload = payloadOf(doc);
  const at = (bytes: Uint8Array): { start: number; end: number } => {
    const start = buf.indexOf(Buffer.from(bytes));
    expect(start).toBeGreaterThan(0);
    return { start, end: start + bytes.length };
  };
  const cabundle = payload.get('cabundle') as Uint8Array[];
  const payloadBytes = encodeCbor(payload);
  return {
    protectedHeader: { start: 2, end: 6 },
    payload: at(payloadBytes),
    certificate: at(payload.get('certificate') as Uint8Array),
    cabundle: cabundle.map(at),
    userData: at(payload.get('user_data') as Uint8Array),
    signature: { start: doc.length - 96, end: doc.length },
  };
}

function flipped(doc: Uint8Array, offset: number, bit = 0): Uint8Array {
  const out = doc.slice();
  out[offset]! ^= 1 << bit;
  return out;
}

describe('NitroVerifier on the real blocky/nitrite attestation documents', () => {
  it('the production document verifies at 2024-09-07T14:37:39.545Z with the fields SOURCES.md lists', async () => {
    const v = await verifier.verifyDocument(PROD, { at: PROD_AT });
    const d = v.document;
    expect(d.moduleId).toBe('i-0a22e5c5f24d22174-enc0191cceb4289903f');
    expect(d.digest).toBe('SHA384');
    expect(d.timestamp).toBe(1725719859545);
    expect(new Date(d.timestamp).toISOString()).toBe('2024-09-07T14:37:39.545Z');
    expect([...d.pcrs.keys()]).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(d.pcrs.get(0)).toBe('e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a27aa94ae3949dd54e7c9fe86a');
    expect(d.pcrs.get(1)).toBe('0343b056cd8485ca7890ddd833476d78460aed2aa161548e4e26bedf321726696257d623e8805f3f605946b3d8b0c6aa');
    expect(d.pcrs.get(2)).toBe('d5dcbdea0aa39c802f9d55ced2ea6e4d74ecec5f08fe40c508882639c9090642669106a062a3e24ee2805a3024b9b75c');
    expect(d.pcrs.get(4)).toBe('45706d7b621e4620a332e147a5ddb000b049f73d47d3e61f6b03d2069152d4df6a4a786ad1c10102b955799a9dc96b44');
    expect([d.pcrs.get(3), d.pcrs.get(8)]).toEqual([ZERO48, ZERO48]);
    for (const field of [d.publicKey, d.userData, d.nonce]) expect(Buffer.from(field!).toString('hex')).toBe(ONES_1024);
    expect(d.cabundle).toHaveLength(4);
    expect(v.chain).toEqual([
      'i-0a22e5c5f24d22174-enc0191cceb4289903f.us-east-1.aws',
      'i-0a22e5c5f24d22174.us-east-1.aws.nitro-enclaves',
      '68a8a693dd2153f6.zonal.us-east-1.aws.nitro-enclaves',
      'ec28cbbaae08094d.us-east-1.aws.nitro-enclaves',
      'aws.nitro-enclaves',
    ]);
    expect(v.debug).toBe(false);
  });

  it('exposes the common claims: measurement = PCR0, report data = user_data, PCRs and the rest in details', async () => {
    const claims = await verifier.verify(PROD, { at: PROD_AT });
    expect(claims).toMatchObject({
      format: 'aws-nitro',
      teeType: 'aws-nitro',
      simulated: false,
      debug: false,
      measurement: 'e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a27aa94ae3949dd54e7c9fe86a',
      reportData: ONES_1024,
      tcb: { digest: 'SHA384' },
      details: {
        moduleId: 'i-0a22e5c5f24d22174-enc0191cceb4289903f',
        timestamp: 1725719859545,
        signedAt: '2024-09-07T14:37:39.545Z',
        publicKey: ONES_1024,
        userData: ONES_1024,
        nonce: ONES_1024,
      },
    });
    expect(Object.keys(claims.details.pcrs as object)).toHaveLength(16);
    expect((claims.details.pcrs as Record<string, string>)['2']).toBe('d5dcbdea0aa39c802f9d55ced2ea6e4d74ecec5f08fe40c508882639c9090642669106a062a3e24ee2805a3024b9b75c');
  });

  it('the debug document verifies at 2024-09-07T14:38:06.508Z and is reported as debug (PCR0, PCR1, PCR2 zeros)', async () => {
    const v = await verifier.verifyDocument(DEBUG, { at: DEBUG_AT });
    expect(v.debug).toBe(true);
    expect(v.document.moduleId).toBe('i-0a22e5c5f24d22174-enc0191ccebaf8feaba');
    expect([0, 1, 2].map((i) => v.document.pcrs.get(i))).toEqual([ZERO48, ZERO48, ZERO48]);
    const claims = await verifier.verify(DEBUG, { at: DEBUG_AT });
    expect([claims.debug, claims.measurement]).toEqual([true, ZERO48]);
  });

  it('the tag-18 (tagged COSE_Sign1) form of the same bytes verifies too; another tag does not', async () => {
    expect(await run(new Uint8Array([0xd2, ...PROD]))).toBe('ok');
    expect(await run(new Uint8Array([0xd1, ...PROD]))).toBe('evidence_malformed'); // 17 = COSE_Mac0
  });

  it('report data and nonce bindings: user_data and nonce must equal the expected bytes exactly', async () => {
    const ones = (n: number): Uint8Array => new Uint8Array(n).fill(1);
    expect(await run(PROD, { expectedReportData: ones(1024) })).toBe('ok');
    expect(await run(PROD, { expectedReportData: ones(64) })).toBe('report_data_mismatch');
    expect(await run(PROD, { expectedReportData: new Uint8Array(1024) })).toBe('report_data_mismatch');
    expect(await run(PROD, { expectedNonce: ones(1024) })).toBe('ok');
    expect(await run(PROD, { expectedNonce: ones(1023) })).toBe('nonce_mismatch');
  });
});

describe('NitroVerifier: time, keys and roots', () => {
  it('outside the enclave certificate validity (14:37:36 → 17:37:39, three hours) → not_yet_valid / expired', async () => {
    expect(await run(PROD, { at: new Date('2024-09-07T14:37:30Z') })).toBe('certificate_not_yet_valid');
    expect(await run(PROD, { at: new Date('2024-09-07T17:37:40Z') })).toBe('certificate_expired');
    expect(await run(PROD, { at: new Date('2024-09-07T17:37:38Z') })).toBe('ok');
    expect(await run(PROD, { at: new Date('2026-12-01T00:00:00Z') })).toBe('certificate_expired');
  });

  it('the payload re-signed with a fresh P-384 key (the certificate left as it is) → signature_invalid', async () => {
    const keys = await generateP384();
    const { protectedHeader, payload } = layout(PROD);
    const protectedBytes = PROD.subarray(protectedHeader.start, protectedHeader.end);
    const payloadBytes = PROD.subarray(payload.start, payload.end);
    const resigned = coseSign1(protectedBytes, payloadBytes, await signSign1(protectedBytes, payloadBytes, keys.privateKey));
    expect(resigned.length).toBe(PROD.length);
    expect(Buffer.compare(resigned.subarray(0, -96), PROD.subarray(0, -96))).toBe(0);
    expect(await run(resigned)).toBe('signature_invalid');
  });

  it('a pinned root other than AWS Root-G1 → certificate_untrusted_root', async () => {
    const other = new NitroVerifier({ trustAnchorsPem: NVIDIA_DEVICE_IDENTITY_ROOT_PEM });
    expect(await run(PROD, {}, other)).toBe('certificate_untrusted_root');
  });

  describe('a self-made PKI shaped like AWS (same root name)', () => {
    let pki: FakeNitroPki;
    beforeAll(async () => {
      pki = await FakeNitroPki.create();
    });
    const at = new Date('2025-01-01T00:00:00Z');

    it('is refused by the default verifier (certificate_untrusted_root), and verifies only where it is pinned', async () => {
      const doc = await pki.document();
      expect(await run(doc, { at })).toBe('certificate_untrusted_root');
      const trusting = new NitroVerifier({ trustAnchorsPem: pki.rootPem });
      const claims = await trusting.verify(doc, { at });
      expect(claims).toMatchObject({ measurement: '11'.repeat(48), reportData: '', debug: false, details: { publicKey: null, userData: null, nonce: null } });
      // The real document does not chain to the self-made root of the same name either.
      expect(await run(PROD, {}, trusting)).toBe('certificate_untrusted_root');
    });

    it('real certificates with a self-made signature, or a self-made chain under the real root → refused', async () => {
      // The real enclave certificate and cabundle, signed by a key that is not the certificate's.
      const realPayload = payloadOf(PROD);
      const ownKey = withField(pki.payload(), 'certificate', realPayload.get('certificate'));
      expect(await run(await pki.document(withField(ownKey, 'cabundle', realPayload.get('cabundle'))))).toBe('signature_invalid');
      // A self-made enclave certificate presented under the real cabundle: its issuer is not the real zonal CA.
      expect(await run(await pki.document(withField(pki.payload(), 'cabundle', realPayload.get('cabundle'))))).toBe('certificate_chain_incomplete');
    });

    it('cabundle must start with the root and list the chain in order', async () => {
      const trusting = new NitroVerifier({ trustAnchorsPem: pki.rootPem });
      const [root, intermediate] = [new Uint8Array(pki.root.rawData), new Uint8Array(pki.intermediate.rawData)];
      const doc = (cabundle: CborValue[]): Promise<Uint8Array> => pki.document(withField(pki.payload(), 'cabundle', cabundle));
      expect(await run(await doc([root, intermediate]), { at }, trusting)).toBe('ok');
      expect(await run(await doc([intermediate]), { at }, trusting)).toBe('certificate_chain_invalid'); // root left out
      expect(await run(await doc([intermediate, root]), { at }, trusting)).toBe('certificate_chain_incomplete'); // reversed: the leaf's issuer is not where it must be
      expect(await run(await doc([root]), { at }, trusting)).toBe('certificate_chain_incomplete');
      expect(await run(await doc([root, intermediate, intermediate]), { at }, trusting)).toBe('certificate_chain_invalid');
    });

    it('an enclave certificate with a P-256 key (never ES384) → certificate_extension_mismatch', async () => {
      const p256 = await FakeNitroPki.create({ enclaveCurve: 'P-256' });
      const doc = encodeCbor([new Uint8Array([0xa1, 0x01, 0x38, 0x22]), new CborMap([]), encodeCbor(p256.payload()), new Uint8Array(96)]);
      expect(await run(doc, { at }, new NitroVerifier({ trustAnchorsPem: p256.rootPem }))).toBe('certificate_extension_mismatch');
    });
  });
});

describe('NitroVerifier: tampering with the real production document', () => {
  const parts = layout(PROD);

  it('every bit of the protected header flipped → refused (algorithm or structure), never accepted', async () => {
    const codes = new Set<string>();
    for (let offset = parts.protectedHeader.start; offset < parts.protectedHeader.end; offset++) {
      for (let bit = 0; bit < 8; bit++) codes.add(await run(flipped(PROD, offset, bit)));
    }
    expect([...codes].sort()).toEqual(['evidence_malformed', 'evidence_unsupported_version']);
    // The same header with a non-minimal encoding of -35 (signed bytes change, meaning does not) is refused too.
    const nonMinimal = await (await FakeNitroPki.create()).document(undefined, { protectedBytes: new Uint8Array([0xa1, 0x01, 0x39, 0x00, 0x22]) });
    expect(await run(nonMinimal, { at: new Date('2025-01-01T00:00:00Z') })).toBe('evidence_malformed');
  });

  it('flipped bits in signed payload values (PCRs, user_data, module_id, timestamp) → signature_invalid', async () => {
    const buf = Buffer.from(PROD);
    const pcr0 = buf.indexOf(Buffer.from('e72a46ca80a260fb', 'hex'));
    const moduleId = buf.indexOf(Buffer.from('i-0a22e5c5f24d22174-enc', 'latin1'));
    const timestamp = buf.indexOf(Buffer.from('1b00000191cceb5159', 'hex')); // 1725719859545 as a CBOR uint64
    expect(Math.min(pcr0, moduleId, timestamp)).toBeGreaterThan(0);
    for (const offset of [pcr0, pcr0 + 47, parts.userData.start, parts.userData.end - 1, moduleId + 3, timestamp + 8]) {
      expect(await run(flipped(PROD, offset))).toBe('signature_invalid');
    }
  });

  it('flipped bits in the signature → signature_invalid', async () => {
    for (const offset of [parts.signature.start, parts.signature.start + 47, parts.signature.start + 48, parts.signature.end - 1]) {
      expect(await run(flipped(PROD, offset))).toBe('signature_invalid');
    }
  });

  it('a flipped bit in a certificate signature, an intermediate key or the root → the chain is refused', async () => {
    const certTail = (r: { end: number }): number => r.end - 5; // inside the ECDSA signature value of that certificate
    expect(await run(flipped(PROD, certTail(parts.certificate)))).toBe('certificate_chain_invalid');
    for (const ca of parts.cabundle.slice(1)) expect(await run(flipped(PROD, certTail(ca)))).toBe('certificate_chain_invalid');
    const zonal = parts.cabundle[2]!;
    const zonalKey = Buffer.from(PROD).indexOf(Buffer.from('2b81040022', 'hex'), zonal.start) + 20; // inside its P-384 point
    expect(zonalKey).toBeLessThan(zonal.end);
    expect(await run(flipped(PROD, zonalKey))).toBe('certificate_chain_invalid');
    // The root's own signature: it no longer verifies against its key, so it is neither valid nor the pinned root.
    expect(await run(flipped(PROD, certTail(parts.cabundle[0]!)))).toBe('certificate_chain_invalid');
  });

  it('random single-byte changes anywhere never verify and never crash', async () => {
    let seed = 0x9e3779b9;
    const next = (): number => (seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0);
    const codes = new Set<string>();
    for (let i = 0; i < 250; i++) {
      const m = PROD.slice();
      const offset = next() % m.length;
      m[offset] = (m[offset]! + 1 + (next() % 255)) & 0xff;
      const code = await run(m);
      expect([offset, code]).not.toEqual([offset, 'ok']);
      codes.add(code);
    }
    expect(codes.has('signature_invalid')).toBe(true);
  });
});

describe('NitroVerifier: malformed documents → typed evidence_malformed naming the field', () => {
  let pki: FakeNitroPki;
  let trusting: NitroVerifier;
  const at = new Date('2025-01-01T00:00:00Z');
  beforeAll(async () => {
    pki = await FakeNitroPki.create();
    trusting = new NitroVerifier({ trustAnchorsPem: pki.rootPem });
  });
  async function failure(doc: Uint8Array): Promise<{ code: string; target?: string }> {
    try {
      await trusting.verify(doc, { at });
    } catch (e) {
      if (e instanceof AttestationError) return { code: e.code, ...(e.target ? { target: e.target } : {}) };
      throw e;
    }
    return { code: 'ok' };
  }
  const withPayload = async (field: string, value: CborValue | undefined): Promise<Uint8Array> => pki.document(withField(pki.payload(), field, value));

  it('truncated at any length, or with a trailing byte → evidence_malformed', async () => {
    for (let n = 0; n < PROD.length; n += 97) expect(await run(PROD.subarray(0, n))).toBe('evidence_malformed');
    expect(await run(PROD.subarray(0, PROD.length - 1))).toBe('evidence_malformed');
    expect(await run(new Uint8Array([...PROD, 0x00]))).toBe('evidence_malformed');
  });

  it('COSE structure: not an array, wrong arity, non-empty unprotected header, short signature, detached payload', async () => {
    const body = payloadOf(await pki.document());
    const prot = new Uint8Array([0xa1, 0x01, 0x38, 0x22]);
    const sig = new Uint8Array(96);
    const cases: [CborValue, string][] = [
      [new CborMap([]), 'nitro'],
      [[prot, new CborMap([]), encodeCbor(body)], 'nitro'],
      [[prot, new CborMap([[4, new Uint8Array(1)]]), encodeCbor(body), sig], 'nitro.unprotected'],
      [[prot, new CborMap([]), encodeCbor(body), new Uint8Array(95)], 'nitro.signature'],
      [[prot, new CborMap([]), null, sig], 'nitro.payload'],
      [[new CborMap([[1, -35]]), new CborMap([]), encodeCbor(body), sig], 'nitro.protected'],
    ];
    for (const [value, target] of cases) expect(await failure(encodeCbor(value))).toEqual({ code: 'evidence_malformed', target });
    expect(await failure(await pki.document(undefined, { protectedBytes: encodeCbor(new CborMap([[1, -7]])) }))).toEqual({ code: 'evidence_unsupported_version', target: 'nitro.protected.alg' });
    expect(await failure(await pki.document(undefined, { protectedBytes: encodeCbor(new CborMap([[1, -35], [2, [1]]])) }))).toEqual({ code: 'evidence_unsupported_version', target: 'nitro.protected.crit' });
  });

  it('payload fields: missing, wrong type, wrong size, unknown, duplicate', async () => {
    const expectField = async (doc: Promise<Uint8Array>, target: string, code = 'evidence_malformed'): Promise<void> => {
      expect(await failure(await doc)).toEqual({ code, target });
    };
    await expectField(withPayload('module_id', undefined), 'nitro.payload.module_id');
    await expectField(withPayload('module_id', 42), 'nitro.payload.module_id');
    await expectField(withPayload('digest', 'SHA256'), 'nitro.payload.digest', 'evidence_unsupported_version');
    await expectField(withPayload('digest', new Uint8Array(6)), 'nitro.payload.digest');
    await expectField(withPayload('timestamp', '2025-01-01'), 'nitro.payload.timestamp');
    await expectField(withPayload('timestamp', -1), 'nitro.payload.timestamp');
    await expectField(withPayload('pcrs', [new Uint8Array(48)]), 'nitro.payload.pcrs');
    await expectField(withPayload('pcrs', new CborMap([])), 'nitro.payload.pcrs');
    await expectField(withPayload('pcrs', new CborMap([[0, new Uint8Array(32)]])), 'nitro.payload.pcrs.0');
    await expectField(withPayload('pcrs', new CborMap([['0', new Uint8Array(48)]])), 'nitro.payload.pcrs');
    await expectField(withPayload('pcrs', new CborMap([[32, new Uint8Array(48)]])), 'nitro.payload.pcrs');
    await expectField(withPayload('pcrs', new CborMap([[1, new Uint8Array(48)]])), 'nitro.payload.pcrs.0'); // PCR0 missing
    await expectField(withPayload('certificate', 'MIIC'), 'nitro.payload.certificate');
    await expectField(withPayload('certificate', new Uint8Array([0x30, 0x03, 0x02, 0x01])), 'nitro.payload.certificate');
    await expectField(withPayload('cabundle', []), 'nitro.payload.cabundle');
    await expectField(withPayload('cabundle', [new Uint8Array(pki.root.rawData), 'x']), 'nitro.payload.cabundle[1]');
    await expectField(withPayload('user_data', new Uint8Array(1025)), 'nitro.payload.user_data');
    await expectField(withPayload('nonce', 'abc'), 'nitro.payload.nonce');
    await expectField(withPayload('public_key', new Uint8Array(1025)), 'nitro.payload.public_key');
    await expectField(withPayload('extra', 1), 'nitro.payload.extra');
    // A duplicate key (the second module_id would win in a lax decoder).
    const dup = new CborMap([...pki.payload().entries, ['module_id', 'i-other']]);
    expect(await failure(await pki.document(dup))).toMatchObject({ code: 'evidence_malformed', target: 'nitro.payload.module_id' });
    // A payload that is not CBOR at all, or not a map.
    expect(await failure(await pki.document(new Uint8Array([0xff])))).toMatchObject({ code: 'evidence_malformed' });
    expect(await failure(await pki.document(encodeCbor([1, 2])))).toEqual({ code: 'evidence_malformed', target: 'nitro.payload' });
  });

  it('boundary sizes are accepted: 1024-byte optional fields, empty user_data, 32 PCRs, null optionals', async () => {
    const pcrs = new Map(Array.from({ length: 32 }, (_, i) => [i, new Uint8Array(48).fill(i)]));
    const doc = await pki.document(pki.payload({ pcrs, publicKey: new Uint8Array(1024), userData: new Uint8Array(0), nonce: null }));
    const claims = await trusting.verify(doc, { at });
    expect(claims).toMatchObject({ measurement: ZERO48, debug: true, reportData: '', details: { userData: '', nonce: null } });
    expect(Object.keys(claims.details.pcrs as object)).toHaveLength(32);
  });

  it('the 64-byte binding of DESIGN §5.3 in user_data is the report data (what composite evidence compares)', async () => {
    const binding = new Uint8Array(createHash('sha512').update('binding').digest());
    const doc = await pki.document(pki.payload({ userData: binding }));
    expect((await trusting.verify(doc, { at, expectedReportData: binding })).reportData).toBe(Buffer.from(binding).toString('hex'));
    expect(await failure(await pki.document(pki.payload({})))).toEqual({ code: 'ok' });
    expect(await codeOf(trusting.verify(await pki.document(pki.payload({})), { at, expectedReportData: binding }))).toBe('report_data_mismatch');
  });
});

describe('AWS Nitro Enclaves Root-G1 trust anchor', () => {
  it('is byte-identical to attestation/roots/aws and the fixture, with the published fingerprint', () => {
    const file = readFileSync(new URL('aws/nitro-enclaves-root-g1.pem', ROOTS), 'utf8');
    expect(AWS_NITRO_ENCLAVES_ROOT_G1_PEM).toBe(file);
    expect(readFileSync(new URL('aws-nitro-enclaves-root-g1.pem', FIXTURES), 'utf8')).toBe(file);
    const [der] = certificatesFromPemOrDer(AWS_NITRO_ENCLAVES_ROOT_G1_PEM);
    expect(createHash('sha256').update(der!).digest('hex')).toBe(AWS_NITRO_ENCLAVES_ROOT_G1_SHA256);
    expect(AWS_NITRO_ENCLAVES_ROOT_G1_SHA256).toBe('641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b');
  });

  it('is cabundle[0] of both real documents', () => {
    const [der] = certificatesFromPemOrDer(AWS_NITRO_ENCLAVES_ROOT_G1_PEM);
    for (const doc of [PROD, DEBUG]) {
      const [root] = payloadOf(doc).get('cabundle') as Uint8Array[];
      expect(Buffer.compare(Buffer.from(root!), Buffer.from(der!))).toBe(0);
    }
  });
});
