import { Command, CommanderError } from 'commander';
import { CliError, EXIT } from './cli-context.js';
import { registerAttest } from './commands/attest.command.js';
import { registerAudit } from './commands/audit.command.js';
import { registerDatasets } from './commands/datasets.command.js';
import { registerPii } from './commands/pii.command.js';
import { registerJobs } from './commands/jobs.command.js';
import { registerNode } from './commands/node.command.js';
import { registerReport } from './commands/report.command.js';
import { registerStart } from './commands/start.command.js';
import { registerToken } from './commands/token.command.js';

const program = new Command()
  .name('confide')
  .description('confide: privacy-preserving fine-tuning. Talks to the server at CONFIDE_URL (default http://127.0.0.1:3000).')
  .showHelpAfterError()
  .exitOverride();
program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
registerStart(program);
registerToken(program);
registerAudit(program);
registerJobs(program);
registerDatasets(program);
registerPii(program);
registerAttest(program);
registerNode(program);
registerReport(program);
for (const c of program.commands) {
  c.exitOverride();
  for (const sub of c.commands) sub.exitOverride();
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Asked-for help and version are successes; everything else commander rejects (including no command) is a usage error.
    process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (e instanceof CliError) {
    process.stderr.write(`confide: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else {
    process.stderr.write(`confide: ${(e as Error).message}\n`);
    process.exitCode = EXIT.failed;
  }
}
