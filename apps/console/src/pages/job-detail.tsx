import { useEffect, useMemo, useState } from 'react';
import type { AttestationReportDto, Job, JobCheckpointList, JobEvent, JobEventList } from '@confide/contracts';
import { api, can, downloadFromApi, type SessionUser } from '../api.js';
import { LineChart, type Series } from '../chart.js';
import { Link } from '../router.js';
import { Badge, ErrorState, Field, formatTime, Loading, Mono, PageHeader, useAsync } from '../ui.js';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const EVENT_TYPES = ['message', 'metrics', 'checkpoint', 'lifecycle', 'status', 'node', 'system', 'service', 'attestation', 'key_release', 'files_validated', 'lease_granted', 'lease_expired', 'phase_reported', 'attempt_failed', 'attempt_succeeded', 'preempted', 'cancel_requested', 'cancel_confirmed', 'fine_tuning.job'];

export function JobDetailPage({ id, user }: { id: string; user: SessionUser }) {
  const job = useAsync(() => api<Job>(`/v1/fine_tuning/jobs/${encodeURIComponent(id)}`), [id]);
  const checkpoints = useAsync(() => api<JobCheckpointList>(`/v1/fine_tuning/jobs/${encodeURIComponent(id)}/checkpoints?limit=100`), [id]);
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [live, setLive] = useState<'connecting' | 'live' | 'closed' | 'ended'>('connecting');
  const [cancelError, setCancelError] = useState<Error | null>(null);
  const [dlError, setDlError] = useState<Error | null>(null);

  // Live events over SSE (the session cookie rides along; EventSource resumes with Last-Event-ID by itself).
  useEffect(() => {
    let closed = false;
    setEvents([]);
    api<JobEventList>(`/v1/fine_tuning/jobs/${encodeURIComponent(id)}/events?limit=100`)
      .then((l) => !closed && setEvents((cur) => merge(cur, l.data)))
      .catch(() => {});
    const es = new EventSource(`/v1/fine_tuning/jobs/${encodeURIComponent(id)}/events?stream=true`);
    const onEvent = (m: MessageEvent<string>) => {
      try {
        const ev = JSON.parse(m.data) as JobEvent;
        setEvents((cur) => merge(cur, [ev]));
        if (ev.type !== 'metrics') job.reload();
        if (ev.type === 'checkpoint' || ev.type.includes('checkpoint')) checkpoints.reload();
      } catch {
        /* ignore keep-alives */
      }
    };
    es.onopen = () => setLive('live');
    es.onmessage = onEvent;
    // The stream names each event by its type (`event: metrics`); EventSource has no wildcard, so list them.
    for (const t of EVENT_TYPES) es.addEventListener(t, onEvent as EventListener);
    es.addEventListener('end', () => {
      es.close();
      setLive('ended');
      job.reload();
    });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) setLive('closed');
    };
    return () => {
      closed = true;
      es.close();
    };
    // Keyed on the job id only: one event stream per job, not per render.
  }, [id]);

  // Poll the job while it is not finished (status changes also arrive as events; this is the safety net).
  useEffect(() => {
    if (!job.data || TERMINAL.has(job.data.status)) return;
    const t = setInterval(() => job.reload(), 3000);
    return () => clearInterval(t);
    // Keyed on the status only: polling stops once the job is terminal.
  }, [job.data?.status]);

  const series = useMemo(() => metricSeries(events, checkpoints.data?.data ?? []), [events, checkpoints.data]);
  // Auditors and admins see the attestation report itself; others see what the job's events say about it.
  const reports = useAsync(
    () => (can(user, 'attestation:read') ? api<{ data: Array<Omit<AttestationReportDto, 'evidence'>> }>('/attestation/v1/reports?limit=200') : Promise.resolve({ data: [] })),
    [id, events.length > 0 ? events.at(-1)!.seq : 0],
  );
  const attestation = useMemo(() => {
    const r = reports.data?.data.filter((x) => x.job_id === id).at(0);
    if (r) {
      const m = r.claims ? JSON.stringify(r.claims).match(/"measurement":"([0-9a-f]{16,})"/) : null;
      return { status: r.status, teeType: r.tee_type, measurement: m ? m[1]! : null, reportId: r.id, simulated: r.simulated };
    }
    return attestationOf(events);
  }, [events, reports.data, id]);

  if (job.loading && !job.data) return <Loading what="the job" />;
  if (job.error && !job.data) return <ErrorState error={job.error} retry={job.reload} />;
  const j = job.data!;

  const cancel = async () => {
    setCancelError(null);
    try {
      await api<Job>(`/v1/fine_tuning/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
      job.reload();
    } catch (e) {
      setCancelError(e as Error);
    }
  };

  const download = async (path: string, filename: string, type: string) => {
    setDlError(null);
    try {
      await downloadFromApi(`/v1/fine_tuning/jobs/${encodeURIComponent(id)}/${path}`, filename, type);
    } catch (e) {
      setDlError(e as Error);
    }
  };

  return (
    <>
      <PageHeader
        title={j.fine_tuned_model ?? `Job ${j.id.slice(0, 8)}`}
        subtitle={
          <>
            <Link to="/jobs">Fine-tuning jobs</Link> / {j.id}
          </>
        }
        actions={
          <>
            <span id="job-status">
              <Badge value={j.status} />
            </span>
            {can(user, 'jobs:write') && !TERMINAL.has(j.status) ? (
              <button type="button" className="button danger" onClick={() => void cancel()}>
                Cancel job
              </button>
            ) : null}
          </>
        }
      />
      {cancelError ? <ErrorState error={cancelError} /> : null}
      <section className="card" aria-labelledby="state-h">
        <h2 id="state-h">State</h2>
        <dl className="fields">
          <Field label="Phase">{j.phase.replace(/_/g, ' ')}</Field>
          <Field label="Queue position">{j.queue_position ?? '—'}</Field>
          <Field label="Pending reason">{j.pending_reason ? j.pending_reason.replace(/_/g, ' ') : '—'}</Field>
          <Field label="Trainer">{j.trainer}</Field>
          <Field label="Privacy">{String(j.privacy.mode ?? 'tee').toUpperCase()}</Field>
          <Field label="Node">{j.current_attempt ? <Mono>{j.current_attempt.node_id}</Mono> : '—'}</Field>
          <Field label="Created">{formatTime(j.created_at)}</Field>
          <Field label="Finished">{formatTime(j.finished_at)}</Field>
          <Field label="Retries">
            {j.retries.infra_used} infrastructure, {j.retries.user_used} user, {j.retries.preemptions} preemptions
          </Field>
        </dl>
        {j.error ? (
          <p className="inline-error" role="alert">
            {j.error.code}: {j.error.message}
          </p>
        ) : null}
      </section>

      <section className="card" aria-labelledby="att-h">
        <h2 id="att-h">Attestation</h2>
        {attestation ? (
          <p className="attestation-badge">
            <Badge value={attestation.status} label={`${attestation.status}${attestation.simulated ? ' (simulated)' : ''}`} /> {attestation.teeType ?? 'TEE'}{' '}
            {attestation.measurement ? (
              <>
                measurement <Mono>{attestation.measurement.slice(0, 16)}…</Mono>
              </>
            ) : null}{' '}
            {attestation.reportId && can(user, 'attestation:read') ? <Link to={`/reports/${attestation.reportId}`}>Open the attestation report</Link> : null}
          </p>
        ) : (
          <p className="muted">Not attested yet: the node proves its hardware and software before it receives the dataset key.</p>
        )}
      </section>

      <section className="card" aria-labelledby="chart-h">
        <h2 id="chart-h">Training metrics</h2>
        {series.some((s) => s.points.length) ? (
          <LineChart series={series} xLabel="step" title="Loss and accuracy per step" />
        ) : (
          <p className="muted">Metrics appear here as the trainer reports them.</p>
        )}
      </section>

      {j.status === 'succeeded' ? (
        <section className="card" aria-labelledby="out-h">
          <h2 id="out-h">Output</h2>
          <p>
            Model <Mono>{j.fine_tuned_model ?? '—'}</Mono>, sealed to your organisation’s key.
          </p>
          <p className="actions">
            {can(user, 'jobs:read') ? (
              <button type="button" className="button primary" onClick={() => void download('output', `model-${j.id}.sealed`, 'application/octet-stream')}>
                Download sealed model
              </button>
            ) : null}{' '}
            {can(user, 'jobs:read') || can(user, 'reports:read') ? (
              <button type="button" className="button secondary" onClick={() => void download('report', `job-report-${j.id}.jws`, 'application/jose')}>
                Download provenance report (JWS)
              </button>
            ) : null}
          </p>
          <p className="muted small">
            The model stays encrypted to your organisation’s key. The provenance report is signed; check it offline against <Mono>/v1/fine_tuning/reports/jwks</Mono>.
          </p>
          {dlError ? <ErrorState error={dlError} /> : null}
        </section>
      ) : null}

      <section className="card" aria-labelledby="ev-h">
        <h2 id="ev-h">
          Events <span className="muted small">({live === 'live' ? 'live' : live === 'connecting' ? 'connecting…' : live === 'ended' ? 'job finished' : 'stream closed; reload to resume'})</span>
        </h2>
        {events.length === 0 ? (
          <p className="muted">No events yet.</p>
        ) : (
          <ol className="events" aria-live="polite">
            {[...events].reverse().slice(0, 200).map((e) => (
              <li key={e.seq} className={`event level-${e.level}`}>
                <time>{formatTime(e.created_at)}</time> <span className="event-type">{e.type}</span> {e.message}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

function merge(cur: JobEvent[], add: readonly JobEvent[]): JobEvent[] {
  const by = new Map(cur.map((e) => [e.seq, e]));
  for (const e of add) by.set(e.seq, e);
  return [...by.values()].sort((a, b) => a.seq - b.seq);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function metricSeries(events: readonly JobEvent[], checkpoints: JobCheckpointList['data']): Series[] {
  const loss = new Map<number, number>();
  const acc = new Map<number, number>();
  for (const e of events) {
    if (e.type !== 'metrics') continue;
    const step = num(e.data.step);
    if (step === undefined) continue;
    const l = num(e.data.loss) ?? num(e.data.train_loss);
    const a = num(e.data.accuracy) ?? num(e.data.train_accuracy) ?? num(e.data.validation_accuracy) ?? num(e.data.valid_accuracy);
    if (l !== undefined) loss.set(step, l);
    if (a !== undefined) acc.set(step, a);
  }
  for (const c of checkpoints) {
    const l = num(c.metrics.loss) ?? num(c.metrics.train_loss);
    const a = num(c.metrics.accuracy) ?? num(c.metrics.validation_accuracy) ?? num(c.metrics.valid_accuracy);
    if (l !== undefined && !loss.has(c.step_number)) loss.set(c.step_number, l);
    if (a !== undefined && !acc.has(c.step_number)) acc.set(c.step_number, a);
  }
  const pts = (m: Map<number, number>) => [...m].sort((x, y) => x[0] - y[0]).map(([x, y]) => ({ x, y }));
  return [
    { name: 'loss', points: pts(loss) },
    { name: 'accuracy', points: pts(acc) },
  ];
}

interface AttestationSummary {
  readonly status: string;
  readonly teeType: string | null;
  readonly measurement: string | null;
  readonly reportId: string | null;
  readonly simulated: boolean;
}

function attestationOf(events: readonly JobEvent[]): AttestationSummary | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const d = events[i]!.data;
    if (typeof d.report_id === 'string' || events[i]!.type.includes('attest')) {
      return {
        status: typeof d.status === 'string' ? d.status : typeof d.verdict === 'string' ? d.verdict : 'affirming',
        teeType: typeof d.tee_type === 'string' ? d.tee_type : null,
        measurement: typeof d.measurement === 'string' ? d.measurement : null,
        reportId: typeof d.report_id === 'string' ? d.report_id : null,
        simulated: d.simulated === true,
      };
    }
  }
  return null;
}
