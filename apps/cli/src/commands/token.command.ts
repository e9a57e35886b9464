import type { Command } from 'commander';
import { cliEnv, fetchToken } from '../cli-context.js';

export function registerToken(program: Command): void {
  program
    .command('token')
    .description('Print an access token: from the embedded dev issuer (service account), or from OIDC_ISSUER with OIDC_CLIENT_ID/OIDC_CLIENT_SECRET')
    .option('--json', 'print {access_token, token_type, expires_in, issuer} as JSON')
    .action(async (opts: { json?: boolean }) => {
      const t = await fetchToken(cliEnv());
      process.stdout.write(opts.json ? `${JSON.stringify(t)}\n` : `${t.access_token}\n`);
    });
}
