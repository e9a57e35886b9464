import type { DecodedLine } from './line-splitter.js';

export interface CsvRecord {
  /** Line where the record starts. */
  readonly line: number;
  readonly values: string[];
  readonly problem?: 'csv_unbalanced_quotes' | 'csv_stray_quote' | 'invalid_utf8' | 'nul_byte' | 'line_too_long' | 'record_too_long';
  /** Input bytes the record spanned. */
  readonly bytes: number;
}

/**
 * RFC 4180 records from decoded lines: quoted fields may hold the delimiter, doubled quotes and line breaks. A
 * record spanning lines is bounded by `maxRecordChars`; a quote left open at the end of input is reported as
 * `csv_unbalanced_quotes` on the line where the record began.
 */
export async function* parseCsvRecords(lines: AsyncIterable<DecodedLine>, maxRecordChars: number, delimiter = ','): AsyncGenerator<CsvRecord> {
  const delim = delimiter.charCodeAt(0);
  let values: string[] = [];
  let field = '';
  let inQuotes = false;
  let stray = false;
  let start = 0;
  let bytes = 0;
  let chars = 0;
  let failed: CsvRecord['problem'];

  const reset = (): void => {
    values = [];
    field = '';
    inQuotes = false;
    stray = false;
    bytes = 0;
    chars = 0;
    failed = undefined;
  };

  for await (const l of lines) {
    if (!inQuotes) start = l.line;
    bytes += l.bytes;
    if (l.problem) {
      // A broken physical line breaks the record it belongs to; resynchronise at the next line.
      const record: CsvRecord = { line: start, values: [], problem: l.problem, bytes };
      reset();
      yield record;
      continue;
    }
    const text = l.text;
    chars += text.length;
    if (chars > maxRecordChars) failed = 'record_too_long';
    let segStart = 0;
    let quoteClosed = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inQuotes) {
        if (c === 0x22) {
          if (text.charCodeAt(i + 1) === 0x22) {
            field += text.slice(segStart, i + 1);
            i++;
            segStart = i + 1;
          } else {
            field += text.slice(segStart, i);
            inQuotes = false;
            quoteClosed = true;
            segStart = i + 1;
          }
        }
        continue;
      }
      if (c === delim) {
        values.push(field + text.slice(segStart, i));
        field = '';
        quoteClosed = false;
        segStart = i + 1;
      } else if (c === 0x22) {
        if (segStart === i && field === '' && !quoteClosed) {
          inQuotes = true;
          segStart = i + 1;
        } else {
          stray = true;
        }
      } else if (quoteClosed) {
        stray = true;
      }
    }
    if (inQuotes) {
      // The record continues on the next line; the newline belongs to the field.
      if (!failed) field += text.slice(segStart) + (l.crlf ? '\r\n' : '\n');
      if (!l.terminated) {
        yield { line: start, values: [], problem: 'csv_unbalanced_quotes', bytes };
        reset();
      }
      continue;
    }
    values.push(field + text.slice(segStart));
    const record: CsvRecord = failed
      ? { line: start, values: [], problem: failed, bytes }
      : stray
        ? { line: start, values: [], problem: 'csv_stray_quote', bytes }
        : { line: start, values, bytes };
    reset();
    yield record;
  }
  if (inQuotes) yield { line: start, values: [], problem: 'csv_unbalanced_quotes', bytes };
}

/** One CSV field as written: quoted only when it must be. */
export function csvField(value: string, delimiter = ','): string {
  return value.includes('"') || value.includes(delimiter) || value.includes('\n') || value.includes('\r') || /^\s|\s$/.test(value)
    ? `"${value.replace(/"/g, '""')}"`
    : value;
}
