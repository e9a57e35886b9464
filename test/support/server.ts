import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, startServer, type RunningServer } from '@confide/platform';
import type { Type } from '@nestjs/common';
import type { DevCredentials } from '@confide/auth';
import { ALL_APPS, APP_MODULES } from '../../apps/server/src/all-in-one.js';
import { createPostgresTarget } from './databases.js';

/** Captures every JSON log line the server writes, so tests can assert on reasons and on what never appears. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  records(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface TestServer extends RunningServer {
  readonly logs: LogCapture;
  readonly dataDir: string;
  /** Gets a client-credentials access token from the embedded dev issuer. */
  token(clientId?: string): Promise<string>;
  stop(): Promise<void>;
}

export const ENGINEER_ACCOUNT: DevCredentials['serviceAccounts'][number] = {
  clientId: 'engineer-cli',
  clientSecret: 'engineer-secret-for-tests-only-0123456789',
  tenantId: 'acme',
  roles: ['data_engineer'],
};

export const SECOND_TENANT_ACCOUNT: DevCredentials['serviceAccounts'][number] = {
  clientId: 'globex-cli',
  clientSecret: 'globex-secret-for-tests-only-0123456789',
  tenantId: 'globex',
  roles: ['admin'],
};

/** Boots the real all-in-one server (real migrations, real dev OIDC issuer) on a free port. */
export async function startTestServer(
  db: 'postgres' | 'pglite' = 'postgres',
  env: Record<string, string> = {},
  extraModules?: ReadonlyArray<Type>,
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'confide-test-'));
  // PGlite lives under the data dir (as in embedded mode); Postgres gets a fresh database.
  const { target, drop } = db === 'postgres' ? await createPostgresTarget() : { target: { kind: 'pglite' as const }, drop: async () => {} };
  const logs = new LogCapture();
  // PORT=0 picks a free port, but the issuer URL must be known before listening: reserve one first.
  const port = await freePort();
  const fixed = loadConfig({
    CONFIDE_DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: 'info',
    ...(target.kind === 'postgres' ? { DATABASE_URL: target.url } : {}),
    ...env,
  });
  const server = await startServer({
    config: fixed,
    modules: [...ALL_APPS.map((a) => APP_MODULES[a]), ...(extraModules ?? [])],
    name: 'test',
    logDestination: logs,
    devServiceAccounts: [SECOND_TENANT_ACCOUNT, ENGINEER_ACCOUNT],
  });
  const creds = server.devIssuer!.credentials;
  return {
    ...server,
    logs,
    dataDir,
    token: async (clientId = 'confide-cli') => {
      const sa = creds.serviceAccounts.find((s) => s.clientId === clientId);
      if (!sa) throw new Error(`no service account ${clientId}`);
      const res = await fetch(`${creds.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${sa.clientId}:${sa.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      const body = (await res.json()) as { access_token?: string };
      if (!body.access_token) throw new Error(`token request failed: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    stop: async () => {
      await server.close();
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}
