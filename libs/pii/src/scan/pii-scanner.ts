import { PiiAnalyzer, type PiiAnalyzerConfig } from '../analyzer.js';
import type { PiiEntity, PiiFinding } from '../entities.js';
import { PiiError } from '../pii.error.js';
import { codePointSlice } from '../text/code-points.js';
import { KeyedHasher, maskValue } from './mask.js';
import { readCsvRecords, readJsonlRecords, type ByteSource, type FieldText, type SourceRecord } from './record-reader.js';

export type RecordFormat = 'jsonl' | 'csv';

export interface PiiScannerOptions {
  format: RecordFormat;
  /** HMAC-SHA256 key (≥ 16 bytes) for the keyed hashes in reports; hold it per dataset. */
  hashKey: Uint8Array;
  /** An analyzer to share, or the config to build one. */
  analyzer?: PiiAnalyzer | PiiAnalyzerConfig;
  /** Only scan these fields: exact paths (`messages[2].content`) or last keys (`content`). */
  textFields?: readonly string[];
  /** Longest record accepted (UTF-16 code units); longer ones are reported as `record_too_long`. */
  maxRecordChars?: number;
  /** CSV field delimiter (default `,`). */
  csvDelimiter?: string;
}

export interface SpanFinding {
  field: string;
  start: number;
  end: number;
  entity: PiiEntity;
  score: number;
}

/** One line of `--spans` output. */
export interface SpanRecord {
  line: number;
  findings: SpanFinding[];
  error?: string;
}

export interface FieldEntitySummary {
  entity: PiiEntity;
  count: number;
  /** Records in which this field held the entity at least once. */
  records: number;
  maxScore: number;
  meanScore: number;
  /** First value seen, masked. */
  maskedSample: string;
  /** HMAC-SHA256 (hex) of the first value seen, normalised; lets an auditor link values without seeing them. */
  sampleHash: string;
}

export interface FieldSummary {
  field: string;
  /** Records that had this field. */
  records: number;
  recordsWithFindings: number;
  entities: FieldEntitySummary[];
}

export interface PiiScanReport {
  records: number;
  bytes: number;
  invalidRecords: number;
  invalidByCode: Record<string, number>;
  recordsWithFindings: number;
  totals: Partial<Record<PiiEntity, number>>;
  fields: FieldSummary[];
}

interface EntityAcc {
  count: number;
  records: number;
  lastRecord: number;
  max: number;
  sum: number;
  sample: string;
  hash: string;
}
interface FieldAcc {
  records: number;
  withFindings: number;
  entities: Map<PiiEntity, EntityAcc>;
}

const MAX_FIELDS = 10_000;

/**
 * Scans a JSONL or CSV stream record by record and field by field. Reports hold counts, scores, a masked sample
 * and a keyed hash per field and entity — never a raw value.
 */
export class PiiScanner {
  private readonly analyzer: PiiAnalyzer;
  private readonly hasher: KeyedHasher;
  private readonly textFields: ReadonlySet<string> | undefined;
  private readonly maxRecordChars: number;
  private readonly lastByField = new Map<string, { text: string; findings: readonly PiiFinding[] }>();

  constructor(private readonly options: PiiScannerOptions) {
    if (options.format !== 'jsonl' && options.format !== 'csv') {
      throw new PiiError('config_invalid', 'Format must be jsonl or csv.', 'format');
    }
    this.analyzer = options.analyzer instanceof PiiAnalyzer ? options.analyzer : new PiiAnalyzer(options.analyzer);
    this.hasher = new KeyedHasher(options.hashKey);
    this.textFields = options.textFields && options.textFields.length > 0 ? new Set(options.textFields) : undefined;
    this.maxRecordChars = options.maxRecordChars ?? 8 * 1024 * 1024;
  }

  /** Per-record findings, one item per input record, in input order. */
  async *spans(source: ByteSource): AsyncGenerator<SpanRecord> {
    for await (const record of this.records(source)) {
      if (record.error) {
        yield { line: record.line, findings: [], error: record.error };
        continue;
      }
      const findings: SpanFinding[] = [];
      for (const f of record.fields) {
        if (!this.wanted(f)) continue;
        for (const x of this.analyze(f)) {
          findings.push({ field: f.field, start: x.start, end: x.end, entity: x.entity, score: x.score });
        }
      }
      yield { line: record.line, findings };
    }
  }

