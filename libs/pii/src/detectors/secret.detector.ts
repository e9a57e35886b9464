import type { Candidate } from '../entities.js';
import { eachMatch, type Detector } from './detector.js';

interface SecretRule {
  id: string;
  re: RegExp;
  score: number;
  /** Cheap substring (or pattern) that must occur before the regex runs. */
  needle: string | RegExp;
  /** Capture group holding the secret (0 = whole match). */
  group?: number;
  validate?: (value: string) => boolean;
}

// Provider-prefixed formats (cross-checked against the gitleaks / secretlint catalogues).
const RULES: readonly SecretRule[] = [
  { id: 'aws_access_key_id', needle: /A(?:KIA|SIA|BIA|CCA|3T)/, re: /\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}\b/g, score: 0.95 },
  {
    id: 'aws_secret_access_key',
    needle: /[Aa][Ww][Ss]_?[Ss][Ee][Cc][Rr][Ee][Tt]/,
    re: /\baws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
    score: 0.95,
  },
  { id: 'github_token', needle: /gh[pousr]_/, re: /\bgh[pousr]_[A-Za-z0-9]{36,251}\b/g, score: 0.97 },
  { id: 'github_fine_grained_pat', needle: 'github_pat_', re: /\bgithub_pat_[A-Za-z0-9_]{60,255}\b/g, score: 0.97 },
  { id: 'gitlab_pat', needle: 'glpat-', re: /\bglpat-[A-Za-z0-9_-]{20,}\b/g, score: 0.95 },
  { id: 'slack_token', needle: 'xox', re: /\bxox[abposr]-(?:\d+-)?[A-Za-z0-9-]{10,}\b/g, score: 0.95 },
  { id: 'slack_webhook', needle: 'hooks.slack.com', re: /https:\/\/hooks\.slack\.com\/(?:services|workflows)\/[A-Za-z0-9/_-]{20,}/g, score: 0.95 },
  { id: 'stripe_live_key', needle: '_live_', re: /\b(?:sk|rk)_live_[A-Za-z0-9]{16,}\b/g, score: 0.97 },
  { id: 'stripe_test_key', needle: '_test_', re: /\b(?:sk|rk)_test_[A-Za-z0-9]{16,}\b/g, score: 0.7 },
  { id: 'google_api_key', needle: 'AIza', re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, score: 0.95 },
  { id: 'google_oauth_secret', needle: 'GOCSPX-', re: /\bGOCSPX-[A-Za-z0-9_-]{28}\b/g, score: 0.95 },
  { id: 'anthropic_key', needle: 'sk-ant-', re: /\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}/g, score: 0.97 },
  { id: 'openai_key', needle: 'sk-', re: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}/g, score: 0.97 },
  { id: 'openai_like_key', needle: 'sk-', re: /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/g, score: 0.8 },
  { id: 'huggingface_token', needle: /\bhf_/, re: /\bhf_[A-Za-z]{34,40}\b/g, score: 0.9 },
  { id: 'npm_token', needle: 'npm_', re: /\bnpm_[A-Za-z0-9]{36}\b/g, score: 0.95 },
  { id: 'sendgrid_key', needle: 'SG.', re: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/g, score: 0.97 },
  { id: 'twilio_key', needle: /SK[0-9a-f]{32}/, re: /\bSK[0-9a-f]{32}\b/g, score: 0.6 },
  { id: 'mailgun_key', needle: 'key-', re: /\bkey-[0-9a-f]{32}\b/g, score: 0.7 },
  { id: 'shopify_token', needle: /shp(?:at|ss|ca|pa)_/, re: /\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b/g, score: 0.95 },
  { id: 'digitalocean_token', needle: '_v1_', re: /\bdo[opr]_v1_[a-f0-9]{64}\b/g, score: 0.95 },
  { id: 'square_token', needle: 'sq0', re: /\bsq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}\b/g, score: 0.95 },
  { id: 'telegram_bot_token', needle: ':AA', re: /\b\d{8,10}:AA[0-9A-Za-z_-]{33}\b/g, score: 0.9 },
  { id: 'azure_storage_key', needle: 'AccountKey=', re: /AccountKey=([A-Za-z0-9+/]{86}==)/g, group: 1, score: 0.95 },
  {
    id: 'pem_private_key',
    needle: 'PRIVATE KEY',
    re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g,
    score: 0.99,
  },
  {
    id: 'jwt',
    needle: 'eyJ',
    re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g,
    score: 0.9,
    validate: jwtHeaderValid,
  },
  {
    id: 'bearer_token',
    needle: 'earer',
    re: /\b[Bb]earer\s+([A-Za-z0-9._~+/-]{20,}=*)/g,
    group: 1,
    score: 0.75,
  },
];

