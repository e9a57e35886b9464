import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { cliEnv, CliError, EXIT, fetchToken } from '../cli-context.js';

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const env = cliEnv();
  const token = (await fetchToken(env)).access_token;
  const res = await fetch(`${env.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  }).catch((e: unknown) => {
    throw new CliError(`cannot reach ${env.url}: ${(e as Error).message}`);
  });
  if (!res.ok) {
    const p = (await res.json().catch(() => ({}))) as { detail?: string; title?: string; requestId?: string };
    throw new CliError(`${path}: ${res.status} ${p.detail ?? p.title ?? ''}${p.requestId ? ` (request ${p.requestId})` : ''}`);
  }
  return res;
}

const print = (json: boolean, v: Record<string, unknown>, line: string): void => {
  process.stdout.write(json ? `${JSON.stringify(v, null, 2)}\n` : `${line}\n`);
};
const summary = (j: Record<string, unknown>): string => `${String(j.id)}  ${String(j.status)}/${String(j.phase)}  ${String(j.trainer)}${j.pending_reason ? `  (${String(j.pending_reason)})` : ''}`;

/** `confide jobs create|list|get|cancel|watch`: the fine-tuning job API. */
export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('Fine-tuning jobs (OpenAI-shaped API at /v1/fine_tuning/jobs)');
  jobs
    .command('create')
    .description('Create a job (retried safely with an Idempotency-Key)')
    .requiredOption('--dataset <id>', 'training dataset id')
    .requiredOption('--trainer <name>', 'text-classifier | fhe-logreg | command')
    .option('--privacy <mode>', 'tee | fhe', 'tee')
    .option('--region <r...>', 'allowed regions (prefixes)')
    .option('--max-price <usd>', 'max hourly price', Number)
    .option('--min-gpu-memory <gb>', 'minimum GPU memory', Number)
    .option('--epochs <n>', 'n_epochs (fhe-logreg: iterations)', Number)
    .option('--replay-rate <r>', 'fraction (0–1) of steps replayed on a second node (sampled_replay; fhe-logreg)', Number)
    .option('--idempotency-key <key>', 'defaults to a fresh UUID')
    .option('--json', 'print the job as JSON')
    .action(async (o: { dataset: string; trainer: string; privacy: string; region?: string[]; maxPrice?: number; minGpuMemory?: number; epochs?: number; replayRate?: number; idempotencyKey?: string; json?: boolean }) => {
      const placement = { ...(o.region ? { regions: o.region } : {}), ...(o.maxPrice !== undefined ? { max_hourly_price: o.maxPrice } : {}), ...(o.minGpuMemory !== undefined ? { min_gpu_memory_gb: o.minGpuMemory } : {}) };
      const extra = { ...(o.epochs !== undefined ? { hyperparameters: { n_epochs: o.epochs } } : {}), ...(o.replayRate !== undefined ? { verification: { mode: 'sampled_replay', sample_rate: o.replayRate } } : {}) };
      const res = await call('POST', '/v1/fine_tuning/jobs', { training_file: o.dataset, trainer: o.trainer, privacy: { mode: o.privacy }, placement, ...extra }, { 'idempotency-key': o.idempotencyKey ?? randomUUID() });
      const j = (await res.json()) as Record<string, unknown>;
      print(Boolean(o.json), j, summary(j));
    });
  jobs
    .command('list')
    .option('--status <s>')
    .option('--limit <n>', 'page size', '20')
    .option('--json')
    .action(async (o: { status?: string; limit: string; json?: boolean }) => {
      const l = (await (await call('GET', `/v1/fine_tuning/jobs?limit=${encodeURIComponent(o.limit)}${o.status ? `&status=${encodeURIComponent(o.status)}` : ''}`)).json()) as { data: Array<Record<string, unknown>> };
      print(Boolean(o.json), l, l.data.map(summary).join('\n'));
    });
  for (const [name, method, suffix] of [['get', 'GET', ''], ['cancel', 'POST', '/cancel']] as const) {
    jobs
      .command(`${name} <id>`)
      .option('--json')
      .action(async (id: string, o: { json?: boolean }) => {
        const j = (await (await call(method, `/v1/fine_tuning/jobs/${encodeURIComponent(id)}${suffix}`)).json()) as Record<string, unknown>;
        print(Boolean(o.json), j, summary(j));
      });
  }
  jobs
    .command('watch <id>')
    .description('Render events live (SSE); exit 0 when the job succeeds, 1 otherwise')
    .action(async (id: string) => {
      const res = await call('GET', `/v1/fine_tuning/jobs/${encodeURIComponent(id)}/events?stream=true`, undefined, { accept: 'text/event-stream' });
      const dec = new TextDecoder();
      let buf = '';
      let status = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (!data) continue;
          const d = JSON.parse(data) as Record<string, unknown>;
          if (event === 'end') status = String(d.status);
          else process.stdout.write(`${new Date(Number(d.created_at) * 1000).toISOString()}  ${String(d.level).padEnd(5)}  ${String(d.message)}\n`);
        }
      }
      process.stdout.write(`job ${id}: ${status || 'stream ended'}\n`);
      process.exitCode = status === 'succeeded' ? EXIT.ok : EXIT.failed;
    });
}
