import type { Candidate } from '../entities.js';
import { eachMatch, type Detector } from './detector.js';

const W = "[\\p{L}\\p{M}][\\p{L}\\p{M}'’.-]*";
const CW = "(?:\\p{Lu}|\\d)[\\p{L}\\p{M}'’.-]*";
const NUM = '\\d{1,6}[A-Za-z]?(?:[/-]\\d{1,4})?';
const UNIT = '(?:Apt\\.?|Apartment|Suite|Ste\\.?|Unit|Flat|Floor|Fl\\.?|Room|Rm\\.?|Bldg\\.?|#)\\s*[A-Za-z]?\\d{1,5}[A-Za-z]?';
const SUFFIX =
  '(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Square|Sq|Squares|Streets|Way|Terrace|Ter|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Trl|Crescent|Cres|Close|Row|Walk|Alley|Plaza|Parade|Grove|Gardens|Green|Hill|Heights|Loop|Path|Pike|Mews|Wharf|Quay|View|Point|Pass|Passage|Park|Parks|Union|Fort|Ridge|Crossing|Creek|Cove|Landing|Meadows?|Junction|Expressway|Freeway|Route|Rte|Center|Centre|Port|Island|Isle|Estate|Mall|Manor|Oval|Rise|Vale|Villages?|Wells?|Springs?)\\b\\.?';
const SUFFIX_LOWER = 'str(?:eet)?\\.?|st\\.|rd\\.|ave\\.?';
const COMPOUND =
  "[\\p{L}\\p{M}'’-]*(?:straße|strasse|str\\.|gasse|weg|allee|platz|ring|damm|ufer|gade|vej|vænget|gatan|gata|vägen|väg|veien|vegen|vei|katu|kuja|tie|polku|kaari|tori|laan|straat|gracht|plein|kade|utca|ulica|ulice|náměstí|cesta|gatve|iela|tänav|stræti|gata|braut|vegur|sokak|caddesi|odos|οδός)";
const PREFIX =
  '(?:Rue|Avenue|Av\\.?|Avda\\.?|Avenida|Boulevard|Bd\\.?|Via|Viale|Piazza|Corso|Largo|Calle|C/|Carrer|Rua|Praça|Travessa|Paseo|Camino|Chemin|Allée|Impasse|Quai|Plaza|Ulica|ul\\.|Odos|Λ\\.|Οδός|Leoforos)';
const HU_SUFFIX = '(?:u\\.|utca|út|tér|krt\\.|körút|tere)';

// Street line shapes; each group alternative is one family of address conventions.
const STREET_RE = new RegExp(
  [
    // 12 Main Street / 1987 74 Diakou Street / Apt. 675 62314 Mellemvej 32 (the leading unit is optional)
    `(?:${UNIT}\\s+)?(?:${NUM}\\s+)?${NUM}\\s+(?:${W}\\s+){0,4}(?:${SUFFIX}|${SUFFIX_LOWER})(?!\\p{L})`,
    // Brucker Bundesstrasse 31, 28245 Puruntie 82, hersnapvej 18
    `(?:${NUM}\\s+)?(?:${W}\\s+){0,3}${COMPOUND}\\s+${NUM}\\.?(?![\\p{L}\\d])`,
    // 62 Rue Gafsa, Rua do Arenque 1634, 137 Avenue Teboulbi, Λ. Αλεξάνδρας 14
    `(?:${NUM}\\s+)?${PREFIX}\\s+(?:${W}\\s+){0,4}${W}(?:\\s+${NUM}(?![\\p{L}\\d]))?`,
    // Király u. 15., Erzsébet tér 19.
    `(?:${NUM}\\s+)?(?:${CW}\\s+){1,3}${HU_SUFFIX}\\s+${NUM}\\.?`,
    // 20789 Allika 46, 0605 πεντέλης 210: house number, one to three words, number
    `${NUM}\\s+(?:${W}\\s+){0,2}${W}\\s+${NUM}(?![\\p{L}\\d]|[.,]\\d)`,
    // PSC 0413, Box 8144 / Unit 4719 Box 7394 / P.O. Box 123
    `(?:(?:PSC|Unit|CMR)\\s+\\d{3,5},?\\s+Box\\s+\\d{2,5}|P\\.?\\s?O\\.?\\s+Box\\s+\\d{1,6}|Post(?:box|fach)\\s+\\d{1,6})`,
  ]
    .map((s) => `(${s})`)
    .join('|'),
  'gu',
);
const BASE_SCORES = [0.7, 0.65, 0.6, 0.65, 0.45, 0.8];
const REASONS = ['street_suffix', 'street_compound', 'street_prefix', 'street_hu', 'number_name_number', 'po_box'];

// What may follow a street line: unit, military post office, postcode, region code, place name.
const SEP = '[ \\t]*(?:,[ \\t]*)?(?:\\r?\\n[ \\t]*)*(?:,[ \\t]*)?';
const CONTINUATION_RE = new RegExp(
  `^${SEP}(?:(${UNIT})|((?:APO|FPO|DPO)\\s+(?:AA|AE|AP)\\s+\\d{5})|(\\d{5}(?:-\\d{4})?|[A-Z]{1,2}\\d[A-Z\\d]?\\s?\\d[A-Z]{2}|[A-Z]\\d[A-Z]\\s?\\d[A-Z]\\d|\\d{4}\\s?[A-Z]{2}(?![\\p{L}])|\\d{2,4}(?:[ -]\\d{2,4})?)(?![\\p{L}\\d])|([A-Z]{2}(?![\\p{L}]))|(\\p{Lu}[\\p{L}\\p{M}'’.-]*(?:[ \\t]+(?:\\p{Lu}[\\p{L}\\p{M}'’.-]*|\\(\\p{Lu}[\\p{L}]*\\)|de|do|da|del|la|le|am|an|upon|sur|di))*?)(?=[ \\t]*(?:[,\\n\\r]|$|\\d|[?!;)]|\\.\\s)))`,
  'u',
);

const CORNER_RE = /\bthe corner of [^\n,.?!]{3,60}? and (?:[\p{L}\p{M}'’.-]+[ \t]+){0,3}[\p{L}\p{M}'’-]+/giu;

/**
 * Rule-based postal addresses (Presidio has none, #42/#752): a street line in one of several national shapes,
 * extended over the unit, city, region, postcode and country lines that follow it.
 */
export class AddressDetector implements Detector {
  readonly name = 'address';
  readonly entities = ['ADDRESS'] as const;

  detect(text: string, out: Candidate[]): void {
    let hasDigit = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        hasDigit = true;
        break;
      }
    }
    if (!hasDigit) return;
    eachMatch(STREET_RE, text, (m) => {
      let kind = 0;
      while (kind < 6 && m[kind + 1] === undefined) kind++;
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
        RE_RESET(CONTINUATION_RE);
      }
      out.push({
        entity: 'ADDRESS',
        start,
        end,
        score: Math.min(score, 0.95),
        reason: `address:${REASONS[kind] ?? 'street'}${parts > 0 ? '+lines' : ''}`,
      });
      STREET_RE.lastIndex = Math.max(STREET_RE.lastIndex, end);
    });
    if (text.indexOf('corner of') >= 0) {
      eachMatch(CORNER_RE, text, (m) => {
        out.push({ entity: 'ADDRESS', start: m.index, end: m.index + m[0].length, score: 0.7, reason: 'address:street_corner' });
      });
    }
  }
}

function RE_RESET(re: RegExp): void {
  re.lastIndex = 0;
}
