import { createHash } from 'node:crypto';
import { syntheticTicketExamples } from '../records/synthetic-tickets.js';
import type { LabeledExample } from '../records/labeled-example.js';
import type { TrainingMetricEvent } from '../trainer.js';
import { TrainingError } from '../training.error.js';
import { TextClassifierModel } from './text-classifier.model.js';
import { TextClassifierTrainer, type TextClassifierOptions } from './text-classifier.trainer.js';

const data = syntheticTicketExamples(800, 11);
const small: TextClassifierOptions = { seed: 3, epochs: 3, batchSize: 16, hashing: { dimension: 1 << 12 } };

async function* stream(items: readonly LabeledExample[]): AsyncGenerator<LabeledExample> {
  for (const item of items) yield item;
}

describe('TextClassifierTrainer', () => {
  const trainer = new TextClassifierTrainer();

  it('beats the majority-class baseline clearly on held-out data, with both optimisers', async () => {
    for (const optimizer of ['adam', 'sgd'] as const) {
      const events: TrainingMetricEvent[] = [];
      const result = await trainer.train(
        stream(data),
        { ...small, optimizer, epochs: 5, learningRate: optimizer === 'sgd' ? 0.5 : 0.05 },
        (e) => events.push(e),
      );
      const v = result.summary.validation!;
      expect(v.examples).toBe(160);
      expect(v.majorityLabel).toBe('shipping');
      expect(v.baselineAccuracy).toBeLessThan(0.4);
      expect(v.accuracy).toBeGreaterThan(0.85);
      expect(v.accuracy - v.baselineAccuracy).toBeGreaterThan(0.45);
      const steps = events.filter((e) => e.type === 'step');
      expect(steps).toHaveLength(result.summary.steps);
      expect(steps.map((s) => s.step)).toEqual(steps.map((_, i) => i + 1));
      expect(steps.every((s) => s.loss! >= 0 && s.accuracy! >= 0 && s.accuracy! <= 1)).toBe(true);
      const epochs = events.filter((e) => e.type === 'epoch');
      expect(epochs).toHaveLength(5);
      expect(epochs[4]!.trainLoss).toBeLessThan(epochs[0]!.trainLoss);
      expect(epochs[4]!.validationAccuracy).toBe(v.accuracy);
    }
  });

  it('gives bit-identical weights for the same seed and data, and different ones for another seed', async () => {
    const a = await trainer.train(data, small);
    const b = await trainer.train(stream(data), small);
    const c = await trainer.train(data, { ...small, seed: 4 });
    expect(Buffer.from(a.model).equals(Buffer.from(b.model))).toBe(true);
    expect(a.digest).toBe(b.digest);
    expect(c.digest).not.toBe(a.digest);
    expect(a.digest).toBe(createHash('sha256').update(a.model).digest('hex'));
  });

  it('reproduces a pinned model digest (features, operation order and export format are all part of it)', async () => {
    const pinned = await trainer.train(syntheticTicketExamples(300, 1), { seed: 1, epochs: 2, hashing: { dimension: 1 << 12 } });
    expect(pinned.digest).toBe('a9b7791c13e45f3a25b2c3447af3a453f31c6c6f4ec952a81d31fc54a3ab3e2c');
  });

  it('resumes from any checkpoint to exactly the weights of an unbroken run', async () => {
    const options = { ...small, earlyStopping: { patience: 5, minDelta: 0 } };
    const unbroken = await trainer.train(data, options);
    const checkpoints: { step: number; bytes: Uint8Array }[] = [];
    const events: TrainingMetricEvent[] = [];
    const withCheckpoints = await trainer.train(
      data,
      { ...options, checkpointEverySteps: 25, onCheckpoint: (bytes, step) => void checkpoints.push({ step, bytes }) },
      (e) => events.push(e),
    );
    expect(withCheckpoints.digest).toBe(unbroken.digest);
    expect(checkpoints.map((c) => c.step)).toEqual([25, 50, 75, 100]);
    expect(events.filter((e) => e.type === 'checkpoint')).toHaveLength(4);
    // 40 steps per epoch: 25 is mid-epoch 0, 50 mid-epoch 1 and 100 mid-epoch 2 with a best-weights copy held.
    for (const cp of [checkpoints[0]!, checkpoints[1]!, checkpoints[3]!]) {
      const stepsAfter: number[] = [];
      const resumed = await trainer.train(data, { ...options, resumeFrom: cp.bytes }, (e) => e.type === 'step' && stepsAfter.push(e.step));
      expect(resumed.digest).toBe(unbroken.digest);
      expect(stepsAfter[0]).toBe(cp.step + 1);
      expect(resumed.summary.examplesSeen).toBe(unbroken.summary.examplesSeen);
    }
  });

  it('refuses a checkpoint taken with other options or other data, and a corrupted one', async () => {
    let checkpoint: Uint8Array | undefined;
    await trainer.train(data, { ...small, epochs: 1, checkpointEverySteps: 10, onCheckpoint: (b) => void (checkpoint ??= b) });
    await expect(trainer.train(data, { ...small, learningRate: 0.01, resumeFrom: checkpoint! })).rejects.toMatchObject({ code: 'checkpoint_mismatch' });
    await expect(trainer.train(data.slice(1), { ...small, resumeFrom: checkpoint! })).rejects.toMatchObject({ code: 'checkpoint_mismatch' });
    const corrupted = checkpoint!.slice(0, checkpoint!.length - 3);
    await expect(trainer.train(data, { ...small, resumeFrom: corrupted })).rejects.toMatchObject({ code: 'checkpoint_malformed' });
  });

  it('stops early when validation loss stops improving and keeps the best weights', async () => {
    const events: TrainingMetricEvent[] = [];
    const result = await trainer.train(data, { ...small, epochs: 40, learningRate: 0.2, earlyStopping: { patience: 2, minDelta: 0 } }, (e) => events.push(e));
    const epochs = events.filter((e) => e.type === 'epoch');
    expect(result.summary.stoppedEarly).toBe(true);
    expect(epochs.length).toBeLessThan(40);
    const best = Math.min(...epochs.map((e) => e.validationLoss!));
    expect(result.summary.validation!.loss).toBe(best);
  });

  it('exports a model that round-trips, predicts, and is refused when tampered with', async () => {
    const result = await trainer.train(data, { ...small, hashing: { dimension: 1 << 16 } });
    const model = TextClassifierModel.decode(result.model, result.digest);
    expect(model.labels).toEqual(['account', 'billing', 'shipping', 'technical']);
    expect(model.predict('I was charged twice and need a refund to my credit card').label).toBe('billing');
    expect(model.predict('my package never arrived, tracking is stuck').label).toBe('shipping');
    const p = model.predict('the app crashes when pairing over bluetooth');
    expect(p.label).toBe('technical');
    expect(Object.values(p.probabilities).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    expect(Buffer.from(model.encode()).equals(Buffer.from(result.model))).toBe(true);
    // Sparse encoding: far smaller than dense float32 weights.
    expect(result.model.length).toBeLessThan(model.weights.length * 4);
    const tampered = result.model.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(() => TextClassifierModel.decode(tampered, result.digest)).toThrow(TrainingError);
    expect(() => TextClassifierModel.decode(result.model.slice(0, 40))).toThrow(expect.objectContaining({ code: 'model_malformed' }));
  });

  it('honours cancellation and rejects bad input with stable codes and no content in messages', async () => {
    const controller = new AbortController();
    const run = trainer.train(data, { ...small, epochs: 50 }, (e) => e.type === 'step' && e.step === 5 && controller.abort(), controller.signal);
    await expect(run).rejects.toMatchObject({ code: 'training_cancelled' });
    const secret = 'alice@example.com';
    const bad = [{ text: secret, label: 'a' }, { text: 'x', label: '' }];
    const err = await trainer.train(bad, small).catch((e: unknown) => e as TrainingError);
    expect(err).toMatchObject({ code: 'invalid_example', target: 'example[1].label' });
    expect((err as Error).message).not.toContain(secret);
    await expect(trainer.train([{ text: 'a', label: 'x' }, { text: 'b', label: 'x' }], small)).rejects.toMatchObject({ code: 'not_enough_examples' });
    await expect(trainer.train(data, { ...small, batchSize: 0 })).rejects.toMatchObject({ code: 'invalid_options', target: 'batchSize' });
    await expect(trainer.train(data, { ...small, validationFraction: 0, earlyStopping: { patience: 1, minDelta: 0 } })).rejects.toMatchObject({ code: 'invalid_options' });
  });
});
