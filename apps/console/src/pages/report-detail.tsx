import { useState } from 'react';
import type { AttestationReportDto } from '@confide/contracts';
import { api, downloadBlob, downloadFromApi } from '../api.js';
import { Link } from '../router.js';
import { Badge, ErrorState, Field, formatTime, Loading, Mono, PageHeader, useAsync } from '../ui.js';

const VERDICT_TEXT: Record<string, string> = {
  affirming: 'The evidence is genuine and satisfies the policy: the key broker may release dataset keys to this enclave.',
  warning: 'The evidence is genuine, but some claims only partly satisfy the policy.',
  contraindicated: 'The evidence does not satisfy the policy: no key was released on it.',
};

export function ReportDetailPage({ id }: { id: string }) {
  const report = useAsync(() => api<AttestationReportDto>(`/attestation/v1/reports/${encodeURIComponent(id)}`), [id]);
  const [dlError, setDlError] = useState<Error | null>(null);
  if (report.loading && !report.data) return <Loading what="the report" />;
  if (report.error) return <ErrorState error={report.error} retry={report.reload} />;
  const r = report.data!;

  const downloadSigned = async () => {
    setDlError(null);
    try {
      await downloadFromApi(`/attestation/v1/reports/${encodeURIComponent(id)}/export`, `attestation-report-${r.id}.jws`, 'application/jose');
    } catch (e) {
      setDlError(e as Error);
    }
  };
  const downloadEvidence = () => downloadBlob(JSON.stringify(r.evidence, null, 2), `attestation-evidence-${r.id}.json`, 'application/json');

  return (
    <>
      <PageHeader
        title={`Attestation report ${r.id.slice(0, 8)}`}
        subtitle={
          <>
            <Link to="/reports">Attestation reports</Link> / {r.id}
          </>
        }
        actions={
          <>
            <button type="button" className="button secondary" onClick={downloadEvidence}>
              Download evidence
            </button>
            <button type="button" className="button primary" onClick={() => void downloadSigned()}>
              Download signed report (JWS)
            </button>
          </>
        }
      />
      {dlError ? <ErrorState error={dlError} /> : null}
      <section className={`card verdict verdict-${r.status}`} aria-labelledby="verdict-h">
        <h2 id="verdict-h">
          Verdict: <Badge value={r.status} /> {r.simulated ? <Badge value="warning" label="simulated hardware" /> : null}
        </h2>
        <p>{VERDICT_TEXT[r.status]}</p>
        {r.simulated ? <p className="muted">This report came from the simulated Attester used in development; it proves nothing about real hardware.</p> : null}
        <dl className="fields">
          <Field label="Job">
            <Mono>{r.job_id}</Mono> (lease epoch {r.lease_epoch})
          </Field>
          <Field label="TEE type">{r.tee_type ?? '—'}</Field>
          <Field label="TEE key thumbprint">
            <Mono>{r.tee_key_thumbprint}</Mono>
          </Field>
          <Field label="Submitted by">
            <Mono>{r.submitted_by}</Mono>
          </Field>
          <Field label="Created">{formatTime(r.created_at)}</Field>
        </dl>
        {r.reasons.length ? (
          <>
            <h3>Appraisal notes</h3>
            <ul>
              {r.reasons.map((x, i) => (
                <li key={i}>
                  <Mono>{JSON.stringify(x)}</Mono>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </section>
      <section className="card" aria-labelledby="claims-h">
        <h2 id="claims-h">Claims</h2>
        {r.claims ? <ClaimsTable claims={r.claims} /> : <p className="muted">No claims: the evidence did not verify.</p>}
      </section>
      <section className="card" aria-labelledby="policy-h">
        <h2 id="policy-h">Policy</h2>
        <dl className="fields">
          <Field label="Policy">
            <Mono>{r.policy.id}</Mono>
          </Field>
          <Field label="Policy hash">
            <Mono>{r.policy.hash}</Mono>
          </Field>
        </dl>
        <details>
          <summary>Show the policy document</summary>
          <pre className="code-block">{JSON.stringify(r.policy.document, null, 2)}</pre>
        </details>
      </section>
    </>
  );
}

function flatten(obj: Record<string, unknown>, prefix = ''): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...flatten(v as Record<string, unknown>, key));
    else out.push([key, typeof v === 'string' ? v : JSON.stringify(v)]);
  }
  return out;
}

function ClaimsTable({ claims }: { claims: Record<string, unknown> }) {
  const rows = flatten(claims);
  return (
    <div className="table-wrap">
      <table className="compact" id="claims">
        <caption className="visually-hidden">Claims derived from the evidence</caption>
        <thead>
          <tr>
            <th scope="col">Claim</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <td>
                <Mono>{k}</Mono>
              </td>
              <td className="break">
                <Mono>{v}</Mono>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
