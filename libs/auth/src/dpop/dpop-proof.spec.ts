import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createDpopProof, DpopError, MemoryReplayStore, verifyDpopProof } from './dpop-proof.js';

const URL_ = 'https://scheduler.example.test/scheduler/v1/leases/l1/heartbeat';

describe('DPoP-style node request proofs', () => {
  const code = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
      return 'ok';
    } catch (e) {
      return (e as DpopError).code;
    }
  };

  it('accepts a fresh proof bound to method, URL, token and key, once', async () => {
    const key = { ...(await generateKeyPair('ES256')), alg: 'ES256' as const };
    const jkt = await calculateJwkThumbprint(await exportJWK(key.publicKey));
    const store = new MemoryReplayStore();
    const proof = await createDpopProof(key, { method: 'post', url: `${URL_}?x=1`, accessToken: 'tok', jti: randomUUID() });
    const ok = await verifyDpopProof({ proof, method: 'POST', url: URL_, accessToken: 'tok', expectedJkt: jkt }, store);
    expect(ok.jkt).toBe(jkt);
    expect(await code(verifyDpopProof({ proof, method: 'POST', url: URL_, accessToken: 'tok', expectedJkt: jkt }, store))).toBe('proof_replayed');
  });

  it('rejects each kind of bad proof with its own code', async () => {
    const key = { ...(await generateKeyPair('ES256')), alg: 'ES256' as const };
    const other = { ...(await generateKeyPair('ES256')), alg: 'ES256' as const };
    const jkt = await calculateJwkThumbprint(await exportJWK(key.publicKey));
    const store = new MemoryReplayStore();
    const fresh = (over: Partial<Parameters<typeof createDpopProof>[1]> = {}, k = key) =>
      createDpopProof(k, { method: 'POST', url: URL_, jti: randomUUID(), ...over });
    const v = async (proof: string | undefined, over: Partial<Parameters<typeof verifyDpopProof>[0]> = {}) =>
      code(verifyDpopProof({ proof, method: 'POST', url: URL_, expectedJkt: jkt, ...over }, store));

    expect(await v(undefined)).toBe('proof_missing');
    expect(await v('garbage')).toBe('proof_malformed');
    expect(await v(await fresh({ method: 'GET' }))).toBe('proof_method_mismatch');
    expect(await v(await fresh({ url: 'https://evil.example.test/scheduler/v1/leases/l1/heartbeat' }))).toBe('proof_url_mismatch');
    expect(await v(await fresh({ now: new Date(Date.now() - 10 * 60_000) }))).toBe('proof_stale');
    expect(await v(await fresh({ accessToken: 'other' }), { accessToken: 'tok' })).toBe('proof_token_mismatch');
    expect(await v(await fresh({}, other))).toBe('proof_key_mismatch');
    const hs = await new SignJWT({ htm: 'POST', htu: URL_, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct' } })
      .sign(new Uint8Array(32));
    expect(await v(hs)).toBe('proof_alg_not_allowed');
    const [h, p] = (await fresh()).split('.');
    const forged = await fresh({}, other);
    expect(await v(`${h}.${p}.${forged.split('.')[2]}`)).toBe('proof_signature_invalid');
  });
});
