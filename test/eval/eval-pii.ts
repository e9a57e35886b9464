/**
 * Span-level evaluation of the PII scanner on Presidio's synthetic dev set (test/fixtures/pii).
 *
 *   node dist/test/eval/eval-pii.js [path/to/file.jsonl] [--json]
 *
 * Matching: per record and entity, gold and predicted spans are paired one-to-one, best character IoU first; a
 * pair counts when IoU >= 0.5. Unpaired predictions are false positives (also when they sit on a label we do not
 * score, e.g. an ORGANIZATION called PERSON), unpaired gold spans false negatives. F2 weighs recall 2x.
 *
 * Label mapping lives here and only here. Like Presidio's SpanEvaluator (which builds spans from consecutive
 * tokens of one type), same-label spans separated only by whitespace are merged, in gold and in predictions.
 * Predictions are not joined any further: the scanner's ADDRESS is already one span over the whole postal address
 * (street, unit, city, region, postcode, country). The GOLD labels of this file split that same address into
 * fragments (ADDRESS "4844" / "Søndergade 52" / "Apt. 656", LOCATION "Brønderslev", LOCATION "Denmark", ADDRESS
 * "35018") in some templates and keep it whole in others, so on the gold side LOCATION and ZIP_CODE spans chained
 * directly onto an address (only whitespace/punctuation between) join it ("address block"). The report also prints
 * the score against the unjoined gold fragments ("strict"), where a whole-address prediction counts as a miss. Labels we have no entity for (ORGANIZATION, standalone
 * LOCATION, TITLE, AGE, NRP, DATE_TIME, DOMAIN_NAME — we report only URLs with credentials) are not scored.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PiiAnalyzer, type PiiEntity, type PiiFinding } from '@confide/pii';

export interface LabelledSpan {
  start: number;
  end: number;
  label: string;
}
export interface LabelledRecord {
  id: string;
  text: string;
  spans: LabelledSpan[];
}

const LABEL_MAP: Readonly<Record<string, PiiEntity>> = {
  PERSON: 'PERSON',
  ADDRESS: 'ADDRESS',
  CREDIT_CARD: 'CREDIT_CARD',
  PHONE: 'PHONE',
  EMAIL: 'EMAIL',
  IBAN: 'IBAN',
  US_SSN: 'US_SSN',
  IP_ADDRESS: 'IP_ADDRESS',
  DRIVER_LICENSE: 'DRIVER_LICENSE',
};
const ADDRESS_PARTS = new Set(['LOCATION', 'ZIP_CODE']);
/**
 * The file has no date-of-birth label: birth dates are DATE_TIME ("She was born on 2/8/1935"). A DATE_OF_BIRTH
 * finding on a DATE_TIME span can therefore be neither confirmed nor refuted here; it is counted apart
 * (`unscoredDateOfBirth`). DATE_OF_BIRTH anywhere else is a false positive.
 */
const UNSCORED_ON: Readonly<Partial<Record<PiiEntity, string>>> = { DATE_OF_BIRTH: 'DATE_TIME' };

export interface EntityScore {
  entity: string;
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f2: number;
}
export interface EvalReport {
  records: number;
  iouThreshold: number;
  perEntity: EntityScore[];
  overall: EntityScore;
  strictOverall: EntityScore;
  exactMatchOverall: EntityScore;
  /** Record level: records with any gold PII that got at least one finding / records flagged that have gold. */
  recordRecall: number;
  recordPrecision: number;
  unscoredDateOfBirth: number;
}

interface Span {
  start: number;
  end: number;
  entity: string;
}

// Punctuation, and the "> " / "| " markers of quoted e-mail lines.
const GAP_RE = /^[\s,.;:()\-–>|]*$/;
const WHITESPACE_RE = /^\s*$/;

