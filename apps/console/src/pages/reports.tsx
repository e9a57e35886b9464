import type { AttestationReportDto } from '@confide/contracts';
import { api } from '../api.js';
import { Link } from '../router.js';
import { Badge, Empty, ErrorState, formatTime, Loading, PageHeader, useAsync } from '../ui.js';

type ReportSummary = Omit<AttestationReportDto, 'evidence'>;

export function ReportsPage() {
  const list = useAsync(() => api<{ object: 'list'; data: ReportSummary[] }>('/attestation/v1/reports?limit=200'), []);
  return (
    <>
      <PageHeader title="Attestation reports" subtitle="Every attestation a node made to receive a dataset key: the evidence, the claims the Verifier derived, the policy and the verdict." />
      {list.loading && !list.data ? <Loading what="attestation reports" /> : null}
      {list.error ? <ErrorState error={list.error} retry={list.reload} /> : null}
      {list.data && list.data.data.length === 0 ? (
        <Empty title="No attestation reports yet">
          <p>A report is written each time a node attests for a job. Start a job, or check back once jobs have run.</p>
        </Empty>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Attestation reports</caption>
            <thead>
              <tr>
                <th scope="col">Report</th>
                <th scope="col">Job</th>
                <th scope="col">Verdict</th>
                <th scope="col">TEE</th>
                <th scope="col">Policy</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/reports/${r.id}`}>{r.id.slice(0, 8)}</Link>
                  </td>
                  <td>
                    {r.job_id} <span className="muted small">epoch {r.lease_epoch}</span>
                  </td>
                  <td>
                    <Badge value={r.status} /> {r.simulated ? <span className="muted small">simulated</span> : null}
                  </td>
                  <td>{r.tee_type ?? '—'}</td>
                  <td>{r.policy.id}</td>
                  <td>{formatTime(r.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
