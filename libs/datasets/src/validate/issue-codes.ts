/**
 * Validation issue codes, in the spirit of OpenAI's fine-tuning data checks and Together's `check_file`. Stable:
 * clients and the CLI key on them. Each has one severity; errors make a dataset invalid (or, with skip_invalid,
 * drop the row), warnings are reported and the row is kept.
 */
export const ISSUE_SEVERITY = {
  // file level
  empty_file: 'error',
  too_few_examples: 'error',
  bom_stripped: 'warning',
  mixed_line_endings: 'warning',
  // line level, any format
  invalid_utf8: 'error',
  nul_byte: 'error',
  line_too_long: 'error',
  truncated_last_line: 'error',
  blank_line: 'warning',
  duplicate_row: 'warning',
  // JSON
  invalid_json: 'error',
  not_an_object: 'error',
  duplicate_key: 'error',
  forbidden_key: 'error',
  unknown_field: 'error',
  format_mismatch: 'error',
  // chat
  missing_messages: 'error',
  messages_not_array: 'error',
  empty_messages: 'error',
  invalid_message: 'error',
  missing_role: 'error',
  unknown_role: 'error',
  missing_content: 'error',
  invalid_content_type: 'error',
  empty_content: 'error',
  invalid_weight: 'error',
  missing_assistant_turn: 'error',
  // prompt / completion
  missing_prompt: 'error',
  missing_completion: 'error',
  // CSV
  csv_empty_header: 'error',
  csv_duplicate_header: 'error',
  csv_unbalanced_quotes: 'error',
  csv_stray_quote: 'error',
  csv_wrong_column_count: 'error',
} as const;

export type IssueCode = keyof typeof ISSUE_SEVERITY;
export type IssueSeverity = 'error' | 'warning';
export const ISSUE_CODES = Object.keys(ISSUE_SEVERITY) as IssueCode[];

export interface ValidationIssue {
  readonly code: IssueCode;
  readonly severity: IssueSeverity;
  /** 1-based line where the record starts; null for file-level issues. */
  readonly line: number | null;
  /** Field path (`messages[1].role`, CSV column name); never a value. */
  readonly field?: string;
}

export function issue(code: IssueCode, line: number | null, field?: string): ValidationIssue {
  return { code, severity: ISSUE_SEVERITY[code], line, ...(field !== undefined ? { field } : {}) };
}
