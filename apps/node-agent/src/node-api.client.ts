import { randomUUID } from 'node:crypto';
import { createDpopProof } from '@confide/auth';
import type { NodeIdentity } from './identity-key.js';

export class NodeApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`HTTP ${status} ${code}`);
  }
  get fenced(): boolean {
    return this.status === 409 && this.code === 'lease_fenced';
  }
}

/**
 * HTTP to the confide services as a node: the operator's bearer token plus a DPoP proof by the node identity key
 * on every request (htm, htu, iat, jti, ath), so the scheduler knows which registered node is calling.
 */
export class NodeApiClient {
  constructor(
    readonly base: string,
    private readonly token: () => Promise<string>,
    readonly identity: NodeIdentity,
  ) {}

  async json<T>(method: string, path: string, body?: unknown, o: { jti?: string } = {}): Promise<T> {
    const res = await this.send(method, path, body === undefined ? undefined : { type: 'application/json', data: JSON.stringify(body) }, o.jti);
    const text = await res.text();
    if (!res.ok) throw new NodeApiError(res.status, codeOf(text));
    return (text ? JSON.parse(text) : null) as T;
  }

  async bytes(method: string, path: string, body?: Uint8Array): Promise<Buffer> {
    const res = await this.send(method, path, body === undefined ? undefined : { type: 'application/octet-stream', data: body });
    const buf = Buffer.from(await res.arrayBuffer());
    if (!res.ok) throw new NodeApiError(res.status, codeOf(buf.toString('utf8')));
    return buf;
  }

  private async send(method: string, path: string, body: { type: string; data: string | Uint8Array } | undefined, jti: string = randomUUID()): Promise<Response> {
    const url = `${this.base}${path}`;
    const token = await this.token();
    const dpop = await createDpopProof(this.identity, { method, url, accessToken: token, jti });
    return fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, dpop, ...(body ? { 'content-type': body.type } : {}) },
      ...(body ? { body: typeof body.data === 'string' ? body.data : new Uint8Array(body.data) } : {}),
      signal: AbortSignal.timeout(120_000),
    });
  }
}

function codeOf(text: string): string {
  try {
    const p = JSON.parse(text) as { code?: string };
    return typeof p.code === 'string' ? p.code : 'error';
  } catch {
    return 'error';
  }
}
