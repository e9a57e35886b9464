import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { checkConsistency, checkInclusion, verifyAuditLog, type EntryRow, type LeafRow, type Problem, type VerifyReport } from '@confide/audit';
import type { Command } from 'commander';
import { ApiClient, cliEnv, CliError, EXIT } from '../cli-context.js';

interface Page<T> {
  data: T[];
  has_more: boolean;
}
type Checkpoint = { size: number; root: string; time: string; note: string };

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('The audit log: signed checkpoints, proofs, offline verification');

  audit
    .command('verify')
    .description('Download checkpoints, leaf hashes and your entries, and verify them offline against the published key; names the first bad entry')
    .option('--key <vkey>', 'verifier key to trust (default: fetched from the server; pin it for real audits)')
    .option('--key-file <file>', 'read the verifier key from a file')
    .option('--state <file>', 'remember the last verified checkpoint here and fail if the log ever rewinds or forks')
    .option('--proofs <n>', 'also check this many server inclusion proofs (sampled) and every consistency proof', '16')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { key?: string; keyFile?: string; state?: string; proofs: string; json?: boolean }) => {
      const sample = Number(opts.proofs);
      if (!Number.isInteger(sample) || sample < 0) throw new CliError('--proofs must be a whole number', EXIT.usage);
      const api = new ApiClient(cliEnv());
      const keyInfo = await api.get<{ origin: string; verifier_key: string }>('/v1/audit/key');
      const verifierKey = opts.key ?? (opts.keyFile ? readFileSync(opts.keyFile, 'utf8').trim() : keyInfo.verifier_key);

      await api.get<Checkpoint>('/v1/audit/checkpoint'); // make sure the current head is signed
      const checkpoints = await pages<Checkpoint>((after) => api.get(`/v1/audit/checkpoints?after=${after}&limit=1000`), (c) => c.size);
      const leaves: LeafRow[] = [];
      for (let start = 0; ; ) {
        const page = await api.get<Page<LeafRow>>(`/v1/audit/leaves?start=${start}&limit=10000`);
        leaves.push(...page.data);
        if (!page.has_more || page.data.length === 0) break;
        start = page.data.at(-1)!.index + 1;
      }
      const entries = (
        await pages<{ index: number; canonical: string; leaf_hash: string }>((after) => api.get(`/v1/audit/entries?after=${after}&limit=1000`), (e) => e.index)
      ).map((e): EntryRow => ({ index: e.index, canonical: e.canonical, leafHash: e.leaf_hash }));

      const previous = opts.state && existsSync(opts.state) ? (JSON.parse(readFileSync(opts.state, 'utf8')) as { size: number; root: string }) : undefined;
      const report = verifyAuditLog({ verifierKey, origin: keyInfo.origin, checkpoints: checkpoints.map((c) => c.note), leaves, entries, ...(previous ? { previous } : {}) });
      const proofProblems = report.ok ? await checkServerProofs(api, checkpoints, entries, sample) : [];
      const problems = [...report.problems, ...proofProblems];
      const final: VerifyReport = { ...report, ok: problems.length === 0, problems };
      if (final.ok && opts.state && final.latest) writeFileSync(opts.state, JSON.stringify({ size: final.latest.size, root: final.latest.root }));

      if (opts.json) process.stdout.write(`${JSON.stringify(final)}\n`);
      else if (final.ok) {
        process.stdout.write(
          `audit log verified: ${final.verifiedSize} entries under ${final.checkpointsChecked} signed checkpoint(s); ${final.entriesChecked} of your entries re-hashed` +
            `${sample ? `; ${Math.min(sample, entries.length)} inclusion and ${Math.max(0, checkpoints.length - 1)} consistency proofs checked` : ''}\n` +
            `latest checkpoint: size ${final.latest?.size} root ${final.latest?.root} at ${final.latest?.time}\n`,
        );
      } else {
        const first = final.firstBadIndex !== undefined ? `first bad entry: ${final.firstBadIndex}\n` : '';
        process.stdout.write(`audit log verification FAILED\n${first}${problems.map((p) => `  - ${p.code}: ${p.message}`).join('\n')}\n`);
      }
      if (!final.ok) process.exitCode = EXIT.failed;
    });

  audit
    .command('checkpoint')
    .description('Print the latest signed checkpoint')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const cp = await new ApiClient(cliEnv()).get<Checkpoint>('/v1/audit/checkpoint');
      process.stdout.write(opts.json ? `${JSON.stringify(cp)}\n` : cp.note);
    });
}

async function pages<T>(fetchPage: (after: number) => Promise<Page<T>>, keyOf: (row: T) => number): Promise<T[]> {
  const out: T[] = [];
  for (let after = -1; ; ) {
    const page = await fetchPage(after);
    out.push(...page.data);
    if (!page.has_more || page.data.length === 0) return out;
    after = keyOf(page.data.at(-1)!);
  }
}

/** Cross-checks the server's proof endpoints against what we verified ourselves. */
async function checkServerProofs(api: ApiClient, checkpoints: Checkpoint[], entries: EntryRow[], sample: number): Promise<Problem[]> {
  const problems: Problem[] = [];
  const latest = checkpoints.at(-1);
  if (!latest || sample === 0) return problems;
  const sorted = [...checkpoints].sort((a, b) => a.size - b.size).filter((c) => c.size > 0);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    const p = await api.get<{ proof: string[] }>(`/v1/audit/proofs/consistency?from=${a.size}&to=${b.size}`);
    const bad = checkConsistency(a, b, p.proof);
    if (bad) problems.push(bad);
  }
  const inTree = entries.filter((e) => e.index < latest.size);
  const step = Math.max(1, Math.floor(inTree.length / Math.max(1, sample)));
  for (let i = 0; i < inTree.length && i / step < sample; i += step) {
    const e = inTree[i]!;
    const p = await api.get<{ leaf_hash: string; proof: string[] }>(`/v1/audit/proofs/inclusion?index=${e.index}&size=${latest.size}`);
    const bad = checkInclusion(e.index, latest.size, e.leafHash, p.proof, latest.root) ?? (p.leaf_hash === e.leafHash ? undefined : { code: 'proof_invalid' as const, index: e.index, message: `server leaf hash for ${e.index} differs` });
    if (bad) problems.push(bad);
  }
  return problems;
}
