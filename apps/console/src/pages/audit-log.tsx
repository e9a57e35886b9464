import { useState } from 'react';
import type { AuditEntryDto, CheckpointDto } from '@confide/contracts';
import { api } from '../api.js';
import { b64, checkpointOpener, equal, leafHash, rootOf, verifyConsistency, verifyInclusion, type Check, type Checkpoint } from '../audit-verify.js';
import { Badge, Empty, ErrorState, formatNumber, formatTime, Loading, Mono, PageHeader, useAsync } from '../ui.js';

interface List<T> {
  readonly data: T[];
  readonly has_more: boolean;
}

async function allPages<T>(page: (cursor: number) => Promise<List<T>>, next: (last: T) => number, start: number, max = 200): Promise<T[]> {
  const out: T[] = [];
  let cursor = start;
  for (let i = 0; i < max; i++) {
    const p = await page(cursor);
    out.push(...p.data);
    if (!p.has_more || p.data.length === 0) break;
    cursor = next(p.data.at(-1)!);
  }
  return out;
}

/** Runs every check the offline verifier runs, in this browser, trusting only the published key. */
async function verifyLog(onStep: (c: Check) => void): Promise<boolean> {
  let ok = true;
  const step = (name: string, pass: boolean, detail: string) => {
    ok &&= pass;
    onStep({ name, ok: pass, detail });
  };
  const key = await api<{ origin: string; verifier_key: string }>('/v1/audit/key');
  const open = await checkpointOpener(key.verifier_key);
  const notes = await allPages((after) => api<List<CheckpointDto>>(`/v1/audit/checkpoints?after=${after}&limit=1000`), (c) => c.size, -1);
  const cps: Checkpoint[] = [];
  let badSig = 0;
  for (const n of notes) {
    try {
      const cp = await open(n.note);
      if (cp.origin === key.origin) cps.push(cp);
      else badSig++;
    } catch {
      badSig++;
    }
  }
  cps.sort((a, b) => a.size - b.size);
  step('Checkpoint signatures', badSig === 0 && cps.length > 0, cps.length ? `${cps.length} signed checkpoints verified with ${key.verifier_key.split('+')[0]}${badSig ? `; ${badSig} failed` : ''}` : 'no signed checkpoint yet');
  if (!cps.length) return false;
  const latest = cps.at(-1)!;

  const leafRows = await allPages((start) => api<List<{ index: number; hash: string }>>(`/v1/audit/leaves?start=${start}&limit=10000`), (l) => l.index + 1, 0);
  const leaves = leafRows.map((l) => b64(l.hash));
  const ordered = leafRows.every((l, i) => l.index === i);
  step('Leaves complete and in order', ordered && leaves.length >= latest.size, `${formatNumber(leaves.length)} leaf hashes, indexes 0…${leaves.length - 1}`);

  let rootsOk = 0;
  const bad: number[] = [];
  for (const cp of cps) {
    if (cp.size > leaves.length) {
      bad.push(cp.size);
      continue;
    }
    if (equal(await rootOf(leaves.slice(0, cp.size)), cp.root)) rootsOk++;
    else bad.push(cp.size);
  }
  step('Tree rebuilt from the leaves matches every signed root', bad.length === 0, bad.length ? `mismatch at sizes ${bad.slice(0, 5).join(', ')}` : `${rootsOk} roots match (latest size ${latest.size})`);

  const entries = await allPages((after) => api<List<AuditEntryDto>>(`/v1/audit/entries?after=${after}&limit=1000`), (e) => e.index, -1);
  let hashBad = 0;
  for (const e of entries) {
    const h = await leafHash(new TextEncoder().encode(e.canonical));
    const claimed = (JSON.parse(e.canonical) as { index?: unknown }).index;
    if (claimed !== e.index || !equal(h, b64(e.leaf_hash)) || (leaves[e.index] && !equal(h, leaves[e.index]!))) hashBad++;
  }
  step("Your organisation's entries hash to their leaves", hashBad === 0, `${formatNumber(entries.length)} entries recomputed${hashBad ? `, ${hashBad} do not match` : ''}`);

  const inTree = entries.filter((e) => e.index < latest.size).slice(-25);
  let inclBad = 0;
  for (const e of inTree) {
    const p = await api<{ leaf_hash: string; proof: string[] }>(`/v1/audit/proofs/inclusion?index=${e.index}&size=${latest.size}`);
    if (!(await verifyInclusion(e.index, latest.size, b64(e.leaf_hash), p.proof.map(b64), latest.root))) inclBad++;
  }
  step('Inclusion proofs', inclBad === 0 && inTree.length > 0, inTree.length ? `${inTree.length} most recent entries proven included in the signed tree of size ${latest.size}${inclBad ? `; ${inclBad} failed` : ''}` : 'no entry of yours is covered by a checkpoint yet');

  const pairs = cps.slice(-6).map((c, i, a) => [a[i - 1], c] as const).filter((p): p is readonly [Checkpoint, Checkpoint] => !!p[0] && p[0].size > 0 && p[0].size < p[1].size);
  let consBad = 0;
  for (const [a, b] of pairs) {
    const p = await api<{ proof: string[] }>(`/v1/audit/proofs/consistency?from=${a.size}&to=${b.size}`);
    if (!(await verifyConsistency(a.size, b.size, a.root, b.root, p.proof.map(b64)))) consBad++;
  }
  step('Consistency proofs between checkpoints', consBad === 0, pairs.length ? `${pairs.length} consecutive checkpoint pairs are append-only extensions${consBad ? `; ${consBad} failed` : ''}` : 'only one checkpoint so far: nothing to compare');
  return ok;
}

