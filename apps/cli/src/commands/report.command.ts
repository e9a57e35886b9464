import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { cliEnv, CliError, EXIT, fetchToken } from '../cli-context.js';

const JOB_REPORT_TYPE = 'confide-job-report+jws';

/** `confide report get JOB --out FILE` and `confide report verify FILE [--jwks FILE]` (offline with a pinned JWKS). */
export function registerReport(program: Command): void {
  const report = program.command('report').description('Signed provenance reports of fine-tuning jobs');
  report
    .command('get')
    .description('Download the signed provenance report (JWS) of a finished job')
    .argument('<job>', 'job id')
    .requiredOption('--out <file>', 'where to write the report (.jws)')
    .option('--jwks <file>', 'also save the signing key set here, to pin it for offline verification')
    .action(async (job: string, opts: { out: string; jwks?: string }) => {
      const env = cliEnv();
      const token = (await fetchToken(env)).access_token;
      const res = await fetch(`${env.url}/v1/fine_tuning/jobs/${encodeURIComponent(job)}/report`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(60_000) }).catch((e: unknown) => {
        throw new CliError(`cannot reach ${env.url}: ${(e as Error).message}`);
      });
      const text = await res.text();
      if (!res.ok) throw new CliError(`report of ${job}: ${res.status} ${safeDetail(text)}`);
      writeFileSync(opts.out, `${text.trim()}\n`);
      if (opts.jwks) writeFileSync(opts.jwks, `${JSON.stringify(await fetchJwks())}\n`);
      process.stdout.write(`wrote ${opts.out}\n`);
    });
  report
    .command('verify')
    .description('Check a job provenance report against the report key set; exit 0 valid, 1 not, 2 unreadable')
    .argument('<file>', 'the report (.jws)')
    .option('--jwks <file>', 'the key set to trust (default: fetched from CONFIDE_URL; pin it for real audits)')
    .option('--json', 'print the verified report as JSON')
    .action(async (file: string, opts: { jwks?: string; json?: boolean }) => {
      if (!existsSync(file)) throw new CliError(`cannot read ${file}`, EXIT.usage);
      const jws = readFileSync(file, 'utf8').trim();
      let jwks: JSONWebKeySet;
      try {
        jwks = opts.jwks ? (JSON.parse(readFileSync(opts.jwks, 'utf8')) as JSONWebKeySet) : await fetchJwks();
      } catch (e) {
        if (e instanceof CliError) throw e;
        throw new CliError(`cannot read the key set ${opts.jwks ?? ''}`, EXIT.usage);
      }
      let doc: Record<string, any>;
      try {
        const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks), { algorithms: ['ES384'] });
        if (protectedHeader.typ !== JOB_REPORT_TYPE) throw new Error(`not a job report (typ ${String(protectedHeader.typ)})`);
        doc = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, any>;
      } catch (e) {
        process.stdout.write(opts.json ? `${JSON.stringify({ valid: false, reason: (e as Error).message })}\n` : `report signature NOT valid: ${(e as Error).message}\n`);
        process.exitCode = EXIT.failed;
        return;
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ valid: true, ...doc })}\n`);
        return;
      }
      const attempts = (doc.attempts ?? []) as Array<Record<string, any>>;
      process.stdout.write(
        `job ${doc.job?.id} (${doc.job?.status}) report is validly signed\n` +
          `dataset ${doc.dataset?.id} sha256 ${doc.dataset?.content_sha256} protection ${doc.dataset?.protection}\n` +
          attempts.map((a) => `attempt ${a.lease_epoch}: node ${a.node?.id} ${a.node?.tee_type} lease ${a.lease_state} output ${a.output?.sha256 ?? '-'} verification ${a.verification?.verdict ?? '-'}\n`).join('') +
          `attestation reports ${(doc.attestation_reports ?? []).length}, key releases ${(doc.key_releases ?? []).length}\n`,
      );
    });
}

async function fetchJwks(): Promise<JSONWebKeySet> {
  const url = `${cliEnv().url}/v1/fine_tuning/reports/jwks`;
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000) }).catch((e: unknown) => {
    throw new CliError(`cannot fetch the report key set from ${url}: ${(e as Error).message} (or pass --jwks)`);
  });
  if (!res.ok) throw new CliError(`${url} answered ${res.status}`);
  return (await res.json()) as JSONWebKeySet;
}

function safeDetail(text: string): string {
  try {
    const p = JSON.parse(text) as { detail?: string; code?: string };
    return p.detail ?? p.code ?? '';
  } catch {
    return '';
  }
}
