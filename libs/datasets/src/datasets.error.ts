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
  // resumable uploads (/v1/uploads)
  'upload_not_found',
  /** Upload-Offset is not the committed offset; the problem carries the server's offset. */
  'upload_offset_mismatch',
  'upload_offset_invalid',
  /** The chunk would go past the size declared when the upload was created. */
  'upload_length_exceeded',
  'upload_too_many_chunks',
  /** complete before every declared byte was committed. */
  'upload_incomplete',
  'upload_completed',
  /** The staged bytes do not hash to the sha256 declared when the upload was created. */
  'upload_checksum_mismatch',
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
    readonly details: {
      readonly datasetId?: string;
      readonly issues?: readonly DatasetIssueRef[];
      /** For `upload_offset_mismatch`: where the upload stands, to resume from. */
      readonly uploadOffset?: number;
    } = {},
  ) {
    super(code, message, target, internalReason);
  }
}
