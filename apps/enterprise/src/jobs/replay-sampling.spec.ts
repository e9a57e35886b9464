import { syntheticTicketExamples, TextClassifierTrainer } from '@confide/training';
import { randomBytes } from 'node:crypto';
import { compareReplay, replaySeed, replaySelected, replayStepSelected } from './replay-sampling.js';

describe('sampled replay', () => {
  it('selects a stable, rate-sized fraction of jobs', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const picked = ids.filter((id) => replaySelected(id, 0.1)).length;
    expect(picked).toBeGreaterThan(150);
    expect(picked).toBeLessThan(250);
    expect(ids.filter((id) => replaySelected(id, 0.1))).toEqual(ids.filter((id) => replaySelected(id, 0.1)));
    expect(ids.some((id) => replaySelected(id, 0))).toBe(false);
    expect(ids.every((id) => replaySelected(id, 1))).toBe(true);
  });

  it('a replay with the same seed on the same data matches; a node that trained on other data does not', async () => {
    const data = syntheticTicketExamples(240, 7);
    const seed = replaySeed('job-a', null);
    expect(replaySeed('job-a', null)).toBe(seed);
    const t = new TextClassifierTrainer();
    const opts = { seed, epochs: 2, hashing: { dimension: 1 << 12 } };
    const a = await t.train(data, opts);
    const b = await t.train(data, opts);
    expect(compareReplay(a.digest, b.digest)).toEqual({ verdict: 'match' });
    const cheat = await t.train(data.slice(0, 120), opts);
    expect(compareReplay(a.digest, cheat.digest).verdict).toBe('mismatch');
  });

  it('samples FHE iterations at the rate, reproducibly from the run key, and differently under another key', () => {
    const job = '00000000-0000-4000-8000-000000000001';
    const salt = randomBytes(32);
    const steps = Array.from({ length: 4000 }, (_, i) => i + 1);
    const picked = steps.filter((k) => replayStepSelected(salt, job, k, 0.25));
    expect(picked.length).toBeGreaterThan(850);
    expect(picked.length).toBeLessThan(1150);
    expect(steps.filter((k) => replayStepSelected(Buffer.from(salt), job, k, 0.25))).toEqual(picked);
    expect(steps.filter((k) => replayStepSelected(randomBytes(32), job, k, 0.25))).not.toEqual(picked);
    expect(steps.some((k) => replayStepSelected(salt, job, k, 0))).toBe(false);
    expect(steps.every((k) => replayStepSelected(salt, job, k, 1))).toBe(true);
    expect(replayStepSelected(null, job, 1, 1)).toBe(false);
  });
});
