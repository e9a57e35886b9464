import type { Candidate } from '../entities.js';
import { commonEnglishWords, commonEnglishWordsTop, HONORIFICS, UNIT_WORDS, humanNames, NAME_PARTICLES, NON_NAME_WORDS, PLACE_NAMES } from '../lexicon/lexicon.js';
import type { Detector } from './detector.js';

// A capitalised token (O'Brien, McPherson, Weeks-Rivas), an honorific with its period, or an initial ("J.").
const NAME =
  "(?:Mr|Mrs|Ms|Dr|Prof|Sr|Sra|Srta|Mme|Mlle|Rev|Fr|Mx)\\.|\\p{Lu}(?:['’]\\p{Lu})?[\\p{Ll}\\p{M}]+(?:\\p{Lu}[\\p{Ll}\\p{M}]+)?(?:-\\p{Lu}[\\p{Ll}\\p{M}]+)?|(?!I\\b)\\p{Lu}\\.?";
const PARTICLE = `(?:${[...NAME_PARTICLES].join('|')})`;
const RUN_RE = new RegExp(
  `(?<![\\p{L}\\p{M}\\p{N}'’@./_-])(?:${NAME})(?:[ \\t]+(?:${PARTICLE}[ \\t]+)*(?:${NAME})){0,5}(?![\\p{L}\\p{M}\\p{N}@])`,
  'uy',
);
const LOWER_RUN_RE = /(?<![\p{L}\p{M}\p{N}@._\/-])[\p{Ll}\p{M}'’-]+\.?(?:[ \t]+[\p{Ll}\p{M}'’-]+\.?)*/gu;
const INITIAL_RE = /^\p{Lu}\.?$/u;
const SENTENCE_START_RE = /(?:^|[.!?"“(\n]\s*|\n\s*)$/;
// What tends to follow a person's name in running text or a transcript ("Alvir spent", "Ubul: What", "Kim's").
const FOLLOWED_BY_VERB_RE =
  /^(?:['’]s\b|:\s|\s+(?:is|was|has|had|have|said|says|spent|began|begins|lives|lived|works|worked|wrote|writes|told|asked|called|shouted|smiled|added|replied|joined|left|went|came|just|will|would|can|could|did|does)\b)/;

const LONE_WORD_FOLLOWERS: ReadonlySet<number> = new Set([...' \t\n\r,;:!?.)"'].map((c) => c.charCodeAt(0)));

type TokenClass = 'name' | 'name_word' | 'unknown' | 'word' | 'stop' | 'place' | 'initial' | 'particle' | 'honorific';

interface Token {
  text: string;
  start: number;
  cls: TokenClass;
}

/**
 * Heuristic names: runs of capitalised tokens scored by a given/family-name gazetteer, the absence of the tokens
 * from a common-English word list, honorifics and initials. Organisation and street words end a run; a run
 * next to one is not a person. Context words ("my name is", "by", "Dear") are applied by the analyzer.
 */
export class PersonDetector implements Detector {
  readonly name = 'person';
  readonly entities = ['PERSON'] as const;
  private readonly words = commonEnglishWords();
  private readonly names = humanNames();
  private readonly frequent = new Set(commonEnglishWordsTop());

  detect(text: string, out: Candidate[]): void {
    let at = nextCapital(text, 0);
    if (at < 0) {
      this.detectLowercase(text, out);
      return;
    }
    // Find capitals with a plain char-code scan, then try the run pattern anchored there (sticky).
    while (at >= 0) {
      // Most capitals start an ordinary word ("The", "Please"): when that word stands alone it can yield no
      // name, so the run pattern is not tried.
      const skipTo = this.loneWordEnd(text, at);
      if (skipTo > 0) {
        at = nextCapital(text, skipTo);
        continue;
      }
      RUN_RE.lastIndex = at;
      const m = RUN_RE.exec(text);
      if (m === null) {
        at = nextCapital(text, at + (isHighSurrogate(text.charCodeAt(at)) ? 2 : 1));
        continue;
      }
      at = nextCapital(text, m.index + m[0].length);
      this.run(text, m, out);
    }
  }

  /**
   * End of the ASCII word at `at` (capital + lowercase letters) when it classifies as a common word and no
   * capitalised word follows on the same line, i.e. when a run starting here would be just this word and emit
   * nothing; otherwise 0.
   */
  private loneWordEnd(text: string, at: number): number {
    let i = at + 1;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c >= 97 && c <= 122) i++;
      else break;
    }
    if (i - at < 2) return 0;
    const next = i < text.length ? text.charCodeAt(i) : 32;
    // Only plain delimiters after the word: no apostrophe, hyphen, digit, capital or non-ASCII letter.
    if (!LONE_WORD_FOLLOWERS.has(next)) return 0;
    let j = i;
    while (j < text.length && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9)) j++;
    const after = j < text.length ? text.charCodeAt(j) : 32;
    if ((after >= 65 && after <= 90) || after >= 128) return 0;
    return this.classify(text.slice(at, i)) === 'word' ? i : 0;
  }

  private run(text: string, m: RegExpExecArray, out: Candidate[]): void {
    {
      const tokens = this.tokenize(m[0], m.index);
      let segment: Token[] = [];
      let honorific = false;
      let prevBlocker: TokenClass | undefined;
      const flush = (next: TokenClass | undefined): void => {
        if (segment.length > 0) this.emit(text, segment, honorific, prevBlocker, next, out);
        segment = [];
        honorific = false;
      };
      for (const t of tokens) {
        if (t.cls === 'honorific') {
          flush(t.cls);
          honorific = true;
          prevBlocker = undefined;
        } else if (t.cls === 'word' || t.cls === 'stop' || t.cls === 'place') {
          flush(t.cls);
          prevBlocker = t.cls;
        } else {
          segment.push(t);
        }
      }
      flush(undefined);
    }
  }

  /**
   * All-lowercase text (chat, lowercased exports) loses the capital-letter cue: runs of gazetteer names that are
   * not English words stand in for it ("follow up with patricia desrosiers").
   */
  private detectLowercase(text: string, out: Candidate[]): void {
    LOWER_RUN_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = LOWER_RUN_RE.exec(text)) !== null) {
      const parts = m[0].split(/[ \t]+/);
      let offset = m.index;
      let runStart = -1;
      let runEnd = -1;
      let names = 0;
      let tokens = 0;
      const flush = (): void => {
        if (runStart >= 0 && names > 0) {
          const multi = tokens >= 2;
          out.push({
            entity: 'PERSON',
            start: runStart,
            end: runEnd,
            score: multi ? 0.6 : 0.3,
            reason: multi ? 'person:lowercase_gazetteer_multi' : 'person:lowercase_gazetteer',
          });
        }
        runStart = -1;
        names = 0;
        tokens = 0;
      };
      for (const part of parts) {
        const start = text.indexOf(part, offset);
        offset = start + part.length;
        const bare = part.endsWith('.') ? part.slice(0, -1) : part;
        const initial = bare.length === 1 && bare !== 'a' && bare !== 'i';
        const capitalised = bare.charAt(0).toUpperCase() + bare.slice(1);
        const isName = bare.length > 1 && this.names.has(capitalised) && !this.words.has(bare) && !NON_NAME_WORDS.has(bare) && !PLACE_NAMES.has(bare);
        if (isName || (initial && runStart >= 0)) {
          if (runStart < 0) runStart = start;
          runEnd = initial ? start + part.length : start + bare.length;
          tokens++;
          if (isName) names++;
        } else {
          flush();
        }
      }
      flush();
    }
  }

  private tokenize(run: string, offset: number): Token[] {
    const tokens: Token[] = [];
    const re = /\S+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(run)) !== null) {
      const raw = m[0];
      tokens.push({ text: raw, start: offset + m.index, cls: this.classify(raw) });
    }
    return tokens;
  }

  private readonly classCache = new Map<string, TokenClass>();

  private classify(raw: string): TokenClass {
    let cls = this.classCache.get(raw);
    if (cls === undefined) {
      cls = this.classifyUncached(raw);
      // Bounded: a stream of unique tokens must not grow memory without limit.
      if (this.classCache.size >= 50_000) this.classCache.clear();
      this.classCache.set(raw, cls);
    }
    return cls;
  }

  private classifyUncached(raw: string): TokenClass {
    if (INITIAL_RE.test(raw)) return 'initial';
    const bare = raw.endsWith('.') ? raw.slice(0, -1) : raw;
    const lower = bare.toLowerCase();
    if (NAME_PARTICLES.has(raw)) return 'particle';
    if (HONORIFICS.has(lower)) return 'honorific';
    if (UNIT_WORDS.has(lower)) return 'word';
    if (NON_NAME_WORDS.has(lower)) return 'stop';
    if (PLACE_NAMES.has(lower)) return 'place';
    const isName = this.names.has(bare);
    const isWord = this.words.has(lower) || (lower.endsWith('s') && this.words.has(lower.slice(0, -1)));
    // Very frequent words that are also someone's name ("Will", "May", "The", "My") read as words.
    if (isName) return isWord ? (this.frequent.has(lower) ? 'word' : 'name_word') : 'name';
    return isWord ? 'word' : 'unknown';
  }

  private emit(
    text: string,
    seg: Token[],
    honorific: boolean,
    before: TokenClass | undefined,
    after: TokenClass | undefined,
    out: Candidate[],
  ): void {
    // A run glued to an organisation/street word ("Crown Street", "Exversion Orchestra") is not a person.
    if (after === 'stop' || before === 'stop') return;
    while (seg.length > 0 && seg[0]!.cls === 'particle') seg.shift();
    while (seg.length > 0 && seg[seg.length - 1]!.cls === 'particle') seg.pop();
    if (seg.length === 0) return;
    let names = 0;
    let weak = 0;
    let unknown = 0;
    let initials = 0;
    for (const t of seg) {
      if (t.cls === 'name') names++;
      else if (t.cls === 'name_word') weak++;
      else if (t.cls === 'unknown') unknown++;
      else if (t.cls === 'initial') initials++;
    }
    const words = names + weak + unknown;
    if (words === 0) return;
    let score: number;
    let contextScore: number | undefined;
    let reason: string;
    if (words >= 2 && names + unknown === 0) {
      // Only ambiguous name/word tokens: a person only with an honorific.
      score = 0.2;
      contextScore = 0.45;
      reason = 'person:ambiguous_multi';
    } else if (words >= 2) {
      score = names >= 2 ? 0.8 : names === 1 ? 0.7 : weak >= 1 ? 0.55 : 0.5;
      if (initials > 0) score += 0.1;
      reason = names > 0 ? 'person:gazetteer_multi' : 'person:capitalised_multi';
    } else {
      const first = seg[0]!;
      const sentenceStart = SENTENCE_START_RE.test(text.slice(Math.max(0, first.start - 3), first.start));
      if (names === 1) {
        score = 0.55;
        reason = 'person:gazetteer';
      } else if (unknown === 1 && FOLLOWED_BY_VERB_RE.test(text.slice(first.start + first.text.length, first.start + first.text.length + 12))) {
        score = 0.5;
        reason = 'person:capitalised+verb';
      } else if (unknown === 1 && !sentenceStart) {
        score = 0.3;
        reason = 'person:capitalised';
      } else {
        // A lone ambiguous token, or an unknown word that is capitalised only because it starts a sentence.
        score = 0.15;
        contextScore = 0.45;
        reason = unknown === 1 ? 'person:capitalised_sentence_start' : 'person:ambiguous';
      }
      if (initials > 0) score += 0.15;
    }
    if (honorific) {
      score = Math.max(score, 0.85);
      contextScore = undefined;
      reason += '+honorific';
    }
    const first = seg[0]!;
    const last = seg[seg.length - 1]!;
    const prefix = text.slice(Math.max(0, first.start - 4), first.start).toLowerCase();
    if (/\bthe\s$/.test(prefix) || /\d\s+$/.test(prefix)) score -= 0.3;
    let end = last.start + last.text.length;
    // Keep the final period only when it belongs to an initial ("Szabina J.").
    if (text[end - 1] === '.' && last.cls !== 'initial') end--;
    out.push({ entity: 'PERSON', start: first.start, end, score: Math.min(score, 0.95), reason, ...(contextScore === undefined ? {} : { contextScore }) });
  }
}

