import type { JobList } from '@confide/contracts';
import { api, can, type SessionUser } from '../api.js';
import { Link } from '../router.js';
import { Badge, Empty, ErrorState, formatTime, Loading, PageHeader, useAsync } from '../ui.js';

export function JobsPage({ user }: { user: SessionUser }) {
  const list = useAsync(() => api<JobList>('/v1/fine_tuning/jobs?limit=100'), []);
  const canCreate = can(user, 'jobs:write');
  return (
    <>
      <PageHeader
        title="Fine-tuning jobs"
        subtitle="Each job runs on a node whose hardware was attested before it received the dataset key."
        actions={
          canCreate ? (
            <Link to="/jobs/new" className="button primary">
              New job
            </Link>
          ) : null
        }
      />
      {list.loading && !list.data ? <Loading what="jobs" /> : null}
      {list.error ? <ErrorState error={list.error} retry={list.reload} /> : null}
      {list.data && list.data.data.length === 0 ? (
        <Empty title="No jobs yet">{canCreate ? <p><Link to="/jobs/new">Start a fine-tuning job</Link> on a dataset that is ready.</p> : <p>Jobs appear here once a data engineer starts one.</p>}</Empty>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Fine-tuning jobs</caption>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Trainer</th>
                <th scope="col">Status</th>
                <th scope="col">Phase</th>
                <th scope="col">Queue / reason</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((j) => (
                <tr key={j.id}>
                  <td>
                    <Link to={`/jobs/${j.id}`}>{j.fine_tuned_model ?? j.id.slice(0, 8)}</Link>
                  </td>
                  <td>{j.trainer}</td>
                  <td>
                    <Badge value={j.status} />
                  </td>
                  <td>{j.phase.replace(/_/g, ' ')}</td>
                  <td>{j.queue_position !== null ? `#${j.queue_position}` : ''} {j.pending_reason ?? ''}</td>
                  <td>{formatTime(j.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
