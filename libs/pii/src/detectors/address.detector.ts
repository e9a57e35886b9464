import type { Candidate } from '../entities.js';
import { FEATURE_BITS_FROM, type TextProfile } from '../text/context-index.js';
import { eachMatch, type Detector } from './detector.js';

const W = "[\\p{L}\\p{M}][\\p{L}\\p{M}'’.-]*";
const CW = "\\p{Lu}[\\p{L}\\p{M}'’.-]*";
// A word with a lowercase letter: "WEST" in "GB82 WEST 1234" is not a street name.
const WL = "[\\p{L}\\p{M}]*\\p{Ll}[\\p{L}\\p{M}'’.-]*";
const NUM = '\\d{1,6}[A-Za-z]?(?:[/-]\\d{1,4})?';
const UNIT = '(?i:Apt\\.?|Apartment|Suite|Ste\\.?|Unit|Flat|Floor|Fl\\.?|Room|Rm\\.?|Bldg\\.?|#)\\s*[A-Za-z]?\\d{1,5}[A-Za-z]?';
// USPS Publication 28 street suffixes (full and abbreviated) plus common Commonwealth ones.
const SUFFIX_WORDS =
  'Alley|Aly|Annex|Arcade|Avenue|Ave|Bayou|Beach|Bend|Bluffs?|Bottom|Boulevard|Blvd|Branch|Bridge|Brooks?|Burgs?|Bypass|Byp|Camp|Canyon|Cape|Causeway|Center|Centre|Circles?|Cir|Cliffs?|Close|Club|Commons?|Corners?|Course|Courts?|Ct|Coves?|Creek|Crescent|Cres|Crest|Crossing|Crossroads?|Curve|Dale|Dam|Divide|Drives?|Dr|Estates?|Expressway|Expy|Extensions?|Ext|Falls?|Ferry|Fields?|Flats?|Fords?|Forests?|Forges?|Forks?|Fort|Freeway|Fwy|Gardens?|Gateway|Glens?|Greens?|Groves?|Harbors?|Haven|Heights|Hts|Highway|Hwy|Hills?|Hollow|Inlet|Islands?|Isles?|Junctions?|Keys?|Knolls?|Lakes?|Land|Landing|Lane|Ln|Light|Lights|Loaf|Locks?|Lodge|Loop|Mall|Manors?|Meadows?|Mews|Mills?|Mission|Motorway|Mount|Mountains?|Neck|Orchard|Oval|Overpass|Parade|Parks?|Parkways?|Pkwy|Pass|Passage|Path|Pike|Pines?|Place|Pl|Plains?|Plaza|Points?|Ports?|Prairie|Radial|Ramp|Ranch|Rapids?|Rest|Ridges?|Rise|River|Roads?|Rd|Route|Rte|Row|Rue|Run|Shoals?|Shores?|Skyway|Springs?|Spurs?|Squares?|Sq|Station|Stravenue|Stream|Streets?|St|Summit|Terrace|Ter|Throughway|Trace|Track|Trafficway|Trail|Trl|Trailer|Tunnel|Turnpike|Underpass|Unions?|Valleys?|Viaduct|Views?|Villages?|Ville|Vista|Walks?|Wall|Ways?|Wells?|Wharf|Quay|Vale|Grange';
const SUFFIX = `(?i:${SUFFIX_WORDS})\\b\\.?`;
const SUFFIX_LOWER = '(?i:str(?:eet)?\\.?)';
const TRAILING_TYPE = '(?:\\s+(?i:St|Str|Rd|Ave|Street)\\b\\.?)?';
const COMPOUND =
  "[\\p{L}\\p{M}'’-]*(?i:straße|strasse|str\\.|gasse|weg|allee|platz|damm|gade|vej|vænget|gatan|gata|gate|gaten|vägen|väg|veien|vegen|vei|stien|sti|stræde|straede|katu|kuja|tie|polku|kaari|tori|laan|straat|gracht|plein|kade|utca|ulica|ulice|náměstí|cesta|gatve|iela|tänav|stræti|braut|vegur|sokak|caddesi|odos|οδός)";
