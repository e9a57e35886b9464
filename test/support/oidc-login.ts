import { createHash, randomBytes } from 'node:crypto';

/**
 * Signs in through the dev issuer the way a browser would: authorization code + PKCE, following redirects and
 * keeping cookies by hand. Returns the token response (access token and ID token).
 */
export async function loginWithPassword(
  issuer: string,
  clientId: string,
  redirectUri: string,
  email: string,
  password: string,
): Promise<{ status: 'ok'; tokens: { access_token: string; id_token: string } } | { status: 'denied'; httpStatus: number }> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const jar = new Map<string, string>();
  const remember = (res: Response): void => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = pair!.split('=');
      if (k) jar.set(k.trim(), v ?? '');
    }
  };
  const cookie = (): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const go = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: cookie() } });
    remember(res);
    return res;
  };

  const auth = new URL(`${issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid email profile',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    resource: 'urn:confide:api',
  }).toString();
  let res = await go(auth.href);
  const interaction = new URL(res.headers.get('location')!, issuer).href;
  res = await go(interaction);
  if (res.status !== 200) throw new Error(`login page answered ${res.status}`);
  res = await go(interaction, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email, password }).toString() });
  if (res.status === 401) return { status: 'denied', httpStatus: 401 };
  // login -> /auth/:uid -> consent interaction -> /auth/:uid -> redirect_uri?code=
  let location = res.headers.get('location');
  for (let hops = 0; hops < 8 && location && !location.startsWith(redirectUri); hops++) {
    res = await go(new URL(location, issuer).href);
    location = res.headers.get('location');
  }
  if (!location?.startsWith(redirectUri)) throw new Error(`no code: stopped at ${res.status} ${location}`);
  const code = new URL(location).searchParams.get('code');
  const tokenRes = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier, resource: 'urn:confide:api' }).toString(),
  });
  const tokens = (await tokenRes.json()) as { access_token: string; id_token: string };
  if (!tokens.access_token) throw new Error(`token exchange failed: ${JSON.stringify(tokens)}`);
  return { status: 'ok', tokens };
}