const KEYWORD_RE = /password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|token|private[_-]?key/gi;
// `password = "x"`, `"api_key": "x"`, `PGPASSWORD=x`, `secret: x`.
const ASSIGNMENT_RE =
  /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|auth[_-]?token|access[_-]?token|refresh[_-]?token|client[_-]?secret|private[_-]?key|token))["']?\s*(?::=|=>|[:=])\s*(?:"([^"\r\n]{4,200})"|'([^'\r\n]{4,200})'|([^\s"',;`)}\]]{4,200}))/gi;
// "my password is hunter22", "the password: x".
const PROSE_RE = /\b(?:password|passcode|passphrase|pin code)\s+(?:is|was|will be|=|:)\s+["']?([^\s"',;]{4,100})/gi;
const PLACEHOLDER_RE =
  /^(?:\$\{.*|\{\{.*|<.*|%[A-Za-z_]+%?|\*+|x{3,}|\.{3,}|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%[A-Za-z_]+%|\$[A-Za-z_][A-Za-z0-9_]*|process\.env\..*|os\.environ.*|null|none|nil|undefined|true|false|changeme_placeholder|redacted|\[redacted\]|your[_-].*|example.*|placeholder|required|optional|string|number|secret|password|token)$/i;

function jwtHeaderValid(jwt: string): boolean {
  const header = jwt.slice(0, jwt.indexOf('.'));
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && 'alg' in parsed;
  } catch {
    return false;
  }
}

// All needles in one pass: one regex scan finds which rules can match at all.
const NEEDLE_RE = new RegExp(
  RULES.map((r) => (typeof r.needle === 'string' ? r.needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : r.needle.source)).join('|'),
  'g',
);

export class SecretDetector implements Detector {
  readonly name = 'secret';
  readonly entities = ['SECRET'] as const;

  detect(text: string, out: Candidate[]): void {
    NEEDLE_RE.lastIndex = 0;
    const any = NEEDLE_RE.test(text);
    for (const rule of any ? RULES : []) {
      if (typeof rule.needle === 'string' ? text.indexOf(rule.needle) < 0 : !rule.needle.test(text)) continue;
      eachMatch(rule.re, text, (m) => {
        const group = rule.group ?? 0;
        const value = m[group];
        if (value === undefined) return;
        if (rule.validate && !rule.validate(value)) return;
        const start = m.index + (group === 0 ? 0 : m[0].lastIndexOf(value));
        out.push({ entity: 'SECRET', start, end: start + value.length, score: rule.score, reason: `secret:${rule.id}` });
      });
    }
    // Assignments and prose are searched only in windows around a keyword: a leading identifier scan over all
    // of the text would cost more than every other rule together.
    KEYWORD_RE.lastIndex = 0;
    let k: RegExpExecArray | null;
    let covered = 0;
    while ((k = KEYWORD_RE.exec(text)) !== null) {
      let from = k.index;
      while (from > 0 && from > k.index - 64 && /[A-Za-z0-9_.-]/.test(text[from - 1]!)) from--;
      from = Math.max(from, covered);
      const to = Math.min(text.length, k.index + k[0].length + 240);
      if (to <= covered) continue;
      this.assignments(text.slice(from, to), from, out);
      covered = to;
      KEYWORD_RE.lastIndex = Math.max(KEYWORD_RE.lastIndex, to - 200);
    }
  }

  private assignments(text: string, offset: number, out: Candidate[]): void {
    // Every assignment has ':' or '=' (the leading identifier scan is the costly part: skip it in prose).
    if (text.indexOf('=') >= 0 || text.indexOf(':') >= 0) this.assignmentMatches(text, offset, out);
    eachMatch(PROSE_RE, text, (m) => {
      const value = m[1];
      if (value === undefined || PLACEHOLDER_RE.test(value)) return;
      const start = offset + m.index + m[0].length - value.length;
      out.push({ entity: 'SECRET', start, end: start + value.length, score: 0.7, reason: 'secret:password_prose' });
    });
  }

  private assignmentMatches(text: string, offset: number, out: Candidate[]): void {
    eachMatch(ASSIGNMENT_RE, text, (m) => {
      const value = m[2] ?? m[3] ?? m[4];
      if (value === undefined || PLACEHOLDER_RE.test(value.trim())) return;
      const key = (m[1] ?? '').toLowerCase();
      // Token/key names carry a value that must look random; a password can be anything.
      const isPassword = /pass|pwd|secret/.test(key);
      if (!isPassword && !looksRandom(value)) return;
      const start = offset + m.index + m[0].length - value.length - (m[2] !== undefined || m[3] !== undefined ? 1 : 0);
      out.push({
        entity: 'SECRET',
        start,
        end: start + value.length,
        score: isPassword ? 0.8 : 0.75,
        reason: isPassword ? 'secret:password_assignment' : 'secret:key_assignment',
      });
    });
  }
}

/** Shannon entropy per character ≥ 3 bits and at least one digit or mixed case: a generated token, not a word. */
function looksRandom(value: string): boolean {
  if (value.length < 12) return false;
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / value.length;
    h -= p * Math.log2(p);
  }
  return h >= 3 && (/\d/.test(value) || (/[a-z]/.test(value) && /[A-Z]/.test(value)));
}
