import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { PiiScanner } from '@confide/pii';
import type { Command } from 'commander';
import { CliError, EXIT } from '../cli-context.js';

export function registerPii(program: Command): void {
  const pii = program.command('pii').description('PII tools that run offline, on this machine');
  pii
    .command('scan')
    .description('Scan a JSONL or CSV file for PII; with --spans print one JSON line per record: {"line", "findings": [{field, start, end, entity, score}]} (offsets in code points)')
    .argument('<file>', 'JSONL or CSV file')
    .option('--format <format>', 'jsonl or csv (default: from the file extension)')
    .option('--text-field <name...>', 'only scan these fields (path like messages[1].content, or a last key / CSV column)')
    .option('--spans', 'print per-record spans instead of the per-field summary')
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: { format?: string; textField?: string[]; spans?: boolean; json?: boolean }) => {
      if (!existsSync(file)) throw new CliError(`no such file: ${file}`, EXIT.usage);
      const format = opts.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl');
      if (format !== 'jsonl' && format !== 'csv') throw new CliError('--format must be jsonl or csv', EXIT.usage);
      const scanner = new PiiScanner({ format, hashKey: randomBytes(32), ...(opts.textField ? { textFields: opts.textField } : {}) });
      const source = createReadStream(file, { highWaterMark: 1024 * 1024 });
      if (opts.spans) {
        // `confide pii scan … --spans | head` closes the pipe early: that is a normal end, not a crash.
        process.stdout.on('error', (e: NodeJS.ErrnoException) => {
          if (e.code === 'EPIPE') process.exit(EXIT.ok);
          throw e;
        });
        for await (const record of scanner.spans(source)) {
          if (!process.stdout.write(`${JSON.stringify(record)}\n`)) await new Promise((r) => process.stdout.once('drain', r));
        }
        return;
      }
      const report = await scanner.scan(source);
      if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        process.stdout.write(`${report.records} records, ${report.recordsWithFindings} with PII, ${report.invalidRecords} unreadable\n`);
        for (const f of report.fields) {
          for (const e of f.entities) process.stdout.write(`  ${f.field}  ${e.entity}  x${e.count}  max ${e.maxScore}  e.g. ${e.maskedSample}\n`);
        }
      }
    });
}
