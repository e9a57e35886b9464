import { DomainError } from '@confide/domain';

export type RequestErrorCode = 'validation_failed' | 'invalid_json' | 'payload_too_large' | 'unsupported_media_type' | 'not_found' | 'method_not_allowed' | 'not_ready';

/** Errors about the HTTP request itself (shape, size, route), independent of any area. */
export class RequestError extends DomainError<RequestErrorCode> {
  readonly area = 'request';
  constructor(
    code: RequestErrorCode,
    message: string,
    target?: string,
    readonly fieldErrors: ReadonlyArray<{ field: string; message: string }> = [],
  ) {
    super(code, message, target);
  }
}
