import { PiiError } from '../pii.error.js';

export type ByteSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

export interface FieldText {
  /** Field path: `messages[2].content`, `prompt`, or the CSV column name. */
  field: string;
  text: string;
}

export interface SourceRecord {
  /** 1-based line number where the record starts. */
  line: number;
  fields: FieldText[];
  /** Set when the record could not be parsed; `fields` is then empty. */
  error?: 'record_invalid_json' | 'record_too_long' | 'csv_malformed';
  bytes: number;
}

export interface ReaderLimits {
  /** Longest accepted line (JSONL) or record (CSV), in UTF-16 code units. */
  maxRecordChars: number;
}

async function* decodeChunks(source: ByteSource): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of source) {
      yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    }
    const tail = decoder.decode();
    if (tail) yield tail;
  } catch (e) {
    // Compare by code: errors from another realm (vm contexts) fail instanceof.
    if ((e as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') throw new PiiError('record_invalid_utf8', 'Input is not valid UTF-8.');
    throw e;
  }
}

/** Lines of a stream (without the newline, CR stripped), never holding more than one line plus a chunk. */
export async function* readLines(source: ByteSource, limits: ReaderLimits): AsyncGenerator<{ line: number; text: string; tooLong: boolean }> {
  let carry = '';
  let line = 0;
  let skipping = false;
  for await (const chunk of decodeChunks(source)) {
    let from = 0;
    let nl: number;
    while ((nl = chunk.indexOf('\n', from)) >= 0) {
      let text = carry.length > 0 ? carry + chunk.slice(from, nl) : chunk.slice(from, nl);
      carry = '';
      from = nl + 1;
      line++;
      if (skipping) {
        skipping = false;
        yield { line, text: '', tooLong: true };
        continue;
      }
      if (text.endsWith('\r')) text = text.slice(0, -1);
      yield { line, text, tooLong: text.length > limits.maxRecordChars };
    }
    if (!skipping) {
      carry += chunk.slice(from);
      // Drop an over-long line as it streams instead of buffering it.
      if (carry.length > limits.maxRecordChars) {
        skipping = true;
        carry = '';
      }
    }
  }
  if (skipping || carry.length > 0) {
    line++;
    if (carry.endsWith('\r')) carry = carry.slice(0, -1);
    yield { line, text: skipping ? '' : carry, tooLong: skipping || carry.length > limits.maxRecordChars };
  }
}

/** Keys of chat records whose values are enumerations or ids, not free text (the dataset pipeline skips them too). */
export const NON_TEXT_KEYS: ReadonlySet<string> = new Set(['role', 'type', 'tool_call_id', 'weight']);

/** Field paths repeat in every record: each is built once (bounded), so lookups by path hash a flat string. */
const childPaths = new Map<string, Map<string | number, string>>();

function childPath(parent: string, key: string | number): string {
  let children = childPaths.get(parent);
  if (!children) {
    if (childPaths.size >= 10_000) return typeof key === 'number' ? `${parent}[${key}]` : parent === '' ? key : `${parent}.${key}`;
    children = new Map();
    childPaths.set(parent, children);
  }
  let path = children.get(key);
  if (path === undefined) {
    path = typeof key === 'number' ? `${parent}[${key}]` : parent === '' ? key : `${parent}.${key}`;
    if (children.size < 1000) children.set(key, path);
  }
  return path;
}

/** Every string leaf of a JSON value with its path (`messages[2].content`), except values of NON_TEXT_KEYS. */
export function collectStringFields(value: unknown, path: string, out: FieldText[]): void {
  if (typeof value === 'string') {
    out.push({ field: path, text: value });
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectStringFields(value[i], childPath(path, i), out);
  } else if (value !== null && typeof value === 'object') {
    for (const k in value) {
      if (!Object.hasOwn(value, k) || NON_TEXT_KEYS.has(k)) continue;
      collectStringFields((value as Record<string, unknown>)[k], childPath(path, k), out);
    }
  }
}

/** JSONL records: one JSON value per non-blank line. */
export async function* readJsonlRecords(source: ByteSource, limits: ReaderLimits): AsyncGenerator<SourceRecord> {
  for await (const { line, text, tooLong } of readLines(source, limits)) {
    const bytes = Buffer.byteLength(text) + 1;
    if (tooLong) {
      yield { line, fields: [], error: 'record_too_long', bytes };
      continue;
    }
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, fields: [], error: 'record_invalid_json', bytes };
      continue;
    }
    const fields: FieldText[] = [];
    collectStringFields(value, '', fields);
    yield { line, fields, bytes };
  }
}