const UPPER_RE = /^\p{Lu}$/u;
/** Uppercase-letter class of BMP code units, filled lazily: 0 unknown, 1 uppercase, 2 not. */
const BMP_UPPER = new Uint8Array(65536);

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** ASCII capitals and every non-ASCII unit: where `nextCapital` looks closer (the engine skips the rest fast). */
const CAPITAL_OR_NON_ASCII_RE = /[A-Z\u0080-\uffff]/g;

/** Index of the first uppercase letter (\p{Lu}) at or after `from`, or -1; astral letters are looked up whole. */
export function nextCapital(text: string, from: number): number {
  const n = text.length;
  CAPITAL_OR_NON_ASCII_RE.lastIndex = from;
  while (CAPITAL_OR_NON_ASCII_RE.test(text)) {
    const i = CAPITAL_OR_NON_ASCII_RE.lastIndex - 1;
    const c = text.charCodeAt(i);
    if (c < 128) return i;
    if (isHighSurrogate(c) && i + 1 < n) {
      if (UPPER_RE.test(text.slice(i, i + 2))) return i;
      CAPITAL_OR_NON_ASCII_RE.lastIndex = i + 2;
      continue;
    }
    let k = BMP_UPPER[c]!;
    if (k === 0) BMP_UPPER[c] = k = UPPER_RE.test(String.fromCharCode(c)) ? 1 : 2;
    if (k === 1) return i;
  }
  return -1;
}