function mergeAdjacent(text: string, spans: Span[], addressGaps = true): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const s of sorted) {
    const prev = out.at(-1);
    const gap = s.entity === 'ADDRESS' && addressGaps ? GAP_RE : WHITESPACE_RE;
    if (prev && prev.entity === s.entity && s.start >= prev.end && gap.test(text.slice(prev.end, s.start))) {
      prev.end = Math.max(prev.end, s.end);
    } else if (prev && prev.entity === s.entity && s.start < prev.end) {
      prev.end = Math.max(prev.end, s.end);
    } else {
      out.push({ ...s });
    }
  }
  return out;
}

export function goldSpans(record: LabelledRecord, addressBlocks: boolean): Span[] {
  const spans: Span[] = [];
  const sorted = [...record.spans].sort((a, b) => a.start - b.start);
  // Address block: LOCATION/ZIP_CODE parts chained (only whitespace/punctuation between) onto an ADDRESS span.
  const asAddress = new Set<LabelledSpan>();
  if (addressBlocks) {
    for (let i = 0; i < sorted.length; i++) {
      if (sorted[i]!.label !== 'ADDRESS') continue;
      for (let j = i + 1; j < sorted.length; j++) {
        const s = sorted[j]!;
        const prev = sorted[j - 1]!;
        if (!(s.label === 'ADDRESS' || ADDRESS_PARTS.has(s.label)) || !GAP_RE.test(record.text.slice(prev.end, s.start))) break;
        asAddress.add(s);
      }
    }
  }
  for (const s of sorted) {
    const entity = asAddress.has(s) ? 'ADDRESS' : LABEL_MAP[s.label];
    if (entity) spans.push({ start: s.start, end: s.end, entity });
  }
  return mergeAdjacent(record.text, spans);
}

function iou(a: Span, b: Span): number {
  const inter = Math.min(a.end, b.end) - Math.max(a.start, b.start);
  if (inter <= 0) return 0;
  return inter / (Math.max(a.end, b.end) - Math.min(a.start, b.start));
}

function score(entity: string, tp: number, fp: number, fn: number): EntityScore {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f2 = precision + recall === 0 ? 0 : (5 * precision * recall) / (4 * precision + recall);
  return { entity, tp, fp, fn, precision, recall, f2 };
}

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

function match(gold: Span[], pred: Span[], threshold: number, counts: Map<string, Counts>): void {
  const get = (e: string): Counts => {
    let c = counts.get(e);
    if (!c) counts.set(e, (c = { tp: 0, fp: 0, fn: 0 }));
    return c;
  };
  const pairs: { g: number; p: number; v: number }[] = [];
  gold.forEach((g, gi) =>
    pred.forEach((p, pi) => {
      if (g.entity !== p.entity) return;
      const v = iou(g, p);
      if (v >= threshold) pairs.push({ g: gi, p: pi, v });
    }),
  );
  pairs.sort((a, b) => b.v - a.v);
  const gUsed = new Set<number>();
  const pUsed = new Set<number>();
  for (const { g, p } of pairs) {
    if (gUsed.has(g) || pUsed.has(p)) continue;
    gUsed.add(g);
    pUsed.add(p);
    get(gold[g]!.entity).tp++;
  }
  gold.forEach((g, i) => {
    if (!gUsed.has(i)) get(g.entity).fn++;
  });
  pred.forEach((p, i) => {
    if (!pUsed.has(i)) get(p.entity).fp++;
  });
}

function summarise(counts: Map<string, Counts>): { perEntity: EntityScore[]; overall: EntityScore } {
  const perEntity = [...counts].map(([e, c]) => score(e, c.tp, c.fp, c.fn)).sort((a, b) => b.tp + b.fn - (a.tp + a.fn));
  const t = [...counts.values()].reduce((s, c) => ({ tp: s.tp + c.tp, fp: s.fp + c.fp, fn: s.fn + c.fn }), { tp: 0, fp: 0, fn: 0 });
  return { perEntity, overall: score('ALL', t.tp, t.fp, t.fn) };
}

export function loadRecords(path: string): LabelledRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LabelledRecord);
}

