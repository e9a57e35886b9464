import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { Command } from 'commander';
import { ApiClient, cliEnv, CliError, EXIT, fetchToken } from '../cli-context.js';

/** 8 MiB: an interrupted chunk costs at most this much again; 512 chunks reach the default 4 GiB limit. */
const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

interface CreateOptions {
  protect: string;
  policy: string;
  format?: string;
  operators?: string;
  fhe?: string;
  skipInvalid?: boolean;
  idempotencyKey?: string;
  resume?: string;
  chunkSize: string;
  retries: string;
  json?: boolean;
}

interface Upload {
  id: string;
  status: 'staging' | 'completed';
  bytes: number;
  offset: number;
  dataset_id: string | null;
  dataset?: Dataset;
}

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
    .description('Upload a JSONL (chat or prompt/completion) or CSV file in resumable chunks: validated, PII-scanned, protected and sealed')
    .argument('<file>', 'the dataset file')
    .option('--protect <mode>', 'tee or fhe', 'tee')
    .option('--policy <name>', 'key-release policy name', 'default')
    .option('--format <format>', 'jsonl, chat, prompt_completion or csv (default: from the extension)')
    .option('--operators <json>', 'protection per entity, e.g. {"EMAIL":"token","PHONE":"mask:4"}')
    .option('--fhe <json>', 'with --protect fhe: {"label_field":…,"positive_class":…,"numeric_columns":[…]}')
    .option('--skip-invalid', 'drop invalid rows (counted) instead of rejecting the file')
    .option('--idempotency-key <key>', 'names the upload (default: derived from file name, size and mtime, so running the same command again resumes it)')
    .option('--resume <upload-id>', 'continue this upload from the offset the server committed')
    .option('--chunk-size <bytes>', 'bytes per chunk; an interrupted chunk is sent again whole', String(DEFAULT_CHUNK_BYTES))
    .option('--retries <n>', 'times an interrupted chunk is retried from the committed offset before giving up', '5')
    .option('--json', 'print the dataset as JSON')
    .action(async (file: string, o: CreateOptions) => {
      if (!existsSync(file)) throw new CliError(`no such file: ${file}`, EXIT.usage);
      if (o.protect !== 'tee' && o.protect !== 'fhe') throw new CliError('--protect must be tee or fhe', EXIT.usage);
      const chunkBytes = Number(o.chunkSize);
      const retries = Number(o.retries);
      if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) throw new CliError('--chunk-size must be a positive number of bytes', EXIT.usage);
      if (!Number.isSafeInteger(retries) || retries < 0) throw new CliError('--retries must be a number ≥ 0', EXIT.usage);
      const parse = (flag: string, json: string | undefined): unknown => {
        if (json === undefined) return undefined;
        try {
          return JSON.parse(json) as unknown;
        } catch {
          throw new CliError(`${flag} is not JSON`, EXIT.usage);
        }
      };
      const env = cliEnv();
      const stat = statSync(file);
      const size = stat.size;
      if (size === 0) throw new CliError(`${file} is empty`, EXIT.usage);
      const api = new UploadClient(env, (await fetchToken(env)).access_token, o.json === true);
      const key = o.idempotencyKey ?? `cli-${Buffer.from(`${basename(file)}:${size}:${stat.mtimeMs}`).toString('base64url').slice(0, 100)}`;
      let upload: Upload;
      if (o.resume) {
        upload = await api.call<Upload>('GET', `/v1/uploads/${encodeURIComponent(o.resume)}`);
        if (upload.bytes !== size) throw new CliError(`upload ${upload.id} is for ${upload.bytes} bytes; ${file} has ${size}`, EXIT.usage);
      } else {
        const request = {
          bytes: size,
          sha256: await sha256Of(file),
          filename: basename(file),
          protection: o.protect,
          policy: o.policy,
          ...(o.format ? { format: o.format } : {}),
          ...(o.operators ? { protect: parse('--operators', o.operators) } : {}),
          ...(o.fhe ? { fhe: parse('--fhe', o.fhe) } : {}),
          ...(o.skipInvalid ? { skip_invalid: true } : {}),
        };
        upload = await api.call<Upload>('POST', '/v1/uploads', request, { 'idempotency-key': key });
      }
      if (upload.status === 'staging' && upload.offset > 0) process.stderr.write(`resuming upload ${upload.id} at ${upload.offset} of ${size} bytes\n`);
      let dataset = upload.dataset;
      const progress = new Progress(size, upload.offset);
      let offset = upload.offset;
      let left = retries;
      while (dataset === undefined && upload.status === 'staging' && offset < size) {
        const end = Math.min(offset + chunkBytes, size);
        const sent = await api.append(upload.id, file, offset, end, progress).catch((e: unknown) => {
          if (!(e instanceof Interrupted)) throw e;
          return e;
        });
        if (sent instanceof Interrupted) {
          if (left-- === 0) throw new CliError(`${sent.message}; ${offset} bytes are committed — run the same command again (or with --resume ${upload.id}) to continue`);
          await sleep(Math.min(8000, 250 * 2 ** (retries - left - 1)));
          // Where the server stands now (the chunk may have been committed before its answer was lost).
          const now = await api.status(upload.id);
          if (now === undefined) continue;
          upload = now;
          offset = upload.offset;
          dataset = upload.dataset;
          process.stderr.write(`\n${sent.message}; resuming at ${offset} bytes\n`);
          progress.reset(offset);
          continue;
        }
        upload = sent;
        offset = sent.offset;
        dataset = sent.dataset;
        left = retries;
      }
      progress.done();
      printDataset(dataset ?? (await api.datasetOf(upload.id, retries)), o.json);
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

/** Draws a bar on stderr (only when stderr is a terminal; otherwise a line per 10%), counting from the resumed offset. */
class Progress {
  private lastPct = -1;
  private readonly tty = process.stderr.isTTY;
  constructor(
    private readonly total: number,
    private sent: number,
  ) {}

  reset(offset: number): void {
    this.sent = offset;
    this.lastPct = -1;
    this.add(0);
  }

  add(n: number): void {
    this.sent += n;
    const pct = this.total > 0 ? Math.floor((this.sent / this.total) * 100) : 100;
    if (pct === this.lastPct || !(this.tty || pct % 10 === 0)) return;
    this.lastPct = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    const line = `uploading [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${(this.sent / 1048576).toFixed(1)} MiB`;
    process.stderr.write(this.tty ? `\r${line}` : `${line}\n`);
  }

  counter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.add(chunk.length);
        cb(null, chunk);
      },
    });
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

