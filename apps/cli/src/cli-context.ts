import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** Exit codes of every command: 0 success, 1 the check or operation failed, 2 usage or unreadable input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
  }
}

export interface CliEnv {
  readonly url: string;
  readonly dataDir: string;
  readonly issuer?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly audience: string;
}

export function cliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  const url = (env.CONFIDE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
  try {
    new URL(url);
  } catch {
    throw new CliError(`CONFIDE_URL is not a URL: ${url}`, EXIT.usage);
  }
  const dir = env.CONFIDE_DATA_DIR ?? '.confide';
  return {
    url,
    dataDir: isAbsolute(dir) ? dir : resolve(process.cwd(), dir),
    ...(env.OIDC_ISSUER ? { issuer: env.OIDC_ISSUER } : {}),
    ...(env.OIDC_CLIENT_ID ? { clientId: env.OIDC_CLIENT_ID } : {}),
    ...(env.OIDC_CLIENT_SECRET ? { clientSecret: env.OIDC_CLIENT_SECRET } : {}),
    audience: env.OIDC_AUDIENCE ?? 'urn:confide:api',
  };
}

interface DevCredentialsFile {
  issuer: string;
  audience: string;
  serviceAccounts: Array<{ clientId: string; clientSecret: string }>;
}

/** Token for the API: client credentials from the environment (real IdP) or the embedded dev issuer's service account. */
export async function fetchToken(env: CliEnv): Promise<{ access_token: string; expires_in?: number; token_type: string; issuer: string }> {
  let issuer: string;
  let clientId: string;
  let clientSecret: string;
  let audience = env.audience;
  if (env.issuer) {
    if (!env.clientId || !env.clientSecret) throw new CliError('OIDC_ISSUER is set: also set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET', EXIT.usage);
    issuer = env.issuer;
    clientId = env.clientId;
    clientSecret = env.clientSecret;
  } else {
    const file = join(env.dataDir, 'keys', 'dev-credentials.json');
    if (!existsSync(file)) {
      throw new CliError(`no dev credentials at ${file}: start the server with \`npm start\` in this folder, or set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET`, EXIT.failed);
    }
    const creds = JSON.parse(readFileSync(file, 'utf8')) as DevCredentialsFile;
    const sa = creds.serviceAccounts[0];
    if (!sa) throw new CliError(`${file} has no service account`);
    // The dev issuer lives on the server we talk to.
    issuer = `${env.url}/oidc`;
    clientId = env.clientId ?? sa.clientId;
    clientSecret = env.clientSecret ?? sa.clientSecret;
    audience = creds.audience;
  }
  const tokenEndpoint = await discoverTokenEndpoint(issuer);
  const res = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: audience, audience }).toString(),
    signal: AbortSignal.timeout(15_000),
  }).catch((e: unknown) => {
    throw new CliError(`cannot reach the token endpoint ${tokenEndpoint}: ${(e as Error).message}`);
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; token_type?: string; error?: string; error_description?: string };
  if (!res.ok || !body.access_token) throw new CliError(`token request refused: ${body.error ?? res.status} ${body.error_description ?? ''}`.trim());
  return { access_token: body.access_token, token_type: body.token_type ?? 'Bearer', issuer, ...(body.expires_in ? { expires_in: body.expires_in } : {}) };
}

async function discoverTokenEndpoint(issuer: string): Promise<string> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => {
    throw new CliError(`cannot reach the issuer ${issuer}: ${(e as Error).message} (is the server running? CONFIDE_URL=${issuer})`);
  });
  if (!res.ok) throw new CliError(`issuer metadata at ${issuer} answered ${res.status}`);
  const meta = (await res.json()) as { token_endpoint?: string };
  if (!meta.token_endpoint) throw new CliError(`issuer ${issuer} has no token endpoint`);
  return meta.token_endpoint;
}

/** Authenticated JSON API calls; problems become CliErrors with the server's message and request id. */
export class ApiClient {
  private token?: string;
  constructor(private readonly env: CliEnv) {}

  async get<T>(path: string): Promise<T> {
    this.token ??= (await fetchToken(this.env)).access_token;
    const res = await fetch(`${this.env.url}${path}`, { headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' }, signal: AbortSignal.timeout(60_000) }).catch(
      (e: unknown) => {
        throw new CliError(`cannot reach ${this.env.url}: ${(e as Error).message}`);
      },
    );
    if (!res.ok) {
      const p = (await res.json().catch(() => ({}))) as { detail?: string; title?: string; requestId?: string };
      throw new CliError(`${path}: ${res.status} ${p.detail ?? p.title ?? ''}${p.requestId ? ` (request ${p.requestId})` : ''}`);
    }
    return (await res.json()) as T;
  }
}
