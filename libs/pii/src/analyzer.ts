import type { CountryCode } from 'libphonenumber-js/max';
import { CONTEXT_WORDS, fieldHint } from './context.js';
import { AddressDetector } from './detectors/address.detector.js';
import { DateOfBirthDetector } from './detectors/date-of-birth.detector.js';
import type { Detector } from './detectors/detector.js';
import { DriverLicenseDetector, PassportDetector } from './detectors/document-number.detector.js';
import { EmailDetector } from './detectors/email.detector.js';
import { BankAccountDetector, BankRoutingDetector, CreditCardDetector, IbanDetector } from './detectors/financial.detector.js';
import { NATIONAL_ID_KINDS, NationalIdDetector, type NationalIdKind } from './detectors/national-id.detector.js';
import { IpAddressDetector, MacAddressDetector, UrlCredentialsDetector } from './detectors/network.detector.js';
import { PersonDetector } from './detectors/person.detector.js';
import { PhoneDetector } from './detectors/phone.detector.js';
import { SecretDetector } from './detectors/secret.detector.js';
import { UsSsnDetector } from './detectors/us-ssn.detector.js';
import { PII_ENTITIES, isPiiEntity, type Candidate, type PiiEntity, type PiiFinding } from './entities.js';
import { PiiError } from './pii.error.js';
import { utf16ToCodePointMapper } from './text/code-points.js';
import { ContextIndex, contextNear, entityBit, type TextProfile } from './text/context-index.js';

/** Presidio's default regions with its "UK" typo fixed (#2173), plus the larger EU markets. */
export const DEFAULT_PHONE_REGIONS: readonly CountryCode[] = ['US', 'GB', 'DE', 'FR', 'IL', 'IN', 'CA', 'BR', 'ES', 'IT', 'NL', 'AU'];

export const DEFAULT_THRESHOLDS: Readonly<Record<PiiEntity, number>> = {
  EMAIL: 0.4,
  PHONE: 0.4,
  CREDIT_CARD: 0.4,
  IBAN: 0.4,
  US_SSN: 0.4,
  IP_ADDRESS: 0.4,
  MAC_ADDRESS: 0.4,
  SECRET: 0.5,
  DATE_OF_BIRTH: 0.5,
  NATIONAL_ID: 0.5,
  BANK_ACCOUNT: 0.5,
  BANK_ROUTING: 0.5,
  PASSPORT: 0.5,
  DRIVER_LICENSE: 0.5,
  URL: 0.5,
  PERSON: 0.5,
  ADDRESS: 0.5,
};

export interface DenyListEntry {
  value: string;
  entity: PiiEntity;
}

export interface PiiAnalyzerConfig {
  /** Entities to report (default: all). */
  entities?: readonly PiiEntity[];
  /** Minimum score per entity; overrides DEFAULT_THRESHOLDS. */
  thresholds?: Partial<Record<PiiEntity, number>>;
  /** Regions whose national phone formats are accepted (ISO 3166 alpha-2); +CC numbers are always parsed. */
  phoneRegions?: readonly CountryCode[];
  /** Checksummed national ids to look for (default: all kinds). */
  nationalIds?: readonly NationalIdKind[];
  /** Values never reported (case-insensitive exact match) or patterns tested against the whole span. */
  allow?: readonly (string | RegExp)[];
  /** Values always reported as the given entity (whole-word, case-insensitive) with score 1. */
  deny?: readonly DenyListEntry[];
  /** Characters of context looked at before and after a candidate. */
  contextWindow?: { before: number; after: number };
  /** Score added when a context word is near a candidate that names no context score of its own. */
  contextBoost?: number;
  /** Upper bound for a plausible birth year (default: this year). */
  currentYear?: number;
}

export interface AnalyzeOptions {
  /** Field path or column name the text came from (e.g. `messages[2].content`, `email`): used as a hint. */
  field?: string;
}