/**
 * CSV (RFC 4180): the first record is the header; quoted fields may hold commas, doubled quotes and newlines.
 * Each following record yields one field per column, named by the header.
 */
export async function* readCsvRecords(source: ByteSource, limits: ReaderLimits, delimiter = ','): AsyncGenerator<SourceRecord> {
  const delim = delimiter.charCodeAt(0);
  let header: string[] | undefined;
  let row: string[] = [];
  let field = '';
  let inQuotes = false;
  let quoteClosed = false;
  let malformed = false;
  let line = 1;
  let recordLine = 1;
  let recordChars = 0;
  let pendingCr = false;

  const finishRow = (): SourceRecord | undefined => {
    row.push(field);
    field = '';
    const done = row;
    row = [];
    const startLine = recordLine;
    const chars = recordChars;
    const bad = malformed;
    malformed = false;
    quoteClosed = false;
    recordChars = 0;
    recordLine = line;
    if (header === undefined) {
      header = done.map((h, i) => (h.trim() === '' ? `column_${i + 1}` : h.trim()));
      return undefined;
    }
    if (done.length === 1 && done[0] === '') return undefined;
    const bytes = chars + 1;
    if (chars > limits.maxRecordChars) return { line: startLine, fields: [], error: 'record_too_long', bytes };
    if (bad || done.length !== header.length) return { line: startLine, fields: [], error: 'csv_malformed', bytes };
    return { line: startLine, fields: done.map((text, i) => ({ field: header![i]!, text })), bytes };
  };

  let pendingQuote = false;
  for await (const chunk of decodeChunks(source)) {
    let segStart = 0;
    let i = 0;
    if (pendingQuote) {
      // A quote ended the previous chunk inside a quoted field: doubled quote or closing quote.
      pendingQuote = false;
      if (chunk.charCodeAt(0) === 34) {
        field += '"';
        i = 1;
        segStart = 1;
        recordChars++;
      } else {
        inQuotes = false;
        quoteClosed = true;
      }
    }
    for (; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      recordChars++;
      if (inQuotes) {
        if (c === 34) {
          field += chunk.slice(segStart, i);
          segStart = i + 1;
          if (i + 1 >= chunk.length) {
            pendingQuote = true;
          } else if (chunk.charCodeAt(i + 1) === 34) {
            field += '"';
            i++;
            segStart = i + 1;
          } else {
            inQuotes = false;
            quoteClosed = true;
          }
        } else if (c === 10) {
          line++;
        }
        continue;
      }
      if (c === 10 && pendingCr) {
        pendingCr = false;
        segStart = i + 1;
        recordChars--;
        continue;
      }
      pendingCr = false;
      if (c === 34) {
        if (field === '' && segStart === i && !quoteClosed) {
          inQuotes = true;
          segStart = i + 1;
        } else {
          malformed = true;
        }
      } else if (c === delim) {
        row.push(field + chunk.slice(segStart, i));
        field = '';
        quoteClosed = false;
        segStart = i + 1;
      } else if (c === 10 || c === 13) {
        field += chunk.slice(segStart, i);
        segStart = i + 1;
        pendingCr = c === 13;
        line++;
        recordChars--;
        const rec = finishRow();
        if (rec) yield rec;
      } else if (quoteClosed) {
        malformed = true;
      }
    }
    if (segStart < chunk.length) field += chunk.slice(segStart);
    if (field.length > limits.maxRecordChars) {
      malformed = true;
      field = '';
    }
  }
  if (inQuotes) malformed = true;
  if (field !== '' || row.length > 0) {
    const rec = finishRow();
    if (rec) yield rec;
  }
}
