import type { DynamicModule, Type } from '@nestjs/common';
import { ConfigError, describeConfig, loadConfig } from '../config/app-config.js';
import { startServer, type RunningServer } from './server.js';

/**
 * Process entry for a confide server: loads config (exits with a readable message when it is wrong), starts the
 * apps, prints where they are and how to sign in, and shuts down cleanly on SIGINT/SIGTERM.
 */
export async function runApp(name: string, modules: ReadonlyArray<Type | DynamicModule>): Promise<RunningServer | undefined> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`confide: ${e.message}\n`);
      process.exitCode = 2;
      return undefined;
    }
    throw e;
  }
  const started = Date.now();
  const server = await startServer({ config, modules, name });
  process.stdout.write(banner(name, server, Date.now() - started));
  let closing = false;
  const stop = (signal: string): void => {
    if (closing) return;
    closing = true;
    server.logger.info({ signal }, 'shutting down');
    server
      .close()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return server;
}

function banner(name: string, s: RunningServer, ms: number): string {
  const d = describeConfig(s.config);
  const lines = [
    '',
    `confide ${name} is ready at ${s.url} (${d.mode} mode, ${d.database}) in ${(ms / 1000).toFixed(1)} s`,
    `  API docs:        ${s.url}/docs   (OpenAPI: ${s.url}/openapi.json)`,
    `  Health:          ${s.url}/health   ${s.url}/ready`,
  ];
  const dev = s.devIssuer?.credentials;
  if (dev) {
    const sa = dev.serviceAccounts[0];
    const [admin, ...others] = dev.users;
    lines.push(
      `  Dev issuer:      ${dev.issuer}   (development only; credentials in ${s.config.dataDir}/keys/dev-credentials.json)`,
      `  Sign in:         ${admin?.email} / ${admin?.password}   (same password: ${others.map((u) => u.email).join(', ')})`,
    );
    if (sa) {
      lines.push(
        `  Service account: client_id=${sa.clientId} client_secret=${sa.clientSecret} (role ${sa.roles.join(',')}, tenant ${sa.tenantId})`,
        `  Get a token:     npx confide token`,
        `                   curl -s -u ${sa.clientId}:${sa.clientSecret} -d grant_type=client_credentials ${dev.issuer}/token`,
      );
    }
  } else {
    lines.push(`  OIDC issuer:     ${d.oidcIssuer}`);
  }
  return `${lines.join('\n')}\n\n`;
}
