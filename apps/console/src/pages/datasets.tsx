import type { DatasetListDto } from '@confide/contracts';
import { api, can, type SessionUser } from '../api.js';
import { Link } from '../router.js';
import { Badge, Empty, ErrorState, formatBytes, formatNumber, formatTime, Loading, PageHeader, useAsync } from '../ui.js';

export function DatasetsPage({ user }: { user: SessionUser }) {
  const list = useAsync(() => api<DatasetListDto>('/v1/datasets?limit=100'), []);
  const canUpload = can(user, 'datasets:write');
  return (
    <>
      <PageHeader
        title="Datasets"
        subtitle="Uploaded training data: validated, scanned for personal data, protected and sealed before any node can read it."
        actions={
          canUpload ? (
            <Link to="/datasets/new" className="button primary">
              Upload dataset
            </Link>
          ) : null
        }
      />
      {list.loading && !list.data ? <Loading what="datasets" /> : null}
      {list.error ? <ErrorState error={list.error} retry={list.reload} /> : null}
      {list.data && list.data.data.length === 0 ? (
        <Empty title="No datasets yet">
          {canUpload ? (
            <p>
              <Link to="/datasets/new">Upload a JSONL or CSV file</Link> to get started. confide validates it, finds personal data and seals it for training.
            </p>
          ) : (
            <p>Datasets appear here once a data engineer uploads them.</p>
          )}
        </Empty>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Datasets of your organisation</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Format</th>
                <th scope="col" className="num">
                  Records
                </th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">Protection</th>
                <th scope="col">Uploaded</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link to={`/datasets/${d.id}`}>{d.name}</Link>
                  </td>
                  <td>
                    <Badge value={d.status} />
                  </td>
                  <td>{d.format ?? '—'}</td>
                  <td className="num">{formatNumber(d.valid_records)}</td>
                  <td className="num">{formatBytes(d.bytes)}</td>
                  <td>{d.protection === 'tee' ? 'TEE sealed' : 'FHE (CKKS)'}</td>
                  <td>{formatTime(d.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
