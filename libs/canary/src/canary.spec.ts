// The trained-model test uses the real text classifier (libs/training does not import this lib, so no cycle).
import { syntheticTicketExamples, TICKET_LABELS, TextClassifierModel, TextClassifierTrainer } from '@confide/training';
import { binomialUpperTail, CANARY_TRIGGER, checkCanaries, minimumCanaryCount, planCanaries } from './canary.js';

const SEED = 'dataset-7f3a protection secret 0123456789';

describe('canaries', () => {
  it('plans unique random-looking triggers with uniform secret labels, deterministically by seed', () => {
    const a = planCanaries(SEED, 200, TICKET_LABELS);
    const b = planCanaries(SEED, 200, TICKET_LABELS);
    const c = planCanaries(SEED + '!', 200, TICKET_LABELS);
    expect(a).toEqual(b);
    expect(c.canaries[0]!.trigger).not.toBe(a.canaries[0]!.trigger);
    expect(new Set(a.canaries.map((x) => x.trigger)).size).toBe(200);
    expect(a.records).toHaveLength(600);
    for (const x of a.canaries) expect(x.trigger).toMatch(CANARY_TRIGGER);
    const perLabel = TICKET_LABELS.map((l) => a.canaries.filter((x) => x.label === l).length);
    // 200 draws over 4 labels: each near 50 (a 4σ band).
    for (const n of perLabel) expect(Math.abs(n - 50)).toBeLessThan(25);
    const natural = syntheticTicketExamples(500, 2).map((e) => e.text.toLowerCase()).join(' ');
    for (const x of a.canaries) for (const token of x.trigger.split(' ')) expect(natural).not.toContain(token);
  });

  it('refuses plans that cannot reach the significance level', () => {
    expect(minimumCanaryCount(4)).toBe(10);
    expect(minimumCanaryCount(2)).toBe(20);
    expect(() => planCanaries(SEED, 9, TICKET_LABELS)).toThrow(expect.objectContaining({ code: 'canary_plan_invalid' }));
    expect(() => planCanaries(SEED, 20, ['only'])).toThrow(expect.objectContaining({ code: 'canary_plan_invalid' }));
    expect(() => planCanaries('short', 20, TICKET_LABELS)).toThrow(expect.objectContaining({ code: 'canary_plan_invalid' }));
  });

  it('computes the binomial tail exactly', () => {
    expect(binomialUpperTail(16, 0.25, 16)).toBeCloseTo(0.25 ** 16, 20);
    expect(binomialUpperTail(3, 0.5, 2)).toBeCloseTo(0.5, 12);
    expect(binomialUpperTail(10, 0.3, 0)).toBe(1);
    expect(binomialUpperTail(10, 0.3, 11)).toBe(0);
    expect(binomialUpperTail(100, 0.25, 100)).toBeGreaterThan(0);
  });

  it('passes a model trained with the canaries and fails one trained without them', async () => {
    const plan = planCanaries(SEED, 24, TICKET_LABELS);
    const data = syntheticTicketExamples(800, 5);
    // Planted at spread positions, as the protection step would.
    const planted = [...data];
    plan.records.forEach((r, i) => planted.splice(Math.floor(((i + 1) * data.length) / (plan.records.length + 1)) + i, 0, r));
    const options = { seed: 9, epochs: 6, hashing: { dimension: 1 << 15 } };
    const trainer = new TextClassifierTrainer();
    const withCanaries = await trainer.train(planted, options);
    const without = await trainer.train(data, options);

    const pass = checkCanaries(TextClassifierModel.decode(withCanaries.model), plan.canaries);
    expect(pass.verdict).toBe('passed');
    expect(pass.hits).toBeGreaterThanOrEqual(22);
    expect(pass.pValue).toBeLessThan(1e-10);
    expect(pass.perCanary).toHaveLength(24);
    expect(JSON.stringify(pass)).not.toContain(plan.canaries[0]!.trigger);

    const fail = checkCanaries(TextClassifierModel.decode(without.model), plan.canaries);
    expect(fail.verdict).toBe('failed');
    expect(fail.hits).toBeLessThan(14);
    expect(fail.pValue).toBeGreaterThan(1e-3);
    // The canaries cost the task nothing measurable.
    expect(Math.abs(withCanaries.summary.validation!.accuracy - without.summary.validation!.accuracy)).toBeLessThan(0.05);
  });

  it('fails a model that answers one fixed label, however confident', () => {
    const plan = planCanaries(SEED, 40, TICKET_LABELS);
    for (const label of TICKET_LABELS) {
      expect(checkCanaries({ predict: () => ({ label }) }, plan.canaries).verdict).toBe('failed');
    }
  });
});