  /** Whole-stream summary per field path. */
  async scan(source: ByteSource): Promise<PiiScanReport> {
    const fields = new Map<string, FieldAcc>();
    const totals: Partial<Record<PiiEntity, number>> = {};
    const invalidByCode: Record<string, number> = {};
    let records = 0;
    let bytes = 0;
    let invalid = 0;
    let withFindings = 0;
    for await (const record of this.records(source)) {
      records++;
      bytes += record.bytes;
      if (record.error) {
        invalid++;
        invalidByCode[record.error] = (invalidByCode[record.error] ?? 0) + 1;
        continue;
      }
      let any = false;
      for (const f of record.fields) {
        if (!this.wanted(f)) continue;
        let acc = fields.get(f.field);
        if (!acc) {
          if (fields.size >= MAX_FIELDS) continue;
          acc = { records: 0, withFindings: 0, entities: new Map() };
          fields.set(f.field, acc);
        }
        acc.records++;
        const found = this.analyze(f);
        if (found.length === 0) continue;
        acc.withFindings++;
        any = true;
        for (const x of found) this.accumulate(acc, x, f.text, records);
        for (const x of found) totals[x.entity] = (totals[x.entity] ?? 0) + 1;
      }
      if (any) withFindings++;
    }
    return {
      records,
      bytes,
      invalidRecords: invalid,
      invalidByCode,
      recordsWithFindings: withFindings,
      totals,
      fields: [...fields]
        .filter(([, a]) => a.withFindings > 0)
        .map(([field, a]) => ({
          field,
          records: a.records,
          recordsWithFindings: a.withFindings,
          entities: [...a.entities].map(([entity, e]) => ({
            entity,
            count: e.count,
            records: e.records,
            maxScore: e.max,
            meanScore: Math.round((e.sum / e.count) * 1000) / 1000,
            maskedSample: e.sample,
            sampleHash: e.hash,
          })),
        })),
    };
  }

  /**
   * The analyzer's findings for one field. A field whose text equals the one it held in the previous record (a
   * fixed system prompt, a template) reuses that record's findings instead of being scanned again.
   */
  private analyze(f: FieldText): readonly PiiFinding[] {
    const last = this.lastByField.get(f.field);
    if (last !== undefined && last.text === f.text) return last.findings;
    const findings = this.analyzer.analyze(f.text, { field: f.field });
    if (this.lastByField.size < MAX_FIELDS || this.lastByField.has(f.field)) this.lastByField.set(f.field, { text: f.text, findings });
    return findings;
  }

  private accumulate(acc: FieldAcc, x: PiiFinding, text: string, recordNo: number): void {
    let e = acc.entities.get(x.entity);
    if (!e) {
      const value = codePointSlice(text, x.start, x.end);
      e = { count: 0, records: 0, lastRecord: 0, max: 0, sum: 0, sample: maskValue(x.entity, value), hash: this.hasher.hash(x.entity, value) };
      acc.entities.set(x.entity, e);
    }
    e.count++;
    e.sum += x.score;
    if (x.score > e.max) e.max = x.score;
    if (e.lastRecord !== recordNo) {
      e.records++;
      e.lastRecord = recordNo;
    }
  }

  private wanted(f: FieldText): boolean {
    if (!this.textFields) return true;
    if (this.textFields.has(f.field)) return true;
    const last = /([^.[\]]+)\]?$/.exec(f.field)?.[1];
    return last !== undefined && this.textFields.has(last);
  }

  private records(source: ByteSource): AsyncGenerator<SourceRecord> {
    const limits = { maxRecordChars: this.maxRecordChars };
    return this.options.format === 'csv'
      ? readCsvRecords(source, limits, this.options.csvDelimiter ?? ',')
      : readJsonlRecords(source, limits);
  }
}