const PREFIX =
  '(?i:Rue|Avenue|Av\\.?|Avda\\.?|Avenida|Boulevard|Bd\\.?|Via|Viale|Piazza|Corso|Largo|Calle|C/|Carrer|Rua|Praça|Travessa|Paseo|Camino|Chemin|Allée|Impasse|Quai|Plaza|Ulica|ul\\.|Odos|Λ\\.|Οδός|Λεωφόρος|Leoforos)';
const HU_SUFFIX = '(?i:u\\.|utca|út|útja|tér|krt\\.|körút|tere|rkp\\.|sor|köz|trg)';

// Street line shapes; each group alternative is one family of address conventions.
// Capitalised words or the small words inside street names ("Rua do Arenque", "Avenue des Tuileries").
const NW = `(?:${CW}|d[aeiou]s?|del|della|dei|la|le|von|van|der|al|el|e|y|i)`;
const DIRECTION = '(?:\\s+(?:North|South|East|West|NE|NW|SE|SW|N|S|E|W)\\b\\.?)?';
const LEAD = `(?:${UNIT}\\s+)?(?:${NUM}\\s+){0,2}`;
const STREET_RE = new RegExp(
  [
    // 62 Rue Gafsa, Rua do Arenque 1634, 010 63 Avenue du Golf Arabe, Λ. Αλεξάνδρας 14
    `${LEAD}${PREFIX}\\s+(?:${NW}\\s+){0,4}${CW}(?:\\s+${NUM}(?![\\p{L}\\d]))?${TRAILING_TYPE}`,
    // 12 Main Street / 1987 74 Diakou Street / Apt. 675 62314 Mellemvej 32
    `${LEAD}${NUM}\\s+(?:${W}\\s+){0,4}(?:${SUFFIX}|${SUFFIX_LOWER})(?!\\p{L})${DIRECTION}`,
    // Brucker Bundesstrasse 31, 28245 Puruntie 82, hersnapvej 18, Trenerys gate 232
    `${LEAD}(?:${CW}\\s+){0,3}${COMPOUND}\\s+${NUM}\\.?(?![\\p{L}\\d])${TRAILING_TYPE}`,
    // Király u. 15., Erzsébet tér 19., Belgrád rkp. 18.
    `${LEAD}(?:${CW}\\s+){1,3}${HU_SUFFIX}\\s+${NUM}\\.?`,
    // 20789 Allika 46, 0605 πεντέλης 210, 9816 214 Pavlou Drandaki: house number(s) and a name
    `${LEAD}${NUM}\\s+(?:${WL}\\s+){0,2}${WL}\\s+${NUM}(?![\\p{L}\\d]|[.,]\\d)${TRAILING_TYPE}|${NUM}\\s+${NUM}\\s+(?:${CW}\\s+){0,2}${CW}`,
    // PSC 0413, Box 8144 / Unit 4719 Box 7394 / P.O. Box 123 / USNS Møller + FPO line
    `(?i:(?:PSC|Unit|CMR)\\s+\\d{3,5},?\\s+Box\\s+\\d{2,5}|P\\.?\\s?O\\.?\\s+Box\\s+\\d{1,6}|Post(?:box|fach)\\s+\\d{1,6}|(?:USNS|USNV|USS|USCGC)\\s+${W}(?=\\s*\\n?\\s*(?:APO|FPO|DPO)\\b))`,
  ]
    .map((s) => `(${s})`)
    .join('|'),
  'uy',
);
const DIGIT_RUN_RE = /\d+/g;

