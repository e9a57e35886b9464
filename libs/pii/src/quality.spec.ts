import { describe, expect, it } from '@jest/globals';
// The evaluation script owns the dataset's label mapping; the spec only holds the bar.
import { evaluate, loadRecords } from '../../../test/eval/eval-pii.js';

describe('span-level quality on the Presidio synthetic dev set', () => {
  const report = evaluate(loadRecords(new URL('../../../test/fixtures/pii/presidio_synth_v2.dev.jsonl', import.meta.url).pathname));

  it('keeps overall F2 >= 0.85 at IoU >= 0.5 (Presidio best published: 0.845)', () => {
    expect(report.records).toBe(1500);
    expect(report.overall.f2).toBeGreaterThanOrEqual(0.85);
  });

  it('keeps the validated entities near perfect', () => {
    for (const e of ['EMAIL', 'CREDIT_CARD', 'IBAN', 'US_SSN', 'IP_ADDRESS']) {
      const s = report.perEntity.find((x) => x.entity === e)!;
      expect(s.precision).toBeGreaterThanOrEqual(0.97);
      expect(s.recall).toBeGreaterThanOrEqual(0.97);
    }
  });

  it('flags nearly every record that holds PII', () => {
    expect(report.recordRecall).toBeGreaterThanOrEqual(0.93);
  });
});
