import { DomainError } from '@confide/domain';

/** Stable codes for everything the datasets area refuses. Messages never carry dataset content. */
export const DATASET_ERROR_CODES = [
  'dataset_invalid',
  'upload_too_large',
  'upload_empty',
  'compressed_upload_not_supported',
  'archive_not_supported',
  'unsupported_format',
  'invalid_filename',
  'invalid_protect_option',
  'invalid_policy_name',
  'idempotency_key_reused',
  'upload_in_progress',
  'dataset_not_found',
  'upload_aborted',
] as const;
export type DatasetErrorCode = (typeof DATASET_ERROR_CODES)[number];

/** One line of a validation problem as shown to a client: where, and which code; never the content. */
export interface DatasetIssueRef {
  readonly line: number | null;
  readonly field?: string;
  readonly code: string;
}

export class DatasetError extends DomainError<DatasetErrorCode> {
  readonly area = 'datasets';
  constructor(
    code: DatasetErrorCode,
    message: string,
    target?: string,
    internalReason?: string,
    /** For `dataset_invalid`: the dataset that was recorded as invalid, and its first issues. */
    readonly details: { readonly datasetId?: string; readonly issues?: readonly DatasetIssueRef[] } = {},
  ) {
    super(code, message, target, internalReason);
  }
}
