import type { PiiEntity } from './entities.js';

/** Words that, near a candidate, make it more likely to be the entity (research/pii.md §4 "context" column). */
export const CONTEXT_WORDS: Readonly<Record<PiiEntity, readonly string[]>> = {
  EMAIL: ['email', 'e-mail', 'mail', 'contact', 'address'],
  PHONE: [
    'phone', 'telephone', 'tel', 'mobile', 'cell', 'cellphone', 'call', 'fax', 'contact', 'whatsapp',
    'sms', 'text me', 'reach me', 'ph', 'tlf', 'telefon', 'téléphone', 'teléfono', 'telefono', 'handy', 'office',
  ],
  CREDIT_CARD: [
    'card', 'credit', 'debit', 'visa', 'mastercard', 'amex', 'american express', 'discover', 'jcb', 'diners',
    'maestro', 'unionpay', 'cc', 'pan', 'payment',
  ],
  IBAN: ['iban', 'bank', 'account', 'transfer', 'sepa', 'wire', 'bic', 'swift'],
  US_SSN: ['ssn', 'ssns', 'social security', 'social sec', 'ss#', 'ss #', 'ssa', 'tin'],
  IP_ADDRESS: ['ip', 'ipv4', 'ipv6', 'address', 'host', 'server', 'client', 'from', 'addr'],
  MAC_ADDRESS: ['mac', 'mac address', 'hwaddr', 'ether', 'bssid', 'hardware address'],
  SECRET: [
    'password', 'passwd', 'pwd', 'secret', 'token', 'api key', 'apikey', 'key', 'credential', 'credentials',
    'auth', 'bearer', 'private key',
  ],
  DATE_OF_BIRTH: [
    'born', 'birth', 'birthday', 'birthdate', 'dob', 'd.o.b', 'date of birth', 'bday', 'b-day', 'geboren',
    'geburtsdatum', 'né', 'née', 'naissance', 'nacimiento', 'nascita', 'nato', 'nata', 'fecha de nacimiento',
  ],
  NATIONAL_ID: [
    'national insurance', 'nino', 'ni number', 'nhs', 'nhs number', 'aadhaar', 'aadhar', 'uidai', 'uid', 'bsn',
    'burgerservicenummer', 'dni', 'nie', 'nif', 'codice fiscale', 'fiscal code', 'pesel', 'sin',
    'social insurance', 'steuer-id', 'steuerid', 'tax id', 'taxpayer', 'itin', 'national id', 'id number',
    'identity number', 'identification number', 'personal number', 'id card',
  ],
  BANK_ACCOUNT: [
    'account', 'acct', 'a/c', 'account number', 'account no', 'bank account', 'checking', 'savings', 'konto',
    'kontonummer', 'compte', 'cuenta', 'deposit',
  ],
  BANK_ROUTING: ['routing', 'aba', 'rtn', 'routing number', 'transit', 'ach', 'wire', 'fedwire'],
  PASSPORT: ['passport', 'passport number', 'passport no', 'passeport', 'pasaporte', 'reisepass', 'passaporto'],
  DRIVER_LICENSE: [
    "driver's license", 'drivers license', 'driver license', 'driving licence', 'driving license',
    "driver's licence", 'drivers licence', 'licence number', 'license number', 'license no', 'licence no', 'dl',
    'dln', 'license', 'licence', 'führerschein', 'permis de conduire',
  ],
  URL: ['url', 'link', 'connection', 'dsn', 'database', 'uri'],
  PERSON: [
    'name', 'named', 'called', 'dear', 'hi', 'hello', 'hey', 'thanks', 'thank you', 'regards', 'sincerely',
    'cheers', 'signed', 'by', 'with', 'contact', 'customer', 'patient', 'employee', 'user', 'author', 'cc',
    'attn', 'according to', 'said', 'says', 'wrote', 'told', 'asked', 'lives', 'married', 'son', 'daughter',
    'wife', 'husband', 'mother', 'father', 'friend', 'colleague', 'mr', 'mrs', 'ms', 'dr',
  ],
  ADDRESS: [
    'address', 'addresses', 'lives at', 'live at', 'located at', 'located', 'ship to', 'send to', 'sent to',
    'deliver to', 'delivery', 'billing', 'shipping', 'mailing', 'moved', 'residence', 'resides', 'street',
    'office is at', 'offices', 'home', 'corner', 'p.o', 'postal', 'zip', 'postcode', 'lives on', 'live on',
    'meet you at', 'meet me at', 'stop at', 'drop off', 'drops you off', 'taxi to', 'deliver', 'return to',
  ],
};

