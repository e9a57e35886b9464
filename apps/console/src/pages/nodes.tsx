import type { NodeDto } from '@confide/contracts';
import { api, ApiError } from '../api.js';
import { Badge, Empty, ErrorState, formatTime, Loading, Mono, PageHeader, useAsync } from '../ui.js';

export function NodesPage() {
  const list = useAsync(() => api<{ object: 'list'; data: NodeDto[] }>('/scheduler/v1/nodes?limit=100'), []);
  const missing = list.error instanceof ApiError && list.error.status === 404;
  return (
    <>
      <PageHeader title="Nodes" subtitle="The GPU marketplace: capacity offered by providers, with its hardware attestation, price and track record." />
      {list.loading && !list.data ? <Loading what="nodes" /> : null}
      {missing ? (
        <Empty title="The node marketplace is not available on this server">
          <p>This deployment does not expose the scheduler’s node list yet. Jobs still run; ask your operator to enable the scheduler API.</p>
        </Empty>
      ) : list.error ? (
        <ErrorState error={list.error} retry={list.reload} />
      ) : null}
      {list.data && list.data.data.length === 0 ? (
        <Empty title="No nodes registered">
          <p>
            Providers join with <Mono>confide node</Mono> on their GPU machine; registered nodes appear here.
          </p>
        </Empty>
      ) : null}
      {list.data && list.data.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Registered nodes</caption>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">GPU</th>
                <th scope="col">TEE</th>
                <th scope="col">Region</th>
                <th scope="col" className="num">
                  $/hour
                </th>
                <th scope="col" className="num">
                  Reliability
                </th>
                <th scope="col">Leases</th>
                <th scope="col">State</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((n) => (
                <tr key={n.id}>
                  <td>
                    {n.name}
                    <div className="muted small">{n.provider}</div>
                  </td>
                  <td>
                    {n.gpu.count}× {n.gpu.model} ({n.gpu.memory_gb} GB)
                  </td>
                  <td>
                    {n.tee_type} {n.attestation.verified ? <Badge value="affirming" label={n.attestation.simulated ? 'attested (simulated)' : 'attested'} /> : <Badge value="warning" label="not attested" />}
                  </td>
                  <td>{n.region}</td>
                  <td className="num">{n.hourly_price.toFixed(2)}</td>
                  <td className="num">{Math.round(n.reliability * 100)}%</td>
                  <td>
                    {n.active_leases} of {n.max_concurrent_leases}
                  </td>
                  <td>
                    <Badge value={n.state} />
                  </td>
                  <td>{formatTime(n.last_seen_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
