import { randomBytes } from 'node:crypto';
import { minimumCanaryCount, planCanaries, type Canary } from '@confide/canary';
import { KeyedHasher, maskValue, PiiAnalyzer, type PiiEntity, type PiiFinding } from '@confide/pii';
import { DatasetError } from '../datasets.error.js';
import { csvField, parseCsvRecords, type CsvRecord } from '../parse/csv-record.parser.js';
import { findKeyProblem } from '../parse/json-keys.js';
import { splitLines, type ByteChunks, type DecodedLine } from '../parse/line-splitter.js';
import { deriveDatasetKey, Protector } from '../protect/protector.js';
import { formatOperator, type ProtectionPolicy } from '../protect/protection-policy.js';
import { issue, type IssueCode, type ValidationIssue } from '../validate/issue-codes.js';
import { detectJsonlKind, validateRecord, type JsonlKind } from '../validate/record.validator.js';
import { DuplicateRows } from './duplicate-rows.js';

export type DatasetFormat = JsonlKind | 'csv';
/** What the uploader says: `jsonl` auto-detects chat vs prompt/completion from the first record. */
export type InputFormat = DatasetFormat | 'jsonl';

export interface DatasetProcessorOptions {
  readonly format: InputFormat;
  readonly policy: ProtectionPolicy;
  /** The dataset's protection secret (32 bytes); token, FPE and report-hash keys are derived from it. */
  readonly secret: Uint8Array;
  readonly analyzer?: PiiAnalyzer;
  /** Drop invalid records (and count them) instead of rejecting the dataset. */
  readonly skipInvalid?: boolean;
  /** Fewest valid examples a dataset needs (OpenAI's minimum is 10). */
  readonly minExamples?: number;
  readonly maxLineBytes?: number;
  /** Issues listed in the report; counts are always complete. */
  readonly maxIssues?: number;
  /**
   * Canaries (libs/canary) to plant at least; 0 disables. More are planted when the label count needs them for the
   * check to reach α = 1e-6 (with margin for those that land in a validation split). Planted only when the data is
   * classification-shaped: 2 to 64 distinct answers, each seen twice on average.
   */
  readonly canaries?: number;
  readonly csvDelimiter?: string;
  /** Bytes of protected output per yielded chunk. */
  readonly outputChunkBytes?: number;
  /** Where duplicate-row fingerprints spill (encrypted) past 262,144 rows; default the OS temp dir. */
  readonly tempDir?: string;
}

/** A canary as planted: after which valid record (they go after the last one, in a seed-shuffled order). */
export interface PlantedCanary extends Canary {
  readonly afterRecord: number;
}

/** Datasets with more distinct answers than this are not treated as classification data (no canaries). */
const MAX_CANARY_LABELS = 64;
/** Canaries beyond the bare minimum for α, so a few that land in the validation split do not sink the check. */
const CANARY_MARGIN = 1.5;
const CANARY_COPIES = 3;

export interface ValidationReport {
  ok: boolean;
  format: DatasetFormat | null;
  lines: number;
  bytes: number;
  records: number;
  validRecords: number;
  skippedRecords: number;
  errors: number;
  warnings: number;
  issueCounts: Partial<Record<IssueCode, number>>;
  issues: ValidationIssue[];
  issuesTruncated: boolean;
}

export interface PiiFieldEntity {
  field: string;
  entity: PiiEntity;
  count: number;
  records: number;
  maxScore: number;
  meanScore: number;
  maskedSample: string;
  sampleHash: string;
  operator: string;
}

export interface PiiSummary {
  recordsScanned: number;
  recordsWithFindings: number;
  totals: Partial<Record<PiiEntity, number>>;
  fields: PiiFieldEntity[];
}

interface Acc {
  count: number;
  records: number;
  lastRecord: number;
  max: number;
  sum: number;
  sample: string;
  hash: string;
}

/** A string inside a parsed record: the object or array holding it, its key, its field path and its text. */
interface FieldRef {
  holder: object;
  key: string | number;
  field: string;
  text: string;
}