export function AuditLogPage() {
  const cp = useAsync(() => api<CheckpointDto>('/v1/audit/checkpoint'), []);
  const entries = useAsync(() => api<List<AuditEntryDto>>('/v1/audit/entries?limit=1000'), []);
  const [checks, setChecks] = useState<Check[]>([]);
  const [verdict, setVerdict] = useState<'idle' | 'running' | 'ok' | 'failed'>('idle');
  const [verifyError, setVerifyError] = useState<Error | null>(null);

  const verify = async () => {
    setChecks([]);
    setVerifyError(null);
    setVerdict('running');
    try {
      const ok = await verifyLog((c) => setChecks((cur) => [...cur, c]));
      setVerdict(ok ? 'ok' : 'failed');
    } catch (e) {
      setVerifyError(e as Error);
      setVerdict('failed');
    }
  };

  const recent = entries.data ? [...entries.data.data].reverse().slice(0, 100) : [];
  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle="An append-only Merkle log of every action in your organisation. Signed checkpoints let anyone check that nothing was changed or removed."
        actions={
          <button type="button" className="button primary" onClick={() => void verify()} disabled={verdict === 'running'}>
            {verdict === 'running' ? 'Verifying…' : 'Verify the log'}
          </button>
        }
      />
      <section className="card" aria-labelledby="cp-h">
        <h2 id="cp-h">Latest signed checkpoint</h2>
        {cp.loading && !cp.data ? <Loading what="the checkpoint" /> : null}
        {cp.error ? <ErrorState error={cp.error} retry={cp.reload} /> : null}
        {cp.data ? (
          <>
            <p>
              <Badge value="active" label="signed" /> {formatNumber(cp.data.size)} entries, signed {formatTime(cp.data.time)}
            </p>
            <p>
              Root <Mono>{cp.data.root}</Mono>
            </p>
            <details>
              <summary>Show the signed note</summary>
              <pre className="code-block">{cp.data.note}</pre>
            </details>
          </>
        ) : null}
      </section>
      {verdict !== 'idle' ? (
        <section className="card" aria-labelledby="ver-h" id="verification">
          <h2 id="ver-h">
            Verification{' '}
            {verdict === 'ok' ? <Badge value="succeeded" label="verified" /> : verdict === 'failed' ? <Badge value="failed" label="failed" /> : <Badge value="running" label="running" />}
          </h2>
          <ul className="checks" aria-live="polite">
            {checks.map((c) => (
              <li key={c.name} className={c.ok ? 'check-ok' : 'check-bad'}>
                <span aria-hidden="true">{c.ok ? '✓' : '✗'}</span> <strong>{c.name}</strong>
                <span className="visually-hidden">{c.ok ? ' passed' : ' failed'}</span>: {c.detail}
              </li>
            ))}
          </ul>
          {verifyError ? <ErrorState error={verifyError} /> : null}
          {verdict === 'failed' && !verifyError ? <p className="inline-error">Do not rely on this log until the failure is explained; export it and run the offline verifier (confide audit verify).</p> : null}
        </section>
      ) : null}
      <section className="card" aria-labelledby="entries-h">
        <h2 id="entries-h">Entries of your organisation</h2>
        {entries.loading && !entries.data ? <Loading what="entries" /> : null}
        {entries.error ? <ErrorState error={entries.error} retry={entries.reload} /> : null}
        {entries.data && entries.data.data.length === 0 ? <Empty title="No entries yet">Actions appear here as people and services use confide.</Empty> : null}
        {recent.length ? (
          <div className="table-wrap">
            <table className="compact" id="audit-entries">
              <caption className="visually-hidden">Most recent audit entries</caption>
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Index
                  </th>
                  <th scope="col">Action</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Time</th>
                </tr>
              </thead>
              <tbody>
                {recent.map((e) => {
                  const rec = JSON.parse(e.canonical) as { actor?: { type?: string; id?: string }; outcome?: string };
                  return (
                    <tr key={e.index}>
                      <td className="num">{e.index}</td>
                      <td>
                        <Mono>{e.action}</Mono>
                      </td>
                      <td>{rec.actor ? `${rec.actor.type ?? ''} ${rec.actor.id ?? ''}` : '—'}</td>
                      <td>{rec.outcome ? <Badge value={rec.outcome === 'success' ? 'succeeded' : rec.outcome === 'denied' ? 'failed' : 'queued'} label={rec.outcome} /> : '—'}</td>
                      <td>{formatTime(e.created_at)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
