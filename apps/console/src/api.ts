/** The console's only way to the API: same-origin fetch with the session cookie; the BFF adds the bearer token. */
export interface SessionUser {
  readonly subject: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly tenant_id: string;
  readonly roles: readonly string[];
  readonly permissions: readonly string[];
}

export interface Session {
  readonly user: SessionUser;
  readonly csrf_token: string;
  readonly expires_at: number;
}

export interface ProblemBody {
  readonly title?: string;
  readonly detail?: string;
  readonly code?: string;
  readonly status?: number;
  readonly requestId?: string;
  readonly errors?: ReadonlyArray<{ field: string; message: string }>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemBody,
  ) {
    super(problem.detail ?? problem.title ?? `Request failed (${status})`);
  }

  /** A sentence that says what to do next. */
  get advice(): string {
    if (this.status === 401) return 'Your session has ended. Sign in again to continue.';
    if (this.status === 403) return 'Your role does not allow this. Ask an administrator if you need access.';
    if (this.status === 404) return 'It may have been deleted, or it belongs to another organisation.';
    if (this.status >= 500) return `Try again in a moment. If it keeps failing, quote request id ${this.problem.requestId ?? 'shown in the logs'} to support.`;
    return 'Check the values and try again.';
  }
}

let csrf = '';
export function setCsrfToken(token: string): void {
  csrf = token;
}
export function csrfToken(): string {
  return csrf;
}

let onUnauthorized: () => void = () => {};
export function handleUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrf;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, (await res.json().catch(() => ({}))) as ProblemBody);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/**
 * Fetches an API resource through the BFF (session cookie) and saves it as a file: the signed reports (JWS), the
 * sealed model. Bytes as they came (a Blob, never decoded as text), so binary downloads survive unchanged.
 */
export async function downloadFromApi(path: string, filename: string, type: string): Promise<void> {
  const res = await fetch(path, { credentials: 'same-origin' });
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, (await res.json().catch(() => ({}))) as ProblemBody);
  downloadBlob(await res.blob(), filename, type);
}

export async function loadSession(): Promise<Session | null> {
  const res = await fetch('/auth/session', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!res.ok) throw new ApiError(res.status, {});
  const body = (await res.json()) as { authenticated: boolean } & Partial<Session>;
  if (!body.authenticated || !body.user || !body.csrf_token) return null;
  setCsrfToken(body.csrf_token);
  return { user: body.user, csrf_token: body.csrf_token, expires_at: body.expires_at ?? 0 };
}

export async function logout(): Promise<void> {
  await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': csrf } });
}

export interface UploadProgress {
  readonly loaded: number;
  readonly total: number;
}

/** Bytes per PATCH (as the CLI): an interruption costs at most this much again; each chunk is sealed as it lands. */
export const UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024;
/** Times a chunk whose request failed (network, 5xx) is sent again from the committed offset before giving up. */
const CHUNK_RETRIES = 5;

/** The dataset options of a resumable upload (POST /v1/uploads without the size). */
export interface UploadOptions {
  readonly filename: string;
  readonly protection: 'tee' | 'fhe';
  readonly policy: string;
  readonly skip_invalid: boolean;
  readonly protect?: Record<string, string>;
}

interface UploadSession {
  readonly id: string;
  readonly status: 'staging' | 'completed';
  readonly bytes: number;
  readonly offset: number;
  readonly dataset_id: string | null;
  readonly dataset?: unknown;
}

/** A chunk request that never got an answer (network, 5xx): the committed offset is read back and the chunk resent. */
class ChunkInterrupted extends Error {}

/** The server committed a different offset than the chunk was sent at (another tab, a lost answer): go on from it. */
class OffsetMoved extends Error {
  constructor(readonly offset: number) {
    super(`the committed offset is ${offset}`);
  }
}

const cancelled = (): ApiError => new ApiError(0, { title: 'Cancelled', detail: 'The upload was cancelled.' });

/** The connection kept failing: `committed` bytes are stored, and uploading the same file again continues there. */
export class UploadInterrupted extends ApiError {
  constructor(
    readonly committed: number,
    readonly total: number,
  ) {
    super(0, { title: 'Upload interrupted', detail: 'The upload was interrupted: the connection kept failing.' });
  }
}