/** Field-name hints: the key of a JSON field or CSV column names the entity its values hold. */
const FIELD_HINTS: readonly (readonly [RegExp, PiiEntity])[] = [
  [/(^|_)(e_?mail|mail|email_?address)($|_)/, 'EMAIL'],
  [/(^|_)(ip|ip_?addr(ess)?|ipv4|ipv6|client_?ip|remote_?addr)($|_)/, 'IP_ADDRESS'],
  [/(^|_)(mac|mac_?addr(ess)?|hwaddr)($|_)/, 'MAC_ADDRESS'],
  [/(^|_)(phone|phone_?number|mobile|cell|tel|telephone|fax|msisdn)($|_)/, 'PHONE'],
  [/(^|_)(ssn|social_?security(_?number)?)($|_)/, 'US_SSN'],
  [/(^|_)(dob|birth_?date|date_?of_?birth|birthday|bday|geburtsdatum)($|_)/, 'DATE_OF_BIRTH'],
  [/(^|_)(iban)($|_)/, 'IBAN'],
  [/(^|_)(card|card_?number|cc|cc_?num(ber)?|credit_?card|pan)($|_)/, 'CREDIT_CARD'],
  [/(^|_)(routing|routing_?number|aba|rtn)($|_)/, 'BANK_ROUTING'],
  [/(^|_)(account|account_?number|acct|acct_?no|bank_?account)($|_)/, 'BANK_ACCOUNT'],
  [/(^|_)(passport|passport_?(number|no))($|_)/, 'PASSPORT'],
  [/(^|_)(driver_?licen[cs]e|driving_?licen[cs]e|dl|dl_?number|licen[cs]e_?number)($|_)/, 'DRIVER_LICENSE'],
  [/(^|_)(password|passwd|pwd|secret|api_?key|token|access_?token|client_?secret|private_?key)($|_)/, 'SECRET'],
  [/(^|_)(nino|national_?id|nhs(_?number)?|aadhaar|bsn|dni|nie|nif|pesel|sin|tax_?id|codice_?fiscale)($|_)/, 'NATIONAL_ID'],
  [/(^|_)(address|street|street_?address|addr|address_?line_?\d?|home_?address|billing_?address|shipping_?address|mailing_?address)($|_)/, 'ADDRESS'],
  [/(^|_)(name|full_?name|first_?name|last_?name|given_?name|family_?name|surname|middle_?name|customer(_?name)?|patient(_?name)?|contact_?name|person|employee_?name|firstname|lastname|fullname)($|_)/, 'PERSON'],
];

/** Entity hinted by the last key of a field path (`messages[2].content` → `content` → none). */
const hintCache = new Map<string, PiiEntity | null>();

export function fieldHint(fieldPath: string | undefined): PiiEntity | undefined {
  if (!fieldPath) return undefined;
  const cached = hintCache.get(fieldPath);
  if (cached !== undefined) return cached ?? undefined;
  const hint = computeFieldHint(fieldPath);
  // Field paths repeat across records; the cache is bounded so odd inputs cannot grow it without limit.
  if (hintCache.size < 10_000) hintCache.set(fieldPath, hint ?? null);
  return hint;
}

function computeFieldHint(fieldPath: string): PiiEntity | undefined {
  const last = /([^.[\]]+)\]?$/.exec(fieldPath)?.[1] ?? fieldPath;
  const key = last
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
  for (const [re, entity] of FIELD_HINTS) if (re.test(key)) return entity;
  return undefined;
}