/** Feature bit of the words a street line cannot do without (suffix, prefix, Hungarian type word, post box). */
const STREET_WORD_BIT = FEATURE_BITS_FROM;
/** Every whole word some street shape needs, lowercase ("St", "Rue", "utca", "Box"); plurals spelled out. */
const STREET_WORDS: readonly string[] = [
  ...SUFFIX_WORDS.split('|').flatMap((w) => (w.endsWith('s?') ? [w.slice(0, -2), w.slice(0, -2) + 's'] : [w])),
  'str', 'street',
  ...'rue avenue av avda avenida boulevard bd via viale piazza corso largo calle c carrer rua praça travessa paseo camino chemin allée impasse quai plaza ulica ul odos λ οδός λεωφόρος leoforos'.split(' '),
  ...'u utca út útja tér krt körút tere rkp sor köz trg'.split(' '),
  ...'box postbox postfach usns usnv uss uscgc'.split(' '),
].map((w) => w.toLowerCase());
// Endings of compound street names ("Bundesstrasse", "hersnapvej"), matched on a word's last characters.
export const COMPOUND_ENDINGS: ReadonlySet<string> = new Set(COMPOUND.slice(COMPOUND.indexOf('(?i:') + 4, -1).split('|').map((e) => e.replace(/\\/g, '').toLowerCase()));
const COMPOUND_ENDING_MAX = Math.max(...[...COMPOUND_ENDINGS].map((e) => e.length));
const LETTER_RE = /\p{L}/u;
const WHITESPACE_RE = /^\s+$/;
const NUMBER_THEN_NAME_RE = /^\d+[A-Za-z]?(?:[/-]\d{1,4})?\s+\p{Lu}/u;
/** How far from a number a street word can sit and still belong to a street line starting near that number. */
const ANCHOR_BEFORE = 100;
const ANCHOR_AFTER = 200;
const BASE_SCORES = [0.6, 0.7, 0.65, 0.65, 0.45, 0.8];
const REASONS = ['street_prefix', 'street_suffix', 'street_compound', 'street_hu', 'number_name', 'po_box'];

// What may follow a street line: unit, military post office, postcode, region code, place name.
// Line breaks may carry e-mail quote markers ("> ", "| ").
const SEP = '[ \\t]*(?:,[ \\t]*)?(?:\\r?\\n[ \\t]*(?:>+|\\|)?[ \\t]*)*(?:,[ \\t]*)?';
const CONTINUATION_RE = new RegExp(
  `^${SEP}(?:(${UNIT}|(?:\\p{Lu}[\\p{L}\\p{M}'’-]*\\s+){1,3}${SUFFIX})|((?i:APO|FPO|DPO)\\s+(?i:AA|AE|AP)\\s+\\d{5})|(\\d{5}(?:-\\d{4})?|[A-Z]{1,2}\\d[A-Z\\d]?\\s?\\d[A-Z]{2}|[A-Z]\\d[A-Z]\\s?\\d[A-Z]\\d|\\d{4}\\s?[A-Z]{2}(?![\\p{L}])|\\d{2,4}(?:[ -]\\d{2,4})?)(?![\\p{L}\\d])|([A-Z]{2}(?![\\p{L}]))|(\\p{Lu}[\\p{L}\\p{M}'’.-]*(?:[ \\t]+(?:\\p{Lu}[\\p{L}\\p{M}'’.-]*|\\(\\p{Lu}[\\p{L}]*\\)|de|do|da|del|la|le|am|an|upon|sur|di|nad|pod|u|v|na|im|bei|ob|sous|en|of|on))*?)(?=[ \\t]*(?:[,\\n\\r]|$|\\d|[?!;)]|\\.\\s)))`,
  'u',
);

const PROSE_WORD_RE = /\s(?:in|its|it|the|a|an|at|on|of|to|for|and|or|is|are|was|were|with|by|from|this|that|my|your|our)\s/i;

