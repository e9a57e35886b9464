import { ArgumentsHost, Catch, HttpException, Inject, type ExceptionFilter } from '@nestjs/common';
import { AuditLogError } from '@confide/audit';
import { AuthError, DpopError, type AuthErrorCode } from '@confide/auth';
import { DatasetError, type DatasetErrorCode } from '@confide/datasets';
import { JobError, SchedulerError, type DomainError, type JobErrorCode, type SchedulerErrorCode } from '@confide/domain';
import { KeyBrokerError, type KeyBrokerErrorCode } from '@confide/keybroker';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logger.js';
import { RequestError, type RequestErrorCode } from './request.error.js';

/** RFC 9457 problem details, with a stable machine-readable `code`. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly errors?: ReadonlyArray<{ field: string; message: string }>;
  /** Resumable uploads: the committed offset, on `upload_offset_mismatch` (also in the Upload-Offset header). */
  readonly uploadOffset?: number;
}

const AUTH_STATUS: Record<AuthErrorCode, number> = {
  token_missing: 401,
  token_malformed: 401,
  alg_none: 401,
  alg_not_allowed: 401,
  kid_missing: 401,
  kid_malformed: 401,
  kid_unknown: 401,
  untrusted_key_header: 401,
  signature_invalid: 401,
  issuer_mismatch: 401,
  audience_mismatch: 401,
  type_mismatch: 401,
  token_expired: 401,
  token_not_yet_valid: 401,
  issued_in_future: 401,
  claims_invalid: 401,
  tenant_missing: 401,
  jwks_unavailable: 401,
  permission_denied: 403,
  route_without_permission: 403,
};

const REQUEST_STATUS: Record<RequestErrorCode, number> = {
  validation_failed: 400,
  invalid_json: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  not_found: 404,
  method_not_allowed: 405,
  not_ready: 503,
};

const AUDIT_STATUS: Record<AuditLogError['code'], number> = {
  index_out_of_range: 404,
  size_out_of_range: 400,
};

const DATASET_STATUS: Record<DatasetErrorCode, number> = {
  dataset_invalid: 422,
  upload_too_large: 413,
  upload_empty: 422,
  compressed_upload_not_supported: 415,
  archive_not_supported: 415,
  unsupported_format: 415,
  invalid_filename: 400,
  invalid_protect_option: 400,
  invalid_policy_name: 400,
  idempotency_key_reused: 422,
  upload_in_progress: 409,
  dataset_not_found: 404,
  upload_aborted: 400,
  upload_not_found: 404,
  upload_offset_mismatch: 409,
  upload_offset_invalid: 400,
  upload_length_exceeded: 413,
  upload_too_many_chunks: 413,
  upload_incomplete: 409,
  upload_completed: 409,
  upload_checksum_mismatch: 422,
};

const KEYBROKER_STATUS: Record<KeyBrokerErrorCode, number> = {
  release_denied: 403,
  attestation_denied: 403,
  key_not_found: 404,
  report_not_found: 404,
  release_policy_invalid: 422,
  signing_key_invalid: 500,
};

const JOB_STATUS: Record<JobErrorCode, number> = {
  job_not_found: 404,
  dataset_not_found: 404,
  dataset_not_ready: 409,
  privacy_mode_mismatch: 422,
  idempotency_key_conflict: 409,
  idempotency_key_invalid: 400,
  job_not_cancellable: 409,
  invalid_cursor: 400,
  unknown_trainer: 400,
};

const SCHEDULER_STATUS: Record<SchedulerErrorCode, number> = {
  node_not_found: 404,
  node_key_mismatch: 401,
  node_evidence_required: 400,
  node_evidence_invalid: 403,
  node_not_owned: 403,
  node_retired: 409,
  lease_not_found: 404,
  lease_fenced: 409,
  transition_refused: 409,
  replay_not_claimed: 409,
};

export const PROBLEM_BASE = 'https://confide.dev/problems/';

