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

/**
 * Streams a file to POST /v1/datasets. XMLHttpRequest because it reports upload progress; the browser reads the
 * file from disk as it sends, so multi-GB files never sit in memory.
 */
export function uploadDataset(file: File, query: Record<string, string>, onProgress: (p: UploadProgress) => void, signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1/datasets?${new URLSearchParams(query).toString()}`);
    const lower = file.name.toLowerCase();
    xhr.setRequestHeader('content-type', lower.endsWith('.csv') ? 'text/csv' : lower.endsWith('.jsonl') || lower.endsWith('.ndjson') ? 'application/jsonl' : 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('x-csrf-token', csrf);
    xhr.setRequestHeader('idempotency-key', crypto.randomUUID());
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => {
      let body: unknown = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status === 401) onUnauthorized();
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError(xhr.status, body as ProblemBody));
    };
    xhr.onerror = () => reject(new ApiError(0, { title: 'Network error', detail: 'The upload was interrupted. Check your connection and upload again.' }));
    xhr.onabort = () => reject(new ApiError(0, { title: 'Cancelled', detail: 'The upload was cancelled.' }));
    signal.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
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