// A period inside may end an abbreviation ("ul. Cicha 86", "Pentelis Str. and").
const CORNER_RE = /\bthe corner of (?:[^\n,.?!]|\.(?=[ \t])){3,60}? and (?:[\p{L}\p{M}'’.-]+[ \t]+){0,3}[\p{L}\p{M}'’-]+/giu;

/**
 * Rule-based postal addresses (Presidio has none, #42/#752): a street line in one of several national shapes,
 * extended over the unit, city, region, postcode and country lines that follow it.
 */
export class AddressDetector implements Detector {
  readonly name = 'address';
  readonly entities = ['ADDRESS'] as const;
  readonly featureWords = STREET_WORDS.map((w) => [w, STREET_WORD_BIT] as const);

  detect(text: string, out: Candidate[], profile?: TextProfile): void {
    if (profile ? profile.digits === 0 : !/\d/.test(text)) return;
    // Try the street shapes anchored (sticky) at the few word starts before each number, not at every position.
    DIGIT_RUN_RE.lastIndex = 0;
    let d: RegExpExecArray | null;
    let covered = 0;
    const anchors = profile ? streetWordPositions(profile) : undefined;
    while ((d = DIGIT_RUN_RE.exec(text)) !== null) {
      if (d.index < covered) continue;
      // Every street shape holds a street word, a compound street name or two numbers with words between them:
      // without any of those near this number, no street line can start around it (skips the costly pattern).
      if (anchors && !this.mayStartStreet(text, d.index, d.index + d[0].length, anchors)) continue;
      for (const s of wordStartsBefore(text, d.index, covered)) {
        if (!mayBeginStreet(text, s)) continue;
        STREET_RE.lastIndex = s;
        const m = STREET_RE.exec(text);
        if (m === null || m[0].length === 0) continue;
        covered = this.street(text, m, out);
        DIGIT_RUN_RE.lastIndex = Math.max(DIGIT_RUN_RE.lastIndex, covered);
        break;
      }
    }
    if (text.indexOf('corner of') >= 0) {
      eachMatch(CORNER_RE, text, (m) => {
        // The whole crossing outranks the street line found inside it (which "corner" boosts to 1).
        out.push({ entity: 'ADDRESS', start: m.index, end: m.index + cornerLength(m[0]), score: 1, reason: 'address:street_corner', contextChecked: true });
      });
    }
  }

  private mayStartStreet(text: string, start: number, end: number, anchors: readonly number[]): boolean {
    for (const a of anchors) {
      if (a > end + ANCHOR_AFTER) break;
      if (a >= start - ANCHOR_BEFORE) return true;
    }
    // House number, words, number ("20789 Allika 46") or two numbers and a capitalised name ("9816 214 Pavlou").
    const next = nextDigit(text, end, Math.min(text.length, end + ANCHOR_AFTER));
    if (next >= 0) {
      const gap = text.slice(end, next);
      if (LETTER_RE.test(gap)) return true;
      if (WHITESPACE_RE.test(gap) && NUMBER_THEN_NAME_RE.test(text.slice(next, next + 40))) return true;
    }
    // A compound street name right before the number.
    let w = start;
    while (w > 0 && isBlank(text.charCodeAt(w - 1))) w--;
    return w < start && endsWithCompound(text, w);
  }

  /** Scores one street match and extends it over the lines that follow; returns where it ends. */
  private street(text: string, m: RegExpExecArray, out: Candidate[]): number {
    {
      let kind = 0;
      while (kind < 6 && m[kind + 1] === undefined) kind++;
      // "6091 in its mission", "77 and minik courts": prose between a number and a street word.
      if (kind === 1 && PROSE_WORD_RE.test(m[0])) return m.index;
      const start = m.index;
      let end = m.index + m[0].length;
      let score = BASE_SCORES[kind] ?? 0.45;
      let parts = 0;
      let placeRun = 0;
      for (let step = 0; step < 6; step++) {
        const rest = text.slice(end, end + 80);
        const c = CONTINUATION_RE.exec(rest);
        if (!c || c[0].trim().length === 0) break;
        if (c[5] !== undefined) {
          // A capitalised run is a place only when it stands on its own line or after a comma.
          if (!/[,\n]/.test(c[0].slice(0, c[0].length - c[5].length)) || ++placeRun > 3) break;
          score += 0.05;
        } else if (c[3] !== undefined || c[2] !== undefined) {
          score += 0.12;
        } else {
          score += 0.06;
        }
        end += c[0].length;
        parts++;
      }
      out.push({
        entity: 'ADDRESS',
        start,
        end,
        score: Math.min(score, 0.95),
        reason: `address:${REASONS[kind] ?? 'street'}${parts > 0 ? '+lines' : ''}`,
      });
      return end;
    }
  }
}

const STREET_WORD_SET: ReadonlySet<string> = new Set(STREET_WORDS);
const LAST_AND_RE = / and /g;

/** The crossing ends at the second street's type word when it has one ("… and Baker Street", not "… tomorrow"). */
function cornerLength(match: string): number {
  let and = -1;
  LAST_AND_RE.lastIndex = 0;
  while (LAST_AND_RE.exec(match) !== null) and = LAST_AND_RE.lastIndex;
  if (and < 0) return match.length;
  const wordRe = /[^ \t]+/g;
  wordRe.lastIndex = and;
  let w: RegExpExecArray | null;
  while ((w = wordRe.exec(match)) !== null) {
    const bare = w[0].replace(/\.$/, '').toLowerCase();
    if (w.index > and && STREET_WORD_SET.has(bare)) return w.index + w[0].length;
  }
  return match.length;
}

function streetWordPositions(profile: TextProfile): number[] {
  const out: number[] = [];
  if ((profile.mask & STREET_WORD_BIT) === 0) return out;
  for (const h of profile.hits) if ((h.mask & STREET_WORD_BIT) !== 0) out.push(h.start);
  return out;
}

// A street line starts with a number, '#', a capitalised word, or one of these words in any case...
const LOWER_START_RE = new RegExp(
  `(?:${PREFIX}|(?i:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|Bldg|PSC|CMR|P|Post|USNS|USNV|USS|USCGC))`,
  'uy',
);
const UPPER_RE = /\p{Lu}/u;

/** Cheap necessary condition for STREET_RE matching at `s` (its costly alternatives then never run on prose). */
function mayBeginStreet(text: string, s: number): boolean {
  const c = text.charCodeAt(s);
  if ((c >= 48 && c <= 57) || c === 35) return true;
  if (c >= 65 && c <= 90) return true;
  if (c >= 128 && UPPER_RE.test(text[s]!)) return true;
  LOWER_START_RE.lastIndex = s;
  if (LOWER_START_RE.test(text)) return true;
  // ...or a lowercase compound street name ("hersnapvej 18").
  let e = s;
  while (e < text.length && !isBlank(text.charCodeAt(e))) e++;
  return endsWithCompound(text, e);
}

/** The word ending at `end` (exclusive) ends with a compound street ending ("…straße", "…vej", "…str."). */
export function endsWithCompound(text: string, end: number): boolean {
  let from = end;
  let ascii = true;
  for (let c: number; from > 0 && end - from < COMPOUND_ENDING_MAX && !isBlank((c = text.charCodeAt(from - 1))); from--) if (c >= 128) ascii = false;
  if (ascii) {
    // Lowercasing ASCII keeps its length and no non-ASCII ending can match: compare in place, by last character.
    const last = text.charCodeAt(end - 1) | 0x20;
    for (const e of ASCII_COMPOUND_ENDINGS_BY_LAST[last & 127] ?? []) if (e.length <= end - from && endsWithAsciiLower(text, end, e)) return true;
    return false;
  }
  const tail = text.slice(from, end).toLowerCase();
  for (let k = 2; k <= tail.length; k++) if (COMPOUND_ENDINGS.has(tail.slice(tail.length - k))) return true;
  return false;
}

/** The ASCII compound endings by the char code of their last character (`…str.` under '.'). */
const ASCII_COMPOUND_ENDINGS_BY_LAST: readonly (readonly string[] | undefined)[] = (() => {
  const table: string[][] = [];
  for (const e of COMPOUND_ENDINGS) {
    if (!/^[\x00-\x7f]+$/.test(e)) continue;
    (table[e.charCodeAt(e.length - 1)] ??= []).push(e);
  }
  return table;
})();

/** text[…end) ends with `lower` (lowercase ASCII), ASCII letters compared case-insensitively. */
function endsWithAsciiLower(text: string, end: number, lower: string): boolean {
  for (let k = 1; k <= lower.length; k++) {
    const c = text.charCodeAt(end - k);
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== lower.charCodeAt(lower.length - k)) return false;
  }
  return true;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 12 || c === 11 || c === 160;
}

function nextDigit(text: string, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return i;
  }
  return -1;
}

/** Start offsets of up to five words in the 48 characters before `at`, earliest first, then `at` itself. */
function wordStartsBefore(text: string, at: number, floor: number): number[] {
  const starts: number[] = [];
  const limit = Math.max(floor, at - 48);
  for (let i = at - 1; i >= limit && starts.length < 5; i--) {
    const c = text.charCodeAt(i);
    const prev = i === 0 ? 32 : text.charCodeAt(i - 1);
    const isSpace = c === 32 || c === 10 || c === 9 || c === 13;
    const prevBreak = prev === 32 || prev === 10 || prev === 9 || prev === 13 || prev === 62 || prev === 40 || prev === 34 || prev === 44;
    if (!isSpace && prevBreak) starts.push(i);
  }
  starts.reverse();
  starts.push(at);
  return starts;
}
