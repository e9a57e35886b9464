import { useState, type FormEvent } from 'react';
import { TRAINERS, type CreateJob, type DatasetListDto, type Job, type JobEstimate } from '@confide/contracts';
import { api, ApiError } from '../api.js';
import { Link, useRouter } from '../router.js';
import { Badge, Empty, ErrorState, formatNumber, Loading, PageHeader, useAsync } from '../ui.js';

const TEE_CHOICES = ['sev-snp', 'tdx'] as const;

export function JobCreatePage() {
  const { navigate, search } = useRouter();
  const datasets = useAsync(() => api<DatasetListDto>('/v1/datasets?status=ready&limit=100'), []);
  const [trainingFile, setTrainingFile] = useState(search.get('dataset') ?? '');
  const [trainer, setTrainer] = useState<(typeof TRAINERS)[number]>('text-classifier');
  const [mode, setMode] = useState<'tee' | 'fhe'>('tee');
  const [tees, setTees] = useState<string[]>(['sev-snp', 'tdx']);
  const [regions, setRegions] = useState('');
  const [maxPrice, setMaxPrice] = useState('');
  const [epochs, setEpochs] = useState('auto');
  const [estimate, setEstimate] = useState<JobEstimate | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);

  const body = (): Partial<CreateJob> => ({
    training_file: trainingFile,
    trainer,
    privacy: { mode, policy: 'default' },
    hyperparameters: { n_epochs: epochs === 'auto' ? 'auto' : Number(epochs), batch_size: 'auto', learning_rate_multiplier: 'auto' },
    placement: {
      tee_types: tees as CreateJob['placement']['tee_types'],
      min_gpu_memory_gb: 0,
      min_reliability: 0,
      interruptible: false,
      ...(regions.trim() ? { regions: regions.split(',').map((r) => r.trim()).filter(Boolean) } : {}),
      ...(maxPrice ? { max_hourly_price: Number(maxPrice) } : {}),
    },
  });

  const runEstimate = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setEstimate(await api<JobEstimate>('/v1/fine_tuning/jobs/estimate', { method: 'POST', body: body() }));
    } catch (err) {
      setError(err as Error);
      setEstimate(null);
    } finally {
      setBusy(false);
    }
  };

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const job = await api<Job>('/v1/fine_tuning/jobs', { method: 'POST', body: body(), headers: { 'idempotency-key': crypto.randomUUID() } });
      navigate(`/jobs/${job.id}`);
    } catch (err) {
      setError(err as Error);
      setBusy(false);
    }
  };

  if (datasets.loading && !datasets.data) return <Loading what="datasets" />;
  if (datasets.error) return <ErrorState error={datasets.error} retry={datasets.reload} />;
  const ready = datasets.data?.data ?? [];
  return (
    <>
      <PageHeader title="New fine-tuning job" subtitle="Choose the data and where it may run; see the cost range and the candidate nodes before you start." />
      {ready.length === 0 ? (
        <Empty title="No dataset is ready">
          <p>
            <Link to="/datasets/new">Upload a dataset</Link> first; a job can start once its status is “ready”.
          </p>
        </Empty>
      ) : (
        <form className="stack" onSubmit={(e) => void runEstimate(e)}>
          <section className="card" aria-labelledby="what-h">
            <h2 id="what-h">What to train</h2>
            <label className="inline-field" htmlFor="training-file">
              Training dataset
              <select id="training-file" required value={trainingFile} onChange={(e) => (setTrainingFile(e.target.value), setEstimate(null))}>
                <option value="">Choose a dataset…</option>
                {ready.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name} ({formatNumber(d.valid_records)} records, {d.protection.toUpperCase()})
                  </option>
                ))}
              </select>
            </label>
            <label className="inline-field" htmlFor="trainer">
              Trainer
              <select id="trainer" value={trainer} onChange={(e) => (setTrainer(e.target.value as (typeof TRAINERS)[number]), setEstimate(null))}>
                {TRAINERS.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </label>
            <label className="inline-field" htmlFor="epochs">
              Epochs
              <select id="epochs" value={epochs} onChange={(e) => setEpochs(e.target.value)}>
                {['auto', '1', '2', '3', '5', '10'].map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
          </section>
          <section className="card" aria-labelledby="where-h">
            <h2 id="where-h">Privacy and placement</h2>
            <fieldset className="choice">
              <legend>Privacy mode</legend>
              <label>
                <input type="radio" name="mode" checked={mode === 'tee'} onChange={() => (setMode('tee'), setEstimate(null))} /> TEE (attested confidential computing)
              </label>
              <label>
                <input type="radio" name="mode" checked={mode === 'fhe'} onChange={() => (setMode('fhe'), setEstimate(null))} /> FHE (encrypted training)
              </label>
            </fieldset>
            <fieldset className="choice">
              <legend>Allowed TEE types</legend>
              {TEE_CHOICES.map((t) => (
                <label key={t}>
                  <input type="checkbox" checked={tees.includes(t)} onChange={(e) => (setTees(e.target.checked ? [...tees, t] : tees.filter((x) => x !== t)), setEstimate(null))} /> {t}
                </label>
              ))}
            </fieldset>
            <label className="inline-field" htmlFor="regions">
              Regions (comma-separated, empty = your organisation’s residency)
              <input id="regions" value={regions} placeholder="eu, us-east-1" onChange={(e) => (setRegions(e.target.value), setEstimate(null))} />
            </label>
            <label className="inline-field" htmlFor="max-price">
              Max hourly price (USD)
              <input id="max-price" type="number" min="0" step="0.01" value={maxPrice} onChange={(e) => (setMaxPrice(e.target.value), setEstimate(null))} />
            </label>
          </section>
          {error ? <ErrorState error={error} /> : null}
          {error instanceof ApiError && error.problem.errors?.length ? (
            <ul className="inline-error">
              {error.problem.errors.map((x, i) => (
                <li key={i}>
                  {x.field}: {x.message}
                </li>
              ))}
            </ul>
          ) : null}
          {estimate ? <EstimateView e={estimate} /> : null}
          <div className="form-actions">
            <button className="button secondary" type="submit" disabled={busy || !trainingFile || tees.length === 0}>
              {estimate ? 'Estimate again' : 'Estimate cost'}
            </button>
            <button className="button primary" type="button" disabled={busy || !estimate} onClick={() => void start()}>
              Start job
            </button>
          </div>
        </form>
      )}
    </>
  );
}