const SKIP_KEYS = new Set(['role', 'type', 'tool_call_id', 'weight']);
const MAX_FIELD_PATHS = 10_000;

/**
 * One streaming pass over an upload: split and decode lines, parse (JSONL chat, prompt/completion, CSV), validate
 * with line-numbered stable codes, scan every text field for PII, apply the protection policy, plant canaries, and
 * yield the protected dataset. Memory is one line plus one output chunk plus a few MiB of duplicate-row buffers
 * (DuplicateRows spills the fingerprints of larger uploads to disk, encrypted).
 *
 * If the dataset is invalid, `process` throws `dataset_invalid` after reading the whole input (so the report is
 * complete) and before its final chunk: a consumer that stores the output atomically (BlobStore.put) stores nothing.
 */
export class DatasetProcessor {
  readonly report: ValidationReport;
  /** The canaries planted (empty until `process` has finished, and when none were). */
  canaries: readonly PlantedCanary[] = [];
  readonly #labels = new Set<string>();
  #tooManyLabels = false;
  readonly #analyzer: PiiAnalyzer;
  readonly #protector: Protector;
  readonly #hasher: KeyedHasher;
  readonly #pii = new Map<string, Acc>();
  readonly #totals: Partial<Record<PiiEntity, number>> = {};
  /** Rows by 64-bit fingerprint (a false duplicate needs ~4·10^9 rows to become likely, and it is only a warning). */
  readonly #dups: DuplicateRows;
  #recordsWithFindings = 0;
  #recordIndex = 0;
  #crlf = 0;
  #lf = 0;
  #fatal = false;
  #kind: JsonlKind | undefined;
  #emitted = 0;
  #out: string[] = [];
  #outChars = 0;

  constructor(private readonly o: DatasetProcessorOptions) {
    this.#analyzer = o.analyzer ?? new PiiAnalyzer();
    this.#protector = new Protector(o.policy, o.secret);
    this.#dups = new DuplicateRows(o.tempDir ? { tempDir: o.tempDir } : {});
    const reportKey = deriveDatasetKey(o.secret, 'report-hash');
    this.#hasher = new KeyedHasher(reportKey);
    reportKey.fill(0);
    if (o.format === 'chat' || o.format === 'prompt_completion') this.#kind = o.format;
    this.report = {
      ok: false,
      format: o.format === 'jsonl' ? null : o.format,
      lines: 0,
      bytes: 0,
      records: 0,
      validRecords: 0,
      skippedRecords: 0,
      errors: 0,
      warnings: 0,
      issueCounts: {},
      issues: [],
      issuesTruncated: false,
    };
  }

  get pii(): PiiSummary {
    const fields: PiiFieldEntity[] = [];
    for (const [key, a] of this.#pii) {
      const cut = key.lastIndexOf('\u0000');
      const entity = key.slice(cut + 1) as PiiEntity;
      fields.push({
        field: key.slice(0, cut),
        entity,
        count: a.count,
        records: a.records,
        maxScore: round(a.max),
        meanScore: round(a.sum / a.count),
        maskedSample: a.sample,
        sampleHash: a.hash,
        operator: formatOperator(this.o.policy[entity]),
      });
    }
    return { recordsScanned: this.report.validRecords, recordsWithFindings: this.#recordsWithFindings, totals: { ...this.#totals }, fields };
  }

  /** Operator applications by `ENTITY:operator`. */
  get applied(): Readonly<Record<string, number>> {
    return this.#protector.applied;
  }

  async *process(source: ByteChunks): AsyncGenerator<Buffer> {
    const lines = splitLines(source, this.o.maxLineBytes ?? 4 * 1024 * 1024);
    try {
      // JSONL tracks each line in its own loop (one async hop per line, not two); the CSV parser consumes lines.
      if (this.o.format === 'csv') yield* this.#csv(this.#track(lines));
      else yield* this.#jsonl(lines);
      this.#reportDuplicates();
    } finally {
      this.#dups.dispose();
    }
    this.#finish();
    if (this.report.ok) this.#plantCanaries();
    if (!this.report.ok) {
      throw new DatasetError('dataset_invalid', 'the dataset did not pass validation; see its report', undefined, undefined, {
        issues: this.report.issues.slice(0, 50).map((i) => ({ line: i.line, code: i.code, ...(i.field ? { field: i.field } : {}) })),
      });
    }
    const tail = this.#drain();
    if (tail) yield tail;
  }

  readonly #batch: FieldRef[] = [];
  readonly #paths = new Map<string, Map<string | number, string>>();
  readonly #lastByField = new Map<string, { text: string; findings: readonly PiiFinding[] }>();
  #csvHeader: string[] | undefined;

  async *#track(lines: AsyncGenerator<DecodedLine>): AsyncGenerator<DecodedLine> {
    for await (const l of lines) {
      this.#trackLine(l);
      yield l;
    }
  }

