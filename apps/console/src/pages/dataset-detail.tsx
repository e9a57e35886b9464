import type { DatasetDto, PiiFindingDto } from '@confide/contracts';
import { api } from '../api.js';
import { Link } from '../router.js';
import { Badge, Empty, ErrorState, Field, formatBytes, formatNumber, formatTime, Loading, Mono, PageHeader, useAsync } from '../ui.js';

export function DatasetDetailPage({ id }: { id: string }) {
  const ds = useAsync(() => api<DatasetDto>(`/v1/datasets/${encodeURIComponent(id)}`), [id]);
  if (ds.loading && !ds.data) return <Loading what="the dataset" />;
  if (ds.error) return <ErrorState error={ds.error} retry={ds.reload} />;
  const d = ds.data!;
  return (
    <>
      <PageHeader
        title={d.name}
        subtitle={
          <>
            <Link to="/datasets">Datasets</Link> / {d.id}
          </>
        }
        actions={<Badge value={d.status} />}
      />
      <section className="card" aria-labelledby="sum-h">
        <h2 id="sum-h">Summary</h2>
        <dl className="fields">
          <Field label="Format">{d.format ?? '—'}</Field>
          <Field label="Records">
            {formatNumber(d.valid_records)} valid of {formatNumber(d.records)}
            {d.skipped_records ? `, ${formatNumber(d.skipped_records)} skipped` : ''}
          </Field>
          <Field label="Size">{formatBytes(d.bytes)}</Field>
          <Field label="Sealed size">{formatBytes(d.sealed_bytes)}</Field>
          <Field label="Protection">{d.protection === 'tee' ? 'TEE sealing (key released on attestation)' : 'FHE (CKKS encrypted features)'}</Field>
          <Field label="Release policy">
            <Mono>{d.policy}</Mono>
          </Field>
          <Field label="Content SHA-256">{d.content_sha256 ? <Mono>{d.content_sha256}</Mono> : '—'}</Field>
          <Field label="Uploaded">{formatTime(d.created_at)}</Field>
        </dl>
      </section>
      <Validation d={d} />
      <PiiSection d={d} />
      <section className="card" aria-labelledby="op-h">
        <h2 id="op-h">Protection applied per entity</h2>
        {Object.keys(d.operators).length === 0 ? (
          <p className="muted">No operators recorded.</p>
        ) : (
          <table className="compact">
            <caption className="visually-hidden">Operator per entity</caption>
            <thead>
              <tr>
                <th scope="col">Entity</th>
                <th scope="col">Operator</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(d.operators).map(([e, op]) => (
                <tr key={e}>
                  <td>
                    <Mono>{e}</Mono>
                  </td>
                  <td>{op}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function Validation({ d }: { d: DatasetDto }) {
  const v = d.validation;
  if (!v) return null;
  return (
    <section className="card" aria-labelledby="val-h">
      <h2 id="val-h">Validation report</h2>
      <p>
        {v.ok ? <Badge value="ready" label="valid" /> : <Badge value="invalid" />} {formatNumber(v.lines)} lines, {formatNumber(v.records)} records, {formatNumber(v.errors)} errors,{' '}
        {formatNumber(v.warnings)} warnings.
      </p>
      {v.issues.length === 0 ? (
        <p className="muted">No problems found.</p>
      ) : (
        <div className="table-wrap">
          <table className="compact" id="validation-issues">
            <caption className="visually-hidden">Validation issues by line</caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  Line
                </th>
                <th scope="col">Field</th>
                <th scope="col">Problem</th>
                <th scope="col">Severity</th>
              </tr>
            </thead>
            <tbody>
              {v.issues.map((i, n) => (
                <tr key={n}>
                  <td className="num">{i.line ?? '—'}</td>
                  <td>{i.field ? <Mono>{i.field}</Mono> : '—'}</td>
                  <td>{i.code.replace(/_/g, ' ')}</td>
                  <td>
                    <Badge value={i.severity === 'error' ? 'failed' : 'warning'} label={i.severity} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {v.issues_truncated ? <p className="muted">Only the first {v.issues.length} issues are listed.</p> : null}
        </div>
      )}
    </section>
  );
}

function PiiSection({ d }: { d: DatasetDto }) {
  const pii = d.pii;
  if (!pii) return null;
  const findings = pii.fields;
  return (
    <section className="card" aria-labelledby="pii-h">
      <h2 id="pii-h">Personal data found</h2>
      {findings.length === 0 ? (
        <Empty title="No personal data detected">
          <p>The scanner found no PII entities in any field.</p>
        </Empty>
      ) : (
        <>
          <p className="muted">
            {Object.entries(pii.totals)
              .map(([e, n]) => `${formatNumber(n)} ${e}`)
              .join(' · ')}
          </p>
          <HeatMap findings={findings} records={d.valid_records} />
          <div className="table-wrap">
            <table id="pii-findings">
              <caption>PII findings per field</caption>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Entity</th>
                  <th scope="col" className="num">
                    Count
                  </th>
                  <th scope="col" className="num">
                    Records
                  </th>
                  <th scope="col" className="num">
                    Confidence (mean / max)
                  </th>
                  <th scope="col">Masked sample</th>
                  <th scope="col">Protection</th>
                </tr>
              </thead>
              <tbody>
                {findings.map((f, i) => (
                  <tr key={i}>
                    <td>
                      <Mono>{f.field}</Mono>
                    </td>
                    <td>{f.entity}</td>
                    <td className="num">{formatNumber(f.count)}</td>
                    <td className="num">{formatNumber(f.records)}</td>
                    <td className="num">
                      {formatNumber(f.mean_score, 2)} / {formatNumber(f.max_score, 2)}
                    </td>
                    <td>
                      <Mono>{f.masked_sample}</Mono>
                    </td>
                    <td>{f.operator}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

/** Fields × entities; a cell's shade is the share of records in which that entity appears in that field. */
function HeatMap({ findings, records }: { findings: readonly PiiFindingDto[]; records: number }) {
  const fields = [...new Set(findings.map((f) => f.field))];
  const entities = [...new Set(findings.map((f) => f.entity))];
  const cell = new Map(findings.map((f) => [`${f.field}\u0000${f.entity}`, f]));
  return (
    <figure className="heatmap">
      <figcaption>Share of records with each entity, per field</figcaption>
      <div className="table-wrap">
        <table id="pii-heatmap">
          <thead>
            <tr>
              <th scope="col">Field</th>
              {entities.map((e) => (
                <th scope="col" key={e}>
                  {e}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {fields.map((field) => (
              <tr key={field}>
                <th scope="row">
                  <Mono>{field}</Mono>
                </th>
                {entities.map((e) => {
                  const f = cell.get(`${field}\u0000${e}`);
                  const share = f && records > 0 ? Math.min(1, f.records / records) : 0;
                  const level = f ? Math.max(1, Math.ceil(share * 5)) : 0;
                  return (
                    <td key={e} className={`heat heat-${level}`} title={f ? `${f.records} of ${records} records` : 'none'}>
                      {f ? `${Math.round(share * 100)}%` : '·'}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