function EstimateView({ e }: { e: JobEstimate }) {
  const money = (n: number) => n.toLocaleString('en-US', { style: 'currency', currency: e.cost.currency });
  return (
    <section className="card" aria-labelledby="est-h" id="estimate">
      <h2 id="est-h">Estimate</h2>
      {e.feasible ? (
        <p>
          Expected cost <strong>{money(e.cost.expected)}</strong> (between {money(e.cost.min)} and {money(e.cost.max)}), about {Math.ceil(e.expected_duration_seconds / 60)} minutes.
        </p>
      ) : (
        <p className="inline-error" role="alert">
          No node can take this job now{e.pending_reason ? `: ${e.pending_reason.replace(/_/g, ' ')}` : ''}. You can still start it; it waits in the queue until a node fits, or widen the placement.
        </p>
      )}
      <p className="muted">
        {e.candidates_considered} nodes considered
        {Object.keys(e.filtered).length
          ? `; filtered: ${Object.entries(e.filtered)
              .map(([k, n]) => `${n} by ${k.replace(/_/g, ' ')}`)
              .join(', ')}`
          : ''}
        .
      </p>
      {e.candidates.length ? (
        <div className="table-wrap">
          <table className="compact">
            <caption>Candidate nodes</caption>
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
                <th scope="col">Fit</th>
              </tr>
            </thead>
            <tbody>
              {e.candidates.map((c) => (
                <tr key={c.node_id}>
                  <td>
                    {c.provider} {c.chosen ? <Badge value="succeeded" label="best fit" /> : null}
                  </td>
                  <td>
                    {c.gpu_count}× {c.gpu_model} ({c.gpu_memory_gb} GB)
                  </td>
                  <td>{c.tee_type}</td>
                  <td>{c.region}</td>
                  <td className="num">{c.hourly_price.toFixed(2)}</td>
                  <td className="num">{Math.round(c.reliability * 100)}%</td>
                  <td>{c.filtered_by.length ? c.filtered_by.join(', ').replace(/_/g, ' ') : c.available ? 'available' : 'busy'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
