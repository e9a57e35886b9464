import { createReadStream, existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { Command } from 'commander';
import { ApiClient, cliEnv, CliError, EXIT, fetchToken } from '../cli-context.js';

interface Dataset {
  id: string;
  name: string;
  status: string;
  format: string | null;
  records: number;
  valid_records: number;
  skipped_records: number;
  pii?: { totals: Record<string, number> };
}

export function registerDatasets(program: Command): void {
  const datasets = program.command('datasets').description('Upload and inspect datasets');

  datasets
    .command('create')
    .description('Upload a JSONL (chat or prompt/completion) or CSV file: streamed, validated, PII-scanned, protected and sealed')
    .argument('<file>', 'the dataset file')
    .option('--protect <mode>', 'tee or fhe', 'tee')
    .option('--policy <name>', 'key-release policy name', 'default')
    .option('--format <format>', 'jsonl, chat, prompt_completion or csv (default: from the extension)')
    .option('--operators <json>', 'protection per entity, e.g. {"EMAIL":"token","PHONE":"mask:4"}')
    .option('--fhe <json>', 'with --protect fhe: {"label_field":…,"positive_class":…,"numeric_columns":[…]}')
    .option('--skip-invalid', 'drop invalid rows (counted) instead of rejecting the file')
    .option('--idempotency-key <key>', 'retry-safe upload key (default: derived from file name, size and mtime)')
    .option('--json', 'print the dataset as JSON')
    .action(async (file: string, o: { protect: string; policy: string; format?: string; operators?: string; fhe?: string; skipInvalid?: boolean; idempotencyKey?: string; json?: boolean }) => {
      if (!existsSync(file)) throw new CliError(`no such file: ${file}`, EXIT.usage);
      if (o.protect !== 'tee' && o.protect !== 'fhe') throw new CliError('--protect must be tee or fhe', EXIT.usage);
      const env = cliEnv();
      const size = statSync(file).size;
      const csv = file.toLowerCase().endsWith('.csv');
      const query = new URLSearchParams({ filename: basename(file), protection: o.protect, policy: o.policy });
      if (o.format) query.set('format', o.format);
      if (o.operators) query.set('protect', o.operators);
      if (o.fhe) query.set('fhe', o.fhe);
      if (o.skipInvalid) query.set('skip_invalid', 'true');
      const token = (await fetchToken(env)).access_token;
      const progress = progressBar(size);
      const body = Readable.toWeb(createReadStream(file, { highWaterMark: 1024 * 1024 }).pipe(progress)) as ReadableStream<Uint8Array>;
      // FHE uploads do not take an Idempotency-Key yet (the server says so): only send one the user asked for.
      const key = o.idempotencyKey ?? `cli-${Buffer.from(`${basename(file)}:${size}:${statSync(file).mtimeMs}`).toString('base64url').slice(0, 100)}`;
      const res = await fetch(`${env.url}/v1/datasets?${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': csv ? 'text/csv' : 'application/jsonl', 'content-length': String(size), ...(o.protect === 'fhe' && !o.idempotencyKey ? {} : { 'idempotency-key': key }) },
        body,
        duplex: 'half',
      } as RequestInit).catch((e: unknown) => {
        throw new CliError(`cannot reach ${env.url}: ${(e as Error).message}`);
      });
      process.stderr.write('\n');
      const payload = (await res.json().catch(() => ({}))) as Dataset & { code?: string; detail?: string; errors?: Array<{ field: string; message: string }>; requestId?: string };
      if (!res.ok) {
        if (o.json) process.stdout.write(`${JSON.stringify(payload)}\n`);
        const lines = (payload.errors ?? []).slice(0, 20).map((e) => `  ${e.field}: ${e.message}`).join('\n');
        throw new CliError(`${res.status} ${payload.code ?? ''}: ${payload.detail ?? ''}${lines ? `\n${lines}` : ''}${payload.requestId ? `\n(request ${payload.requestId})` : ''}`);
      }
      printDataset(payload, o.json);
    });

  datasets
    .command('get')
    .description('Show a dataset with its validation report and PII summary')
    .argument('<id>')
    .option('--json', 'print as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      printDataset(await new ApiClient(cliEnv()).get<Dataset>(`/v1/datasets/${encodeURIComponent(id)}`), o.json);
    });

  datasets
    .command('list')
    .description('List your datasets, newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print as JSON')
    .action(async (o: { limit: string; json?: boolean }) => {
      const page = await new ApiClient(cliEnv()).get<{ data: Dataset[] }>(`/v1/datasets?limit=${encodeURIComponent(o.limit)}`);
      if (o.json) process.stdout.write(`${JSON.stringify(page)}\n`);
      else for (const d of page.data) process.stdout.write(`${d.id}  ${d.status.padEnd(10)} ${String(d.valid_records).padStart(8)} records  ${d.name}\n`);
    });
}

function printDataset(d: Dataset, json?: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(d)}\n`);
    return;
  }
  const pii = Object.entries(d.pii?.totals ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  process.stdout.write(`${d.id}  ${d.status}  ${d.format ?? '-'}  ${d.valid_records} records (${d.skipped_records} skipped)  ${d.name}\n${pii ? `PII: ${pii}\n` : ''}`);
}

/** Counts bytes through and draws a bar on stderr (only when stderr is a terminal; otherwise a line per 10%). */
function progressBar(total: number): Transform {
  let done = 0;
  let lastPct = -1;
  const tty = process.stderr.isTTY;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
      if (pct !== lastPct && (tty || pct % 10 === 0)) {
        lastPct = pct;
        const width = 30;
        const filled = Math.round((pct / 100) * width);
        const line = `uploading [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${(done / 1048576).toFixed(1)} MiB`;
        process.stderr.write(tty ? `\r${line}` : `${line}\n`);
      }
      cb(null, chunk);
    },
  });
}
