import { randomUUID } from 'node:crypto';
import { createDpopProof } from '@confide/auth';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey } from 'jose';

/** A test node agent: an identity key pair and DPoP-signed JSON calls to the scheduler. */
export class NodeClient {
  id = '';
  private constructor(
    readonly base: string,
    readonly token: string,
    readonly key: { privateKey: CryptoKey; publicKey: CryptoKey; alg: 'ES256' },
    readonly jwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string },
    readonly jkt: string,
  ) {}

  static async create(base: string, token: string): Promise<NodeClient> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = (await exportJWK(publicKey)) as { kty: 'EC'; crv: 'P-256'; x: string; y: string };
    return new NodeClient(base, token, { privateKey, publicKey, alg: 'ES256' }, { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, await calculateJwkThumbprint(jwk, 'sha256'));
  }

  async call(method: string, path: string, body?: unknown, o: { jti?: string; proof?: string } = {}): Promise<{ status: number; body: any }> {
    const url = `${this.base}${path}`;
    const proof = o.proof ?? (await createDpopProof(this.key, { method, url, accessToken: this.token, jti: o.jti ?? randomUUID() }));
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${this.token}`, dpop: proof, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  heartbeat(leases: Array<{ id: string; epoch: number; phase?: string }> = []) {
    return this.call('POST', `/scheduler/v1/nodes/${this.id}/heartbeat`, { leases });
  }

  complete(leaseId: string, body: unknown) {
    return this.call('POST', `/scheduler/v1/nodes/${this.id}/leases/${leaseId}/complete`, body);
  }
}