/**
 * Uploads a file through the resumable API (/v1/uploads) in chunks read from disk as they are sent, so a multi-GB
 * file never sits in memory and an interruption costs one chunk: the chunk is sent again from the offset the server
 * committed. The session's Idempotency-Key is derived from the file (name, size, modification time) and the options,
 * so dropping the same file again after a failure, a reload or a closed tab continues where it stopped (and a file
 * already uploaded comes back as its dataset). Cancel deletes the session and its staged chunks.
 */
export async function uploadDataset(file: File, options: UploadOptions, onProgress: (p: UploadProgress) => void, signal: AbortSignal): Promise<unknown> {
  const create = { bytes: file.size, ...options };
  const key = `console-${await sha256Hex(JSON.stringify([file.name, file.size, file.lastModified, create]))}`;
  let session = await api<UploadSession>('/v1/uploads', { method: 'POST', body: create, headers: { 'idempotency-key': key } });
  // Cancel (not a failure) ends the session: its staged chunks go, and the same file again starts from 0.
  const cancel = (): void => void api(`/v1/uploads/${session.id}`, { method: 'DELETE' }).catch(() => undefined);
  signal.addEventListener('abort', cancel, { once: true });
  try {
    let left = CHUNK_RETRIES;
    onProgress({ loaded: session.offset, total: file.size });
    while (session.dataset === undefined && session.status === 'staging' && session.offset < file.size) {
      if (signal.aborted) throw cancelled();
      const offset = session.offset;
      try {
        session = await sendChunk(session.id, file.slice(offset, Math.min(offset + UPLOAD_CHUNK_BYTES, file.size)), offset, (sent) => onProgress({ loaded: offset + sent, total: file.size }), signal);
        left = CHUNK_RETRIES;
      } catch (e) {
        if (e instanceof OffsetMoved) {
          session = { ...session, offset: e.offset };
          continue;
        }
        if (!(e instanceof ChunkInterrupted) || signal.aborted) throw e;
        if (left-- === 0) throw new UploadInterrupted(offset, file.size);
        await new Promise((r) => setTimeout(r, Math.min(8000, 250 * 2 ** (CHUNK_RETRIES - left - 1))));
        // The chunk may have been committed before its answer was lost: continue from where the server stands.
        session = await api<UploadSession>(`/v1/uploads/${session.id}`);
      }
      onProgress({ loaded: session.offset, total: file.size });
    }
    if (session.dataset !== undefined) return session.dataset;
    if (session.dataset_id) return api(`/v1/datasets/${session.dataset_id}`);
    return (await api<UploadSession>(`/v1/uploads/${session.id}/complete`, { method: 'POST' })).dataset;
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/**
 * One PATCH at `offset`. XMLHttpRequest because it reports upload progress; the browser reads the slice from disk as
 * it sends. A 409 (another tab moved the offset) answers with the committed offset, from which the loop goes on.
 */
function sendChunk(id: string, chunk: Blob, offset: number, onSent: (bytes: number) => void, signal: AbortSignal): Promise<UploadSession> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PATCH', `/v1/uploads/${encodeURIComponent(id)}`);
    xhr.setRequestHeader('content-type', 'application/offset+octet-stream');
    xhr.setRequestHeader('upload-offset', String(offset));
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('x-csrf-token', csrf);
    xhr.upload.onprogress = (e) => onSent(e.loaded);
    xhr.onload = () => {
      let body: unknown = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status === 401) onUnauthorized();
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as UploadSession);
      else if (xhr.status === 409 && xhr.getResponseHeader('upload-offset') !== null) reject(new OffsetMoved(Number(xhr.getResponseHeader('upload-offset'))));
      else if (xhr.status >= 500) reject(new ChunkInterrupted(`chunk at ${offset}: ${xhr.status}`));
      else reject(new ApiError(xhr.status, body as ProblemBody));
    };
    xhr.onerror = () => reject(new ChunkInterrupted(`chunk at ${offset}: network error`));
    xhr.onabort = () => reject(cancelled());
    const abort = (): void => xhr.abort();
    signal.addEventListener('abort', abort, { once: true });
    xhr.onloadend = () => signal.removeEventListener('abort', abort);
    xhr.send(chunk);
  });
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function can(user: SessionUser, permission: string): boolean {
  return user.permissions.includes(permission);
}

export function downloadBlob(content: BlobPart, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
