import type { Command } from 'commander';
import { CliError, EXIT } from '../cli-context.js';

const APPS = ['all', 'enterprise', 'scheduler', 'attestation'] as const;

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Start the confide server: all three apps in one process on embedded defaults, or one app with --app')
    .option('--app <name>', `which app to run: ${APPS.join(', ')}`, 'all')
    .action(async (opts: { app: string }) => {
      if (!(APPS as readonly string[]).includes(opts.app)) throw new CliError(`--app must be one of ${APPS.join(', ')}`, EXIT.usage);
      const { runApp } = await import('@confide/platform');
      const { ALL_APPS, APP_MODULES } = await import('../../../server/src/all-in-one.js');
      const apps = opts.app === 'all' ? ALL_APPS : ALL_APPS.filter((a) => a === opts.app);
      await runApp(opts.app === 'all' ? 'all-in-one' : opts.app, apps.map((a) => APP_MODULES[a]));
    });
}