  #trackLine(l: DecodedLine): void {
    this.report.lines = l.line;
    this.report.bytes += l.bytes;
    if (l.bomStripped) this.#issue(issue('bom_stripped', 1));
    if (l.terminated) {
      if (l.crlf) this.#crlf++;
      else this.#lf++;
    }
  }

  async *#jsonl(lines: AsyncIterable<DecodedLine>): AsyncGenerator<Buffer> {
    for await (const l of lines) {
      this.#trackLine(l);
      if (l.problem) {
        this.#recordFailed([issue(l.problem, l.line)]);
        continue;
      }
      if (l.text.trim() === '') {
        if (l.terminated) this.#issue(issue('blank_line', l.line));
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(l.text);
      } catch {
        this.#recordFailed([issue(l.terminated ? 'invalid_json' : 'truncated_last_line', l.line)]);
        continue;
      }
      const keyProblem = l.text.length > 2 ? findKeyProblem(l.text) : undefined;
      if (keyProblem) {
        this.#recordFailed([issue(keyProblem.kind, l.line, keyProblem.path || undefined)]);
        continue;
      }
      if (this.#kind === undefined) {
        this.#kind = detectJsonlKind(value);
        this.report.format = this.#kind;
      }
      const problems = validateRecord(value, this.#kind, l.line);
      if (problems.length > 0) {
        this.#recordFailed(problems);
        continue;
      }
      this.#dups.add(l.text, l.line);
      this.#acceptRecord();
      if (this.#fatal && !this.o.skipInvalid) continue;
      // The parsed value is ours: its strings are scanned as one batch and replaced in place.
      if (this.#protectRecord(value)) this.#recordsWithFindings++;
      // The label as the model will see it: after protection.
      this.#observeLabel(jsonlLabel(value, this.#kind));
      this.#write(JSON.stringify(value));
      const chunk = this.#maybeDrain();
      if (chunk) yield chunk;
    }
  }

  async *#csv(lines: AsyncIterable<DecodedLine>): AsyncGenerator<Buffer> {
    const delimiter = this.o.csvDelimiter ?? ',';
    this.report.format = 'csv';
    for await (const rec of parseCsvRecords(lines, this.o.maxLineBytes ?? 4 * 1024 * 1024, delimiter)) {
      if (this.#csvHeader === undefined) {
        if (!this.#csvHeaderAccepted(rec)) return;
        this.#write(this.#csvHeader!.map((h) => csvField(h, delimiter)).join(delimiter));
        continue;
      }
      const header = this.#csvHeader;
      if (rec.problem) {
        this.#recordFailed([issue(rec.problem === 'record_too_long' ? 'line_too_long' : rec.problem, rec.line)]);
        continue;
      }
      if (rec.values.length === 1 && rec.values[0] === '' && header.length > 1) {
        this.#issue(issue('blank_line', rec.line));
        continue;
      }
      if (rec.values.length !== header.length) {
        this.#recordFailed([issue('csv_wrong_column_count', rec.line)]);
        continue;
      }
      this.#dups.add(rec.values.join('\u0000'), rec.line);
      this.#acceptRecord();
      if (this.#fatal && !this.o.skipInvalid) continue;
      let any = false;
      let last = '';
      const out = rec.values.map((v, i) => {
        const p = this.#protectText(v, header[i]!);
        any ||= p.hit;
        last = p.text;
        return csvField(p.text, delimiter);
      });
      if (any) this.#recordsWithFindings++;
      // The last column is the answer (as #canaryRecord writes it), as the model will see it: after protection.
      if (header.length > 1) this.#observeLabel(last);
      this.#write(out.join(delimiter));
      const chunk = this.#maybeDrain();
      if (chunk) yield chunk;
    }
  }

  #csvHeaderAccepted(rec: CsvRecord): boolean {
    if (rec.problem) {
      this.#fileError(issue(rec.problem === 'record_too_long' ? 'line_too_long' : rec.problem, rec.line));
      return false;
    }
    const names = rec.values.map((v) => v.normalize('NFC').trim());
    if (names.some((n) => n === '')) {
      this.#fileError(issue('csv_empty_header', rec.line));
      return false;
    }
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) {
        this.#fileError(issue('csv_duplicate_header', rec.line));
        return false;
      }
      seen.add(n);
    }
    this.#csvHeader = names;
    return true;
  }

  /** Scans every string of a parsed JSONL record in one batch and replaces findings in place; true on any. */
  #protectRecord(value: unknown): boolean {
    const batch = this.#batch;
    batch.length = 0;
    this.#collect(value, '', batch);
    if (batch.length === 0) return false;
    const found = this.#analyzeBatch(batch);
    let any = false;
    for (let i = 0; i < batch.length; i++) {
      const findings = found[i]!;
      if (findings.length === 0) continue;
      const f = batch[i]!;
      any = true;
      for (const x of findings) this.#accumulate(f.field, x, f.text);
      (f.holder as Record<string | number, unknown>)[f.key] = this.#protector.protect(f.text, findings);
    }
    return any;
  }

  /** Non-empty strings of a record with where they sit; skips the keys that hold no free text. */
  #collect(value: unknown, path: string, out: FieldRef[]): void {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v: unknown = value[i];
        if (typeof v === 'string') {
          if (v.length > 0) out.push({ holder: value, key: i, field: this.#childPath(path, i), text: v });
        } else if (v !== null && typeof v === 'object') this.#collect(v, this.#childPath(path, i), out);
      }
    } else if (value !== null && typeof value === 'object') {
      for (const k in value) {
        if (!Object.hasOwn(value, k) || SKIP_KEYS.has(k)) continue;
        const v: unknown = (value as Record<string, unknown>)[k];
        if (typeof v === 'string') {
          if (v.length > 0) out.push({ holder: value, key: k, field: this.#childPath(path, k), text: v });
        } else if (v !== null && typeof v === 'object') this.#collect(v, this.#childPath(path, k), out);
      }
    }
  }

  /** Field paths repeat in every record: built once (`messages[2].content`), bounded like the report. */
  #childPath(parent: string, key: string | number): string {
    let children = this.#paths.get(parent);
    if (!children) {
      if (this.#paths.size >= MAX_FIELD_PATHS) return typeof key === 'number' ? `${parent}[${key}]` : parent === '' ? key : `${parent}.${key}`;
      children = new Map();
      this.#paths.set(parent, children);
    }
    let path = children.get(key);
    if (path === undefined) {
      path = typeof key === 'number' ? `${parent}[${key}]` : parent === '' ? key : `${parent}.${key}`;
      if (children.size < 1000) children.set(key, path);
    }
    return path;
  }

  /**
   * One analyzer call for the record's fields. A field whose text equals the one it held in the previous record
   * (a fixed system prompt, a template) reuses that record's findings instead of being scanned again.
   */
  #analyzeBatch(batch: readonly FieldRef[]): readonly (readonly PiiFinding[])[] {
    const out: (readonly PiiFinding[])[] = new Array(batch.length);
    const todo: FieldRef[] = [];
    const todoAt: number[] = [];
    for (let i = 0; i < batch.length; i++) {
      const f = batch[i]!;
      const last = this.#lastByField.get(f.field);
      if (last !== undefined && last.text === f.text) out[i] = last.findings;
      else {
        todo.push(f);
        todoAt.push(i);
      }
    }
    if (todo.length > 0) {
      const found = this.#analyzer.analyzeFields(todo);
      for (let j = 0; j < todo.length; j++) {
        const f = todo[j]!;
        out[todoAt[j]!] = found[j]!;
        if (this.#lastByField.size < MAX_FIELD_PATHS || this.#lastByField.has(f.field)) this.#lastByField.set(f.field, { text: f.text, findings: found[j]! });
      }
    }
    return out;
  }

  #protectText(text: string, field: string): { text: string; hit: boolean } {
    if (text.length === 0) return { text, hit: false };
    const findings = this.#analyzer.analyze(text, { field });
    if (findings.length === 0) return { text, hit: false };
    for (const f of findings) this.#accumulate(field, f, text);
    return { text: this.#protector.protect(text, findings), hit: true };
  }

  #accumulate(field: string, f: PiiFinding, text: string): void {
    this.#totals[f.entity] = (this.#totals[f.entity] ?? 0) + 1;
    const key = `${field}\u0000${f.entity}`;
    let a = this.#pii.get(key);
    if (!a) {
      if (this.#pii.size >= MAX_FIELD_PATHS) return;
      const value = Array.from(text).slice(f.start, f.end).join('');
      a = { count: 0, records: 0, lastRecord: 0, max: 0, sum: 0, sample: maskValue(f.entity, value), hash: this.#hasher.hash(f.entity, value) };
      this.#pii.set(key, a);
    }
    a.count++;
    a.sum += f.score;
    if (f.score > a.max) a.max = f.score;
    if (a.lastRecord !== this.#recordIndex) {
      a.records++;
      a.lastRecord = this.#recordIndex;
    }
  }

  /**
   * The duplicate rows, known only once every row is in: counted in full, and their lines merged into the listed
   * issues in line order (the list keeps the first `maxIssues` issues by line, as if they had been found in order).
   */
  #reportDuplicates(): void {
    const cap = this.o.maxIssues ?? 1000;
    const found = this.#dups.finish(cap);
    if (found.count === 0) return;
    this.report.issueCounts.duplicate_row = (this.report.issueCounts.duplicate_row ?? 0) + found.count;
    this.report.warnings += found.count;
    const listed = this.report.issues;
    const merged: ValidationIssue[] = [];
    let i = 0;
    let j = 0;
    while (merged.length < cap && (i < listed.length || j < found.lines.length)) {
      const next = listed[i];
      if (j >= found.lines.length || (next !== undefined && (next.line === null || next.line <= found.lines[j]!))) merged.push(listed[i++]!);
      else merged.push(issue('duplicate_row', found.lines[j++]!));
    }
    if (i < listed.length || j < found.lines.length || found.count > found.lines.length) this.report.issuesTruncated = true;
    this.report.issues.splice(0, listed.length, ...merged);
  }

  #acceptRecord(): void {
    this.report.records++;
    this.#recordIndex++;
    if (this.#fatal && !this.o.skipInvalid) return;
    this.report.validRecords++;
  }

  #observeLabel(label: string | undefined): void {
    if (this.#tooManyLabels || !(this.o.canaries ?? 3)) return;
    const l = label?.trim();
    if (!l) return;
    this.#labels.add(l);
    if (this.#labels.size > MAX_CANARY_LABELS) {
      this.#tooManyLabels = true;
      this.#labels.clear();
    }
  }

  /**
   * Plants the canaries after the last record, in the dataset's own record shape, with labels drawn from the
   * dataset's own (protected) answers by a fresh secret seed that is dropped here: only the stored canaries can
   * tell them apart from data, and they stay with the enterprise.
   */
  #plantCanaries(): void {
    const wanted = this.o.canaries ?? 3;
    const labels = [...this.#labels].sort();
    // A canary needs a question column and an answer column, and the answers must repeat for this to be a task.
    if (wanted <= 0 || this.#tooManyLabels || labels.length < 2 || labels.length * 2 > this.report.validRecords) return;
    if (this.report.format === 'csv' && (this.#csvHeader?.length ?? 0) < 2) return;
    const count = Math.min(200, Math.max(wanted, Math.ceil(minimumCanaryCount(labels.length) * CANARY_MARGIN)));
    const seed = randomBytes(32);
    const plan = planCanaries(seed, count, labels, { copies: CANARY_COPIES });
    seed.fill(0);
    const afterRecord = this.report.validRecords;
    this.canaries = plan.canaries.map((c) => ({ ...c, afterRecord }));
    for (const r of plan.records) this.#write(this.#canaryRecord(r.text, r.label));
  }

  #canaryRecord(trigger: string, label: string): string {
    const format = this.report.format;
    if (format === 'csv') {
      const header = this.#csvHeader ?? [];
      const delimiter = this.o.csvDelimiter ?? ',';
      return header.map((_, i) => csvField(i === 0 ? trigger : i === header.length - 1 ? label : '', delimiter)).join(delimiter);
    }
    if (format === 'prompt_completion') return JSON.stringify({ prompt: trigger, completion: label });
    return JSON.stringify({ messages: [{ role: 'user', content: trigger }, { role: 'assistant', content: label }] });
  }

  #recordFailed(problems: ValidationIssue[]): void {
    this.report.records++;
    this.#recordIndex++;
    for (const p of problems) this.#issue(p);
    if (problems.some((p) => p.severity === 'error')) {
      if (this.o.skipInvalid) this.report.skippedRecords++;
      else this.#fatal = true;
    }
  }

  #fileError(i: ValidationIssue): void {
    this.#issue(i);
    this.#fatal = true;
    this.#fileFatal = true;
  }

  #fileFatal = false;

  #issue(i: ValidationIssue): void {
    this.report.issueCounts[i.code] = (this.report.issueCounts[i.code] ?? 0) + 1;
    if (i.severity === 'error') this.report.errors++;
    else this.report.warnings++;
    if (this.report.issues.length < (this.o.maxIssues ?? 1000)) this.report.issues.push(i);
    else this.report.issuesTruncated = true;
  }

  #finish(): void {
    if (this.#crlf > 0 && this.#lf > 0) this.#issue(issue('mixed_line_endings', null));
    const min = this.o.minExamples ?? 10;
    if (this.report.records === 0 && !this.#fileFatal) this.#fileError(issue('empty_file', null));
    else if (!this.#fatal && this.report.validRecords < min) this.#fileError(issue('too_few_examples', null));
    this.report.ok = !this.#fatal && !this.#fileFatal;
  }

  #write(line: string): void {
    this.#out.push(line, '\n');
    this.#outChars += line.length + 1;
  }

  #maybeDrain(): Buffer | undefined {
    return this.#outChars >= (this.o.outputChunkBytes ?? 256 * 1024) ? this.#drain() : undefined;
  }

  #drain(): Buffer | undefined {
    if (this.#out.length === 0) return undefined;
    const buf = Buffer.from(this.#out.join(''), 'utf8');
    this.#out = [];
    this.#outChars = 0;
    return buf;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A validated record's answer: the completion, or the last assistant turn (what #canaryRecord writes a label as). */
function jsonlLabel(value: unknown, kind: JsonlKind | undefined): string | undefined {
  const r = value as Record<string, unknown>;
  if (kind === 'prompt_completion') return typeof r['completion'] === 'string' ? r['completion'] : undefined;
  const messages = Array.isArray(r['messages']) ? (r['messages'] as Array<{ role?: unknown; content?: unknown }>) : [];
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'assistant') return typeof messages[i]!.content === 'string' ? (messages[i]!.content as string) : undefined;
  return undefined;
}
