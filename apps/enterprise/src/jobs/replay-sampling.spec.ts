import { syntheticTicketExamples, TextClassifierTrainer } from '@confide/training';
import { compareReplay, replaySeed, replaySelected } from './replay-sampling.js';

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
});
