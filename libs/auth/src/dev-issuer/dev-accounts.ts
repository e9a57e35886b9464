import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Role } from '@confide/domain';

/**
 * Seeded identities of the embedded development issuer. Generated once per data dir and kept in a 0600 file so
 * `npm start` can print them and the CLI on the same machine can use the service account by itself.
 */
export interface DevUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly password: string;
  readonly tenantId: string;
  readonly roles: readonly Role[];
}

export interface DevServiceAccount {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tenantId: string;
  readonly roles: readonly Role[];
}

export interface DevCredentials {
  readonly issuer: string;
  readonly audience: string;
  readonly users: readonly DevUser[];
  readonly serviceAccounts: readonly DevServiceAccount[];
  /** Public client of the web console (authorization code + PKCE). */
  readonly consoleClientId: string;
}

export const DEV_TENANT = 'acme';

export function loadOrCreateDevCredentials(path: string, issuer: string, audience: string): DevCredentials {
  if (existsSync(path)) {
    const c = JSON.parse(readFileSync(path, 'utf8')) as DevCredentials;
    if (c.issuer === issuer && c.audience === audience) return c;
    // The issuer URL moved (another port): keep the secrets, update where they are valid.
    const moved = { ...c, issuer, audience };
    writeFileSync(path, JSON.stringify(moved, null, 2), { mode: 0o600 });
    return moved;
  }
  const password = randomBytes(9).toString('base64url');
  const creds: DevCredentials = {
    issuer,
    audience,
    consoleClientId: 'confide-console',
    users: [
      { id: 'u-admin', email: 'admin@confide.local', name: 'Ada Admin', password, tenantId: DEV_TENANT, roles: ['admin'] },
      { id: 'u-engineer', email: 'engineer@confide.local', name: 'Dana Engineer', password, tenantId: DEV_TENANT, roles: ['data_engineer'] },
      { id: 'u-auditor', email: 'auditor@confide.local', name: 'Alex Auditor', password, tenantId: DEV_TENANT, roles: ['auditor'] },
      { id: 'u-operator', email: 'operator@confide.local', name: 'Nico Operator', password, tenantId: DEV_TENANT, roles: ['node_operator'] },
    ],
    serviceAccounts: [
      { clientId: 'confide-cli', clientSecret: randomBytes(24).toString('base64url'), tenantId: DEV_TENANT, roles: ['admin'] },
    ],
  };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(creds, null, 2), { mode: 0o600, flag: 'wx' });
  return creds;
}

/** Constant-time password check (hash first so lengths never leak). */
export function passwordMatches(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
