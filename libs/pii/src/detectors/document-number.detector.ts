import type { Candidate } from '../entities.js';
import { eachMatch, type Detector } from './detector.js';

// Passport numbers: 6–9 alphanumerics with at least one digit (ICAO 9303 document number field is ≤ 9).
const PASSPORT_RE = /\b(?=[A-Z0-9]*\d)[A-Z0-9]{6,9}\b/g;
// Driver licence numbers vary by issuer: 5–20 characters, letters, digits and single dashes, ≥ 4 digits.
const LICENSE_RE = /\b(?=(?:[A-Z-]*\d){4})[A-Z0-9](?:[A-Z0-9]|-(?=[A-Z0-9])){4,19}\b/g;

/** Passport and driver licence numbers have no checksum worth the name: they are reported only with context. */
export class PassportDetector implements Detector {
  readonly name = 'passport';
  readonly entities = ['PASSPORT'] as const;
  readonly needsDigits = true;
  readonly gatedBy = 'PASSPORT' as const;

  detect(text: string, out: Candidate[]): void {
    eachMatch(PASSPORT_RE, text, (m) => {
      out.push({ entity: 'PASSPORT', start: m.index, end: m.index + m[0].length, score: 0.05, contextScore: 0.7, reason: 'passport:shape' });
    });
  }
}

export class DriverLicenseDetector implements Detector {
  readonly name = 'driver_license';
  readonly entities = ['DRIVER_LICENSE'] as const;
  readonly needsDigits = true;
  readonly gatedBy = 'DRIVER_LICENSE' as const;

  detect(text: string, out: Candidate[]): void {
    eachMatch(LICENSE_RE, text, (m) => {
      out.push({
        entity: 'DRIVER_LICENSE',
        start: m.index,
        end: m.index + m[0].length,
        score: 0.05,
        contextScore: 0.65,
        reason: 'driver_license:shape',
      });
    });
  }
}
