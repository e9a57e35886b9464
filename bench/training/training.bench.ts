/**
 * Text-classifier training throughput on generated support tickets (4 intents), one core:
 * featurisation (hashed word 1-2-grams + char 3-4-grams) and optimisation reported separately, for SGD and Adam
 * at two feature dimensions, with the held-out accuracy next to the majority-class baseline.
 *
 *   BENCH_EXAMPLES=20000 npm run bench:training
 */
import { DEFAULT_NGRAM_HASHING, TextClassifierTrainer, hashNgrams, syntheticTicketExamples } from '@confide/training';

const n = Number(process.env.BENCH_EXAMPLES ?? 20_000);
const examples = syntheticTicketExamples(n, 42);
const epochs = 3;
const trainer = new TextClassifierTrainer();

// Warm-up so JIT compilation is not billed to the first configuration.
await trainer.train(examples.slice(0, 2000), { seed: 0, epochs: 1 });

const rows: Record<string, string | number>[] = [];
for (const bits of [16, 18]) {
  const hashing = { ...DEFAULT_NGRAM_HASHING, dimension: 1 << bits };
  let t = performance.now();
  for (const e of examples) hashNgrams(e.text, hashing);
  const featurePerSec = n / ((performance.now() - t) / 1000);
  for (const optimizer of ['sgd', 'adam'] as const) {
    t = performance.now();
    const r = await trainer.train(examples, {
      seed: 1,
      epochs,
      batchSize: 32,
      optimizer,
      learningRate: optimizer === 'sgd' ? 0.5 : 0.05,
      hashing,
    });
    const seconds = (performance.now() - t) / 1000;
    const v = r.summary.validation!;
    rows.push({
      dimension: `2^${bits}`,
      optimizer,
      'featurise ex/s': Math.round(featurePerSec),
      'train ex/s (end to end)': Math.round(r.summary.examplesSeen / seconds),
      seconds: Number(seconds.toFixed(2)),
      'val acc': Number(v.accuracy.toFixed(4)),
      baseline: Number(v.baselineAccuracy.toFixed(4)),
      'model KiB': Math.round(r.model.length / 1024),
    });
  }
}
console.log(`text-classifier: ${n} examples (${epochs} epochs, 20 % held out), node ${process.version}`);
console.table(rows);
