import { isIPv6 } from 'node:net';
import type { Candidate } from '../entities.js';
import { eachMatch, type Detector } from './detector.js';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_RE = new RegExp(`(?<![\\d.])${OCTET}(?:\\.${OCTET}){3}(?!\\d|\\.\\d)`, 'g');
const IPV6_RE = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/g;
const MAC_RE = /(?<![\w:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:-])/g;
// Cheap gates without look-behinds (those stop V8 from skipping ahead), run before the exact patterns.
const MAC_GATE_RE = /[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-]/;
const MAC_DOT_GATE_RE = /\.[0-9A-Fa-f]{4}\./;
const MAC_DOT_RE = /(?<![\w.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w.])/g;
const URL_USERINFO_RE = /\b[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s:@/"'<>]{1,256}:[^\s@/"'<>]{1,256}@[^\s/?#"'<>,;]+(?:[/?#][^\s"'<>]*)?/g;

export class IpAddressDetector implements Detector {
  readonly name = 'ip_address';
  readonly entities = ['IP_ADDRESS'] as const;
  readonly needsDigits = true;

  detect(text: string, out: Candidate[]): void {
    if (text.indexOf('.') >= 0) {
      eachMatch(IPV4_RE, text, (m) => {
        const tiny = /^\d\.\d\.\d\.\d$/.test(m[0]);
        out.push({
          entity: 'IP_ADDRESS',
          start: m.index,
          end: m.index + m[0].length,
          score: tiny ? 0.3 : 0.8,
          reason: tiny ? 'ip_address:ipv4_version_like' : 'ip_address:ipv4',
        });
      });
    }
    if (text.indexOf(':') >= 0) {
      eachMatch(IPV6_RE, text, (m) => {
        const v = m[0];
        if (v.length < 3 || !/[0-9A-Fa-f]/.test(v) || !isIPv6(v)) return;
        // Bare "::", "a::b" clock-like short forms are too ambiguous without more groups.
        if (v.split(':').filter((g) => g.length > 0).length < 3 && !v.startsWith('::')) return;
        out.push({ entity: 'IP_ADDRESS', start: m.index, end: m.index + v.length, score: 0.8, reason: 'ip_address:ipv6' });
      });
    }
  }
}

export class MacAddressDetector implements Detector {
  readonly name = 'mac_address';
  readonly entities = ['MAC_ADDRESS'] as const;

  detect(text: string, out: Candidate[]): void {
    const push = (m: RegExpExecArray, score: number, reason: string): void => {
      out.push({ entity: 'MAC_ADDRESS', start: m.index, end: m.index + m[0].length, score, reason });
    };
    if (MAC_GATE_RE.test(text)) eachMatch(MAC_RE, text, (m) => push(m, 0.8, 'mac_address:colon_or_dash'));
    if (hasDotsFiveApart(text) && MAC_DOT_GATE_RE.test(text)) eachMatch(MAC_DOT_RE, text, (m) => push(m, 0.45, 'mac_address:dotted'));
  }
}

/** Two '.' five apart, as in every dotted MAC ("0123.4567.89ab"): indexOf hops over prose faster than the gate. */
function hasDotsFiveApart(text: string): boolean {
  for (let d = text.indexOf('.'); d >= 0; d = text.indexOf('.', d + 1)) if (text.charCodeAt(d + 5) === 46) return true;
  return false;
}

export class UrlCredentialsDetector implements Detector {
  readonly name = 'url_credentials';
  readonly entities = ['URL'] as const;

  detect(text: string, out: Candidate[]): void {
    if (text.indexOf('://') < 0) return;
    eachMatch(URL_USERINFO_RE, text, (m) => {
      out.push({ entity: 'URL', start: m.index, end: m.index + m[0].length, score: 0.98, reason: 'url:userinfo_credentials' });
    });
  }
}