const FIELD_FALLBACK_SHAPES: Partial<Record<PiiEntity, RegExp>> = {
  PERSON: /^\p{L}[\p{L}\p{M}'’.-]*(?:[ ]+\p{L}[\p{L}\p{M}'’.-]*){0,5}$/u,
  ADDRESS: /^(?=.*\p{L})(?=.*\d)[\s\S]{5,200}$/u,
  SECRET: /^\S{4,200}$/,
};

/**
 * Runs every enabled detector over a string, raises scores near context words or in hinted fields, applies
 * allow/deny lists and per-entity thresholds, and resolves overlaps (higher score wins, then the longer span).
 */
export class PiiAnalyzer {
  private readonly detectors: readonly Detector[];
  private readonly enabled: ReadonlySet<PiiEntity>;
  private readonly thresholds: Readonly<Record<PiiEntity, number>>;
  private readonly context: ContextIndex;
  private readonly allowValues: ReadonlySet<string>;
  private readonly allowPatterns: readonly RegExp[];
  private readonly deny: readonly { entity: PiiEntity; re: RegExp }[];
  private readonly before: number;
  private readonly after: number;
  private readonly boost: number;

  constructor(config: PiiAnalyzerConfig = {}) {
    const entities = config.entities ?? PII_ENTITIES;
    for (const e of entities) if (!isPiiEntity(e)) throw new PiiError('unknown_entity', 'Unknown entity in scan config.', 'entities');
    this.enabled = new Set(entities);
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...config.thresholds };
    for (const [e, t] of Object.entries(this.thresholds)) {
      if (!isPiiEntity(e) || typeof t !== 'number' || !(t >= 0 && t <= 1)) {
        throw new PiiError('config_invalid', 'Thresholds must be numbers in [0, 1] keyed by entity.', 'thresholds');
      }
    }
    const regions = config.phoneRegions ?? DEFAULT_PHONE_REGIONS;
    for (const r of regions) {
      if (!/^[A-Z]{2}$/.test(r)) throw new PiiError('unknown_region', 'Phone regions are ISO 3166 alpha-2 codes (e.g. GB, not UK).', 'phoneRegions');
    }
    if (regions.includes('UK' as CountryCode)) throw new PiiError('unknown_region', 'Use GB, not UK.', 'phoneRegions');
    const nationalIds = config.nationalIds ?? NATIONAL_ID_KINDS;
    for (const k of nationalIds) {
      if (!(NATIONAL_ID_KINDS as readonly string[]).includes(k)) throw new PiiError('config_invalid', 'Unknown national id kind.', 'nationalIds');
    }
    const currentYear = config.currentYear ?? new Date().getUTCFullYear();
    const all: Detector[] = [
      new SecretDetector(),
      new UrlCredentialsDetector(),
      new EmailDetector(),
      new CreditCardDetector(),
      new IbanDetector(),
      new UsSsnDetector(),
      new IpAddressDetector(),
      new MacAddressDetector(),
      new NationalIdDetector(nationalIds),
      new PhoneDetector(regions),
      new BankRoutingDetector(),
      new BankAccountDetector(),
      new PassportDetector(),
      new DriverLicenseDetector(),
      new DateOfBirthDetector(currentYear),
      new AddressDetector(),
      new PersonDetector(),
    ];
    this.detectors = all.filter((d) => d.entities.some((e) => this.enabled.has(e)));
    this.context = new ContextIndex(CONTEXT_WORDS, this.detectors.flatMap((d) => d.featureWords ?? []));
    this.allowValues = new Set((config.allow ?? []).filter((a): a is string => typeof a === 'string').map((a) => a.trim().toLowerCase()));
    this.allowPatterns = (config.allow ?? []).filter((a): a is RegExp => a instanceof RegExp);
    const denyByEntity = new Map<PiiEntity, string[]>();
    for (const d of config.deny ?? []) {
      if (!isPiiEntity(d.entity) || typeof d.value !== 'string' || d.value.trim() === '') {
        throw new PiiError('config_invalid', 'Deny-list entries need a non-empty value and a known entity.', 'deny');
      }
      denyByEntity.set(d.entity, [...(denyByEntity.get(d.entity) ?? []), d.value.trim()]);
    }
    this.deny = [...denyByEntity].map(([entity, values]) => ({
      entity,
      re: new RegExp(
        `(?<![\\p{L}\\p{N}])(?:${values
          .sort((a, b) => b.length - a.length)
          .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('|')})(?![\\p{L}\\p{N}])`,
        'giu',
      ),
    }));
    this.before = config.contextWindow?.before ?? 60;
    this.after = config.contextWindow?.after ?? 30;
    this.boost = config.contextBoost ?? 0.35;
  }

  /** Findings for one string, sorted by start; offsets in Unicode code points. */
  analyze(text: string, options: AnalyzeOptions = {}): PiiFinding[] {
    if (text.length === 0) return [];
    const hint = fieldHint(options.field);
    const candidates: Candidate[] = [];
    // One pass over the text finds every context word; it runs only when something needs it: a gated detector
    // or the street finder (both only in text with digits), or several candidates asking for context.
    const hasDigit = DIGIT_TEST_RE.test(text);
    let profile: TextProfile | undefined;
    const full = (): TextProfile => (profile ??= this.context.profile(text));
    let windows: readonly (readonly [number, number, number])[] | undefined;
    for (const detector of this.detectors) {
      const gate = detector.gatedBy;
      if (gate !== undefined && gate !== hint && (!hasDigit || (full().mask & entityBit(gate)) === 0)) continue;
      if (detector.needsDigits && !hasDigit) continue;
      if (!detector.needsDigits) {
        detector.detect(text, candidates, hasDigit && detector.featureWords ? full() : profile);
        continue;
      }
      windows ??= digitWindows(text);
      const minDigits = detector.minDigits ?? 1;
      for (const [from, to, digits] of windows) {
        // Fewer digits in the whole window than any match of this detector holds: nothing to find there.
        if (digits < minDigits) continue;
        if (from === 0 && to === text.length) {
          detector.detect(text, candidates, profile, 0, digits);
          continue;
        }
        const before = candidates.length;
        detector.detect(text.slice(from, to), candidates, undefined, from, digits);
        for (let i = before; i < candidates.length; i++) {
          candidates[i]!.start += from;
          candidates[i]!.end += from;
        }
      }
    }
    for (const { entity, re } of this.deny) {
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        candidates.push({ entity, start: m.index, end: m.index + m[0].length, score: 1, reason: `${entity.toLowerCase()}:deny_list`, contextChecked: true });
      }
    }

    const kept: Candidate[] = [];
    // Few candidates in a long text: look at their windows only instead of the whole text.
    const context = (c: Candidate): boolean => {
      if (profile !== undefined || text.length <= 2 * (this.before + this.after) || candidates.length > 4) {
        return contextNear(full(), entityBit(c.entity), c.start, c.end, this.before, this.after);
      }
      const from = Math.max(0, c.start - this.before);
      const window = this.context.profile(text.slice(from, c.end + this.after));
      return contextNear(window, entityBit(c.entity), c.start - from, c.end - from, this.before, this.after);
    };
    for (const c of candidates) {
      if (!this.enabled.has(c.entity)) continue;
      if (!c.contextChecked && c.score < 1) this.applyContext(c, hint, context);
      if (c.score < this.thresholds[c.entity]) continue;
      if (this.isAllowed(text.slice(c.start, c.end))) continue;
      kept.push(c);
    }
    if (hint !== undefined && this.enabled.has(hint)) this.fieldFallback(text, hint, kept);
    return this.finalise(text, resolveOverlaps(kept));
  }

  /**
   * Findings for several strings at once (the fields of one record), in input order. Same result as `analyze`
   * per field; one call per record instead of one per field.
   */
  analyzeFields(fields: readonly { readonly text: string; readonly field?: string }[]): PiiFinding[][] {
    const out: PiiFinding[][] = new Array(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      out[i] = f.text.length === 0 ? [] : this.analyze(f.text, f.field === undefined ? {} : { field: f.field });
    }
    return out;
  }

  private applyContext(c: Candidate, hint: PiiEntity | undefined, near: (c: Candidate) => boolean): void {
    const boosted = c.contextScore ?? Math.min(1, Math.max(c.score + this.boost, 0.4));
    // A boost that cannot lift the candidate over its threshold changes nothing: skip the lookup.
    if (boosted <= c.score || boosted < this.thresholds[c.entity]) return;
    const found = hint === c.entity || near(c);
    if (found) {
      c.score = boosted;
      c.reason += hint === c.entity ? '+field_hint' : '+context';
    }
  }

  private fieldFallback(text: string, hint: PiiEntity, kept: Candidate[]): void {
    const shape = FIELD_FALLBACK_SHAPES[hint];
    if (!shape || kept.some((c) => c.entity === hint)) return;
    const trimmedStart = text.length - text.trimStart().length;
    const value = text.trim();
    if (!shape.test(value) || this.isAllowed(value) || /^\d+$/.test(value)) return;
    const score = 0.75;
    if (score < this.thresholds[hint]) return;
    kept.push({ entity: hint, start: trimmedStart, end: trimmedStart + value.length, score, reason: `${hint.toLowerCase()}:field_hint_value` });
  }

  private isAllowed(value: string): boolean {
    if (this.allowValues.size > 0 && this.allowValues.has(value.trim().toLowerCase())) return true;
    for (const re of this.allowPatterns) {
      re.lastIndex = 0;
      if (re.test(value)) return true;
    }
    return false;
  }

  private finalise(text: string, kept: Candidate[]): PiiFinding[] {
    if (kept.length === 0) return [];
    const toCp = utf16ToCodePointMapper(text);
    return kept.map((c) => ({
      entity: c.entity,
      start: toCp(c.start),
      end: toCp(c.end),
      score: Math.round(Math.min(1, Math.max(0, c.score)) * 1000) / 1000,
      reason: c.reason,
    }));
  }
}

