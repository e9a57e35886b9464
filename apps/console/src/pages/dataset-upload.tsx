import { useRef, useState, type DragEvent, type FormEvent } from 'react';
import type { DatasetDto } from '@confide/contracts';
import { ApiError, uploadDataset, UploadInterrupted, type UploadProgress } from '../api.js';
import { useRouter } from '../router.js';
import { formatBytes, PageHeader } from '../ui.js';

/** Entities the PII scanner reports (libs/pii); the operator chosen here is applied while the upload streams. */
const ENTITIES = ['PERSON', 'EMAIL', 'PHONE', 'ADDRESS', 'DATE_OF_BIRTH', 'CREDIT_CARD', 'IBAN', 'BANK_ACCOUNT', 'US_SSN', 'NATIONAL_ID', 'PASSPORT', 'IP_ADDRESS', 'SECRET'] as const;
const OPERATORS = [
  { value: '', label: 'Policy default' },
  { value: 'token', label: 'Tokenise (reversible by you)' },
  { value: 'fpe', label: 'Format-preserving encryption' },
  { value: 'mask:4', label: 'Mask, keep last 4' },
  { value: 'redact', label: 'Redact' },
  { value: 'keep', label: 'Keep as is' },
] as const;

export function DatasetUploadPage() {
  const { navigate } = useRouter();
  const [file, setFile] = useState<File | null>(null);
  const [dragging, setDragging] = useState(false);
  const [protection, setProtection] = useState<'tee' | 'fhe'>('tee');
  const [policy, setPolicy] = useState('default');
  const [operators, setOperators] = useState<Record<string, string>>({});
  const [skipInvalid, setSkipInvalid] = useState(false);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const abort = useRef<AbortController | null>(null);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const f = e.dataTransfer.files[0];
    if (f) setFile(f);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setProgress({ loaded: 0, total: file.size });
    abort.current = new AbortController();
    const protect = Object.fromEntries(Object.entries(operators).filter(([, v]) => v));
    try {
      const ds = (await uploadDataset(
        file,
        { filename: file.name, protection, policy, skip_invalid: skipInvalid, ...(Object.keys(protect).length ? { protect } : {}) },
        setProgress,
        abort.current.signal,
      )) as DatasetDto;
      navigate(`/datasets/${ds.id}`);
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, { detail: (err as Error).message }));
      setBusy(false);
    }
  };

  const pct = progress && progress.total > 0 ? Math.min(100, Math.round((progress.loaded / progress.total) * 100)) : 0;
  return (
    <>
      <PageHeader title="Upload a dataset" subtitle="JSONL (chat or prompt/completion) or CSV, up to several GB. The file is sent in chunks, each sealed as it lands; an interrupted upload continues where it stopped when you upload the same file again." />
      <form className="stack" onSubmit={(e) => void submit(e)}>
        <section className="card" aria-labelledby="file-h">
          <h2 id="file-h">File</h2>
          <div
            className={`dropzone${dragging ? ' dragging' : ''}`}
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={onDrop}
          >
            <p>{file ? <strong>{file.name}</strong> : 'Drag a file here, or'}</p>
            {file ? <p className="muted">{formatBytes(file.size)}</p> : null}
            <label className="button secondary" htmlFor="dataset-file">
              {file ? 'Choose another file' : 'Choose a file'}
            </label>
            <input
              ref={input}
              id="dataset-file"
              className="visually-hidden"
              type="file"
              accept=".jsonl,.ndjson,.csv,application/jsonl,text/csv"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
              disabled={busy}
            />
          </div>
        </section>

        <section className="card" aria-labelledby="prot-h">
          <h2 id="prot-h">How the data is protected</h2>
          <fieldset className="choice">
            <legend>Training privacy</legend>
            <label>
              <input type="radio" name="protection" value="tee" checked={protection === 'tee'} onChange={() => setProtection('tee')} /> <strong>TEE sealing</strong>
              <span className="muted"> — the data key is released only to an attested confidential-computing enclave (SEV-SNP or TDX with an H100).</span>
            </label>
            <label>
              <input type="radio" name="protection" value="fhe" checked={protection === 'fhe'} onChange={() => setProtection('fhe')} /> <strong>FHE (CKKS)</strong>
              <span className="muted"> — nodes train on encrypted features and never see plaintext; slower, limited to linear models.</span>
            </label>
          </fieldset>
          <label className="inline-field" htmlFor="policy">
            Release policy
            <select id="policy" value={policy} onChange={(e) => setPolicy(e.target.value)}>
              <option value="default">default — the deployment's appraisal policy</option>
              <option value="sev-snp-h100">sev-snp-h100 — AMD SEV-SNP with NVIDIA H100 confidential computing</option>
              <option value="tdx-h100">tdx-h100 — Intel TDX with NVIDIA H100 confidential computing</option>
              <option value="dev-simulated">dev-simulated — simulated attestation (development only)</option>
            </select>
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={skipInvalid} onChange={(e) => setSkipInvalid(e.target.checked)} /> Skip invalid records instead of refusing the file
          </label>
        </section>

        <section className="card" aria-labelledby="ops-h">
          <h2 id="ops-h">Protection per entity</h2>
          <p className="muted">What happens to each kind of personal data before sealing. Leave “Policy default” unless you have a reason.</p>
          <div className="operator-grid">
            {ENTITIES.map((e) => (
              <label key={e} htmlFor={`op-${e}`}>
                <span className="mono">{e}</span>
                <select id={`op-${e}`} value={operators[e] ?? ''} onChange={(ev) => setOperators({ ...operators, [e]: ev.target.value })}>
                  {OPERATORS.map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </div>
        </section>

        {progress ? (
          <section className="card" aria-labelledby="prog-h">
            <h2 id="prog-h">Upload</h2>
            <progress id="upload-progress" max={100} value={pct} aria-label="Upload progress" />
            <p aria-live="polite">
              {pct < 100 ? `${formatBytes(progress.loaded)} of ${formatBytes(progress.total)} sent (${pct}%)` : 'Sent. Validating, scanning and sealing…'}
            </p>
          </section>
        ) : null}

        {error ? (
          <div className="state error" role="alert">
            <strong>{error.message}</strong>
            {error.problem.errors?.length ? (
              <table className="compact">
                <caption>Problems found in the file</caption>
                <thead>
                  <tr>
                    <th scope="col">Where</th>
                    <th scope="col">Problem</th>
                  </tr>
                </thead>
                <tbody>
                  {error.problem.errors.slice(0, 50).map((x, i) => (
                    <tr key={i}>
                      <td>{x.field}</td>
                      <td>{x.message.replace(/_/g, ' ')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
            <p>
              {error instanceof UploadInterrupted
                ? `${formatBytes(error.committed)} of ${formatBytes(error.total)} are stored. Upload the same file again (same options) to continue from there.`
                : error.status === 422 || error.status === 400
                  ? 'Fix the file (or tick “Skip invalid records”) and upload again.'
                  : error.advice}
            </p>
          </div>
        ) : null}

        <div className="form-actions">
          <button className="button primary" type="submit" disabled={!file || busy}>
            {busy ? 'Uploading…' : 'Upload and scan'}
          </button>
          {busy ? (
            <button className="button secondary" type="button" onClick={() => abort.current?.abort()}>
              Cancel upload
            </button>
          ) : null}
        </div>
      </form>
    </>
  );
}