/** Runs the analyzer over every record and scores it. Offsets in the file are code points, as are ours. */
export function evaluate(records: readonly LabelledRecord[], analyzer = new PiiAnalyzer(), iouThreshold = 0.5): EvalReport {
  const blockCounts = new Map<string, Counts>();
  const strictCounts = new Map<string, Counts>();
  const exactCounts = new Map<string, Counts>();
  let unscored = 0;
  let withGold = 0;
  let withGoldFlagged = 0;
  let flagged = 0;
  let flaggedWithGold = 0;
  for (const r of records) {
    const findings: PiiFinding[] = analyzer.analyze(r.text).filter((f) => {
      const on = UNSCORED_ON[f.entity];
      if (on === undefined || !r.spans.some((s) => s.label === on && s.start < f.end && f.start < s.end)) return true;
      unscored++;
      return false;
    });
    // Offsets are code points; the file has only BMP characters, so they index the JS string directly too.
    // Predictions are merged across whitespace only: the scanner's ADDRESS is already the whole postal address.
    const pred = mergeAdjacent(r.text, findings.map((f) => ({ start: f.start, end: f.end, entity: f.entity })), false);
    const gold = goldSpans(r, true);
    match(gold, pred, iouThreshold, blockCounts);
    match(goldSpans(r, false), pred, iouThreshold, strictCounts);
    match(gold, pred, 1, exactCounts);
    if (gold.length > 0) {
      withGold++;
      if (pred.length > 0) withGoldFlagged++;
    }
    if (pred.length > 0) {
      flagged++;
      if (gold.length > 0) flaggedWithGold++;
    }
  }
  const block = summarise(blockCounts);
  return {
    records: records.length,
    iouThreshold,
    perEntity: block.perEntity,
    overall: block.overall,
    strictOverall: summarise(strictCounts).overall,
    exactMatchOverall: summarise(exactCounts).overall,
    recordRecall: withGold === 0 ? 1 : withGoldFlagged / withGold,
    recordPrecision: flagged === 0 ? 1 : flaggedWithGold / flagged,
    unscoredDateOfBirth: unscored,
  };
}

export function formatReport(report: EvalReport): string {
  const f = (x: number): string => x.toFixed(3);
  const row = (s: EntityScore): string =>
    `${s.entity.padEnd(16)} ${f(s.precision)}  ${f(s.recall)}  ${f(s.f2)}  ${String(s.tp).padStart(5)} ${String(s.fp).padStart(5)} ${String(s.fn).padStart(5)}`;
  return [
    `PII span evaluation: ${report.records} records, IoU >= ${report.iouThreshold}`,
    `${'entity'.padEnd(16)} P      R      F2        TP    FP    FN`,
    ...report.perEntity.map(row),
    row(report.overall),
    `strict (address fragments not joined): P ${f(report.strictOverall.precision)} R ${f(report.strictOverall.recall)} F2 ${f(report.strictOverall.f2)}`,
    `exact boundaries: P ${f(report.exactMatchOverall.precision)} R ${f(report.exactMatchOverall.recall)} F2 ${f(report.exactMatchOverall.f2)}`,
    `record level (any PII): P ${f(report.recordPrecision)} R ${f(report.recordRecall)}`,
    `DATE_OF_BIRTH findings on DATE_TIME spans (no DOB label in this file, not scored): ${report.unscoredDateOfBirth}`,
  ].join('\n');
}

export function main(argv: readonly string[] = process.argv.slice(2)): number {
  const path = resolve(argv.find((a) => !a.startsWith('--')) ?? 'test/fixtures/pii/presidio_synth_v2.dev.jsonl');
  const started = performance.now();
  const report = evaluate(loadRecords(path));
  const ms = performance.now() - started;
  if (argv.includes('--json')) process.stdout.write(JSON.stringify(report) + '\n');
  else process.stdout.write(`${formatReport(report)}\n(${ms.toFixed(0)} ms)\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main();
}