const DIGIT_TEST_RE = /\d/;
const DIGIT_RE = /\d/g;
const WINDOW_BEFORE = 64;
const WINDOW_AFTER = 128;

/**
 * Spans of text around digits (merged, snapped outward to whitespace) so digit-bearing detectors skip prose, with
 * the ASCII digits in each. The margins cover the words an address or IBAN carries before its first digit and the
 * lines after it.
 */
export function digitWindows(text: string): [number, number, number][] {
  const out: [number, number, number][] = [];
  const n = text.length;
  // The regex engine jumps to the next digit far faster than a char-code loop walks prose to it; `test` with a
  // global regex allocates no match array.
  let i = 0;
  while (i < n) {
    DIGIT_RE.lastIndex = i;
    if (!DIGIT_RE.test(text)) break;
    const runStart = DIGIT_RE.lastIndex - 1;
    i = runStart;
    while (i < n && isDigitCode(text.charCodeAt(i))) i++;
    let from = Math.max(0, runStart - WINDOW_BEFORE);
    while (from > 0 && !isSpace(text.charCodeAt(from - 1))) from--;
    const to = Math.min(n, i + WINDOW_AFTER);
    const last = out[out.length - 1];
    if (last && from <= last[1]) {
      last[1] = Math.max(last[1], to);
      last[2] += i - runStart;
    } else {
      out.push([from, to, i - runStart]);
    }
  }
  for (const w of out) {
    while (w[1] < n && !isSpace(text.charCodeAt(w[1]))) w[1]++;
  }
  return out;
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Greedy: highest score first (longer span on ties); a candidate overlapping a kept one is dropped. */
function resolveOverlaps(candidates: Candidate[]): Candidate[] {
  if (candidates.length <= 1) return candidates;
  const byScore = [...candidates].sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Candidate[] = [];
  for (const c of byScore) {
    let overlaps = false;
    for (const k of kept) {
      if (c.start < k.end && k.start < c.end) {
        overlaps = true;
        break;
      }
    }
    if (!overlaps) kept.push(c);
  }
  return kept.sort((a, b) => a.start - b.start);
}