/** Maps any error to a problem; the only place HTTP statuses for domain codes are decided. */
export function toProblem(err: unknown): { problem: Omit<Problem, 'instance' | 'requestId'>; reason?: string; internal?: string; cause?: unknown } {
  const make = (status: number, code: string, title: string, detail?: string, errors?: Problem['errors']) => ({
    type: PROBLEM_BASE + code,
    title,
    status,
    code,
    ...(detail ? { detail } : {}),
    ...(errors && errors.length ? { errors } : {}),
  });
  if (err instanceof AuthError) {
    // One message per status: the reason stays in logs so probing cannot learn which check failed.
    const status = AUTH_STATUS[err.code];
    return status === 401
      ? { problem: make(401, 'unauthorized', 'Unauthorized', 'A valid access token is required.'), reason: err.code, internal: err.internalReason }
      : { problem: make(403, 'forbidden', 'Forbidden', err.message), reason: err.code, internal: err.internalReason };
  }
  if (err instanceof RequestError) return { problem: make(REQUEST_STATUS[err.code], err.code, titleFor(REQUEST_STATUS[err.code]), err.message, err.fieldErrors) };
  if (err instanceof AuditLogError) return { problem: make(AUDIT_STATUS[err.code], `audit_${err.code}`, titleFor(AUDIT_STATUS[err.code]), err.message) };
  if (err instanceof DatasetError) {
    const status = DATASET_STATUS[err.code];
    const where = err.details.datasetId ? ` (dataset ${err.details.datasetId})` : '';
    const issues = (err.details.issues ?? []).map((i) => ({ field: `line ${i.line ?? '-'}${i.field ? ` ${i.field}` : ''}`, message: i.code }));
    // Without line issues, the field or header the refusal is about (Idempotency-Key, Upload-Offset, sha256, …).
    const errors = issues.length === 0 && err.target ? [{ field: err.target, message: err.code }] : issues;
    const problem = make(status, err.code, titleFor(status), err.message + where, errors);
    return { problem: err.details.uploadOffset !== undefined ? { ...problem, uploadOffset: err.details.uploadOffset } : problem, reason: err.code, internal: err.internalReason };
  }
  if (err instanceof KeyBrokerError) {
    // Denials carry one fixed message per code; the reason code goes to the log only (and to the audit entry).
    const status = KEYBROKER_STATUS[err.code];
    return { problem: make(status, `keybroker_${err.code}`, titleFor(status), err.message), reason: err.internalReason ?? err.code };
  }
  if (err instanceof DpopError) {
    // One answer for every proof failure; which check failed is logged only.
    return { problem: make(401, 'invalid_request_proof', 'Unauthorized', 'A valid request proof (DPoP header) is required.'), reason: err.code, internal: err.internalReason };
  }
  if (err instanceof JobError) {
    const status = JOB_STATUS[err.code];
    return { problem: make(status, err.code, titleFor(status), err.message, err.target ? [{ field: err.target, message: err.code }] : undefined), reason: err.code, internal: err.internalReason };
  }
  if (err instanceof SchedulerError) {
    // Fencing refusals tell the node to stop; the exact reason (stale epoch, expired, ended) stays in the log.
    const status = SCHEDULER_STATUS[err.code];
    return { problem: make(status, err.code, titleFor(status), err.message), reason: err.code, internal: err.internalReason };
  }
  if (isDomainError(err)) return { problem: make(422, `${err.area}_${err.code}`, 'Unprocessable', err.message), reason: err.code, internal: err.internalReason };
  if (err instanceof HttpException) {
    // Nest wraps Fastify's own request errors (bad JSON, body too large); answer from the original.
    const cause = err.cause as { code?: unknown } | undefined;
    if (typeof cause?.code === 'string' && cause.code.startsWith('FST_')) return toProblem(cause);
    const status = err.getStatus();
    const code = status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : `http_${status}`;
    return { problem: make(status, code, titleFor(status), status === 404 ? 'No such resource.' : undefined) };
  }
  const fst = err as { code?: string; statusCode?: number };
  if (typeof fst?.code === 'string' && fst.code.startsWith('FST_')) {
    switch (fst.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return { problem: make(413, 'payload_too_large', 'Payload Too Large', 'The request body is too large.') };
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return { problem: make(415, 'unsupported_media_type', 'Unsupported Media Type', 'Send application/json.') };
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return { problem: make(400, 'invalid_json', 'Bad Request', 'The request body is not valid JSON.') };
      default:
        if (fst.statusCode && fst.statusCode < 500) return { problem: make(fst.statusCode, 'bad_request', titleFor(fst.statusCode)) };
    }
  }
  if (err instanceof SyntaxError && (err as { statusCode?: number }).statusCode === 400) {
    return { problem: make(400, 'invalid_json', 'Bad Request', 'The request body is not valid JSON.') };
  }
  return { problem: make(500, 'internal', 'Internal Server Error', 'Something went wrong on our side; quote the request id if you contact support.'), cause: err };
}

function isDomainError(e: unknown): e is DomainError {
  return e instanceof Error && typeof (e as DomainError).code === 'string' && typeof (e as DomainError).area === 'string';
}

function titleFor(status: number): string {
  return (
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable', 503: 'Service Unavailable' } as Record<number, string>
  )[status] ?? 'Error';
}

export function sendProblem(reply: FastifyReply, req: FastifyRequest, log: Logger, err: unknown): void {
  const { problem, reason, internal, cause } = toProblem(err);
  const body: Problem = { ...problem, instance: req.url.split('?')[0], requestId: String(req.id) };
  const entry = { requestId: req.id, status: problem.status, code: problem.code, ...(reason ? { reason } : {}), ...(internal ? { detail: internal } : {}) };
  if (problem.status >= 500) log.error({ ...entry, err: cause }, 'request failed');
  else log.warn(entry, 'request rejected');
  if (problem.status === 401) void reply.header('WWW-Authenticate', 'Bearer error="invalid_token"');
  void reply.status(problem.status).header('content-type', 'application/problem+json; charset=utf-8').send(JSON.stringify(body));
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly log: Logger) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(http.getResponse<FastifyReply>(), http.getRequest<FastifyRequest>(), this.log, err);
  }
}