/** A chunk that did not get an answer (connection cut, timeout, 5xx): retried from the offset the server committed. */
class Interrupted extends Error {}

/** No answer from the server at all. */
class Unreachable extends CliError {}

/** The server refused, with a problem document. */
class ProblemError extends CliError {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Problem {
  code?: string;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
  requestId?: string;
  uploadOffset?: number;
}

/** The resumable-upload API: JSON calls and chunk appends; problems become CliErrors with the server's words. */
class UploadClient {
  constructor(
    private readonly env: ReturnType<typeof cliEnv>,
    private readonly token: string,
    /** --json: a refusal's problem document goes to stdout too (a script reads dataset_invalid issues from it). */
    private readonly json: boolean,
  ) {}

  async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(`${this.env.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15 * 60_000),
    }).catch((e: unknown) => {
      throw new Unreachable(`cannot reach ${this.env.url}: ${(e as Error).message}`);
    });
    const payload = (await res.json().catch(() => ({}))) as T & Problem;
    if (!res.ok) throw this.refused(res.status, payload);
    return payload;
  }

  /** The upload as the server has it, or undefined when the server cannot be reached. */
  async status(id: string): Promise<Upload | undefined> {
    return this.call<Upload>('GET', `/v1/uploads/${encodeURIComponent(id)}`).catch((e: unknown) => {
      if (e instanceof Unreachable) return undefined;
      throw e;
    });
  }

  /**
   * The dataset of an upload whose bytes are all committed: `complete` creates it (or returns it). While another
   * request is still processing the file — the last chunk's answer can outlast the client's wait on a multi-GB
   * file — the upload is polled until it has its dataset.
   */
  async datasetOf(id: string, unreachableTries = 5): Promise<Dataset> {
    for (let unreachable = 0; ; ) {
      const done = await this.call<Upload>('POST', `/v1/uploads/${encodeURIComponent(id)}/complete`).catch((e: unknown) => {
        if (e instanceof Unreachable && ++unreachable <= unreachableTries) return undefined;
        if (e instanceof ProblemError && e.code === 'upload_in_progress') return undefined;
        throw e;
      });
      if (done?.dataset) return done.dataset;
      await sleep(2000);
    }
  }

  /** PATCHes bytes [start, end) of `file` at `start`; the upload as the server then has it (with the dataset after the last chunk). */
  async append(id: string, file: string, start: number, end: number, progress: Progress): Promise<Upload> {
    const body = Readable.toWeb(createReadStream(file, { start, end: end - 1, highWaterMark: 1024 * 1024 }).pipe(progress.counter())) as ReadableStream<Uint8Array>;
    let res: Response;
    try {
      res = await fetch(`${this.env.url}/v1/uploads/${encodeURIComponent(id)}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/offset+octet-stream', 'content-length': String(end - start), 'upload-offset': String(start) },
        body,
        duplex: 'half',
      } as RequestInit);
    } catch (e) {
      throw new Interrupted(`the chunk at ${start} was interrupted (${(e as Error).message})`);
    }
    const payload = (await res.json().catch(() => undefined)) as (Upload & Problem) | undefined;
    if (payload === undefined || res.status >= 500) throw new Interrupted(`the chunk at ${start} got no answer (${res.status})`);
    // Someone (an earlier try whose answer was lost) already committed more: continue from there.
    if (res.status === 409 && payload.code === 'upload_offset_mismatch' && payload.uploadOffset !== undefined) return this.call<Upload>('GET', `/v1/uploads/${encodeURIComponent(id)}`);
    if (!res.ok) throw this.refused(res.status, payload);
    return payload;
  }

  private refused(status: number, p: Problem): ProblemError {
    if (this.json) process.stdout.write(`${JSON.stringify(p)}\n`);
    return problemError(status, p);
  }
}

function problemError(status: number, p: Problem): ProblemError {
  const lines = (p.errors ?? []).slice(0, 20).map((e) => `  ${e.field}: ${e.message}`).join('\n');
  return new ProblemError(`${status} ${p.code ?? ''}: ${p.detail ?? ''}${lines ? `\n${lines}` : ''}${p.requestId ? `\n(request ${p.requestId})` : ''}`, p.code);
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
