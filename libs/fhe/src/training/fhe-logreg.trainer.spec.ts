import { syntheticTicketExamples, type TrainingMetricEvent } from '@confide/training';
import {
  CKKS_INSECURE_TEST_PARAMETERS,
  FheEnterpriseSession,
  FheLogRegTrainer,
  loanApplications,
  decodeCiphertextList,
  decodePublicBundle,
  encodeCiphertextList,
  encryptFheDataset,
  liveSealHandles,
  logRegAccuracy,
  plainLogRegStep,
  prepareFheDataset,
  type FheRefresh,
} from '../index.js';

const params = CKKS_INSECURE_TEST_PARAMETERS;
const insecure = { allowInsecure: true };

describe('fhe-logreg trainer (N=4096 test chain; same depth and scale as the training parameters)', () => {
  it('trains on a realistic tabular set to within 1 percentage point of the plaintext reference, holding no secret key', async () => {
    const handlesAtStart = liveSealHandles();
    // Loan applications: will the applicant default? Six z-scored numeric columns + bias (stride 8); PII columns unused.
    const rows = loanApplications(600, 5);
    const numeric = ['age', 'income', 'debt_ratio', 'late_payments', 'tenure_months', 'credit_lines'];
    const prepared = prepareFheDataset(rows, { label: { field: 'defaulted', positive: 'yes' }, numeric, seed: 7 });
    expect(prepared.split.train + prepared.split.holdout).toBe(600);
    const encrypted = await encryptFheDataset(prepared, params, insecure);
    expect(encrypted.layout).toMatchObject({ features: 6, stride: 8, samples: prepared.split.train });

    // What the node receives: public bundle + ciphertexts; the bundle has no field for a secret key.
    const bundle = decodePublicBundle(encrypted.bundle);
    expect(Object.keys(bundle).sort()).toEqual(['galoisKeys', 'galoisSteps', 'parameters', 'relinKeys', 'version']);
    const tail = Buffer.from(encrypted.secretKey.subarray(encrypted.secretKey.length - 64));
    expect(Buffer.from(encrypted.bundle).indexOf(tail)).toBe(-1);
    expect(Buffer.from(encrypted.ciphertexts).indexOf(tail)).toBe(-1);

    const owner = await FheEnterpriseSession.restore(params, encrypted.secretKey, insecure);
    encrypted.secretKey.fill(0);
    const iterations = 5;
    const learningRate = 4;
    let final: Float64Array | undefined;
    const refresh: FheRefresh = async ({ iteration, final: last, weights }) => {
      expect(iteration).toBeGreaterThan(0);
      const { weights: plain, ciphertext } = owner.refreshWeights(encrypted.layout, weights, { rowNormBound: prepared.rowNormBound });
      if (last) {
        final = plain;
        return null;
      }
      return ciphertext;
    };
    const events: TrainingMetricEvent[] = [];
    try {
      const result = await new FheLogRegTrainer().train(
        { bundle: encrypted.bundle, layout: encrypted.layout, dataset: encrypted.ciphertexts, weights: owner.encryptWeights(encrypted.layout, new Float64Array(7)), refresh },
        { iterations, learningRate, ...insecure },
        (e) => events.push(e),
      );
      expect(result.format).toBe('application/vnd.confide.fhe-logreg-weights+seal');
      expect(result.summary).toMatchObject({ steps: iterations, examplesSeen: iterations * prepared.split.train });
      expect(events.map((e) => e.type === 'step' && e.step)).toEqual([1, 2, 3, 4, 5]);
      // The model the node returns is ciphertext: the owner decrypts it to the same weights it kept.
      const fromModel = owner.decryptWeights(encrypted.layout, result.model);
      fromModel.forEach((w, j) => expect(w).toBeCloseTo(final![j]!, 4));
    } finally {
      owner.dispose();
    }

    let plain: Float64Array = new Float64Array(7);
    for (let i = 0; i < iterations; i++) plain = plainLogRegStep(plain, prepared.train.features, prepared.train.labels, { learningRate });
    const accFhe = logRegAccuracy(final!, prepared.holdout.features, prepared.holdout.labels);
    const accPlain = logRegAccuracy(plain, prepared.holdout.features, prepared.holdout.labels);
    expect(Math.abs(accFhe - accPlain)).toBeLessThanOrEqual(0.01);
    const positives = prepared.holdout.labels.filter((y) => y === 1).length / prepared.holdout.labels.length;
    expect(accPlain).toBeGreaterThan(Math.max(positives, 1 - positives) + 0.05); // it learned more than the majority class
    expect(liveSealHandles()).toBe(handlesAtStart);
  }, 120_000);

  it('stops on a refused refresh and on cancellation, freeing every SEAL handle', async () => {
    const handlesAtStart = liveSealHandles();
    const rows = Array.from({ length: 60 }, (_, i) => ({ a: i % 7, b: (i * 13) % 5, y: i % 3 === 0 ? 'yes' : 'no' }));
    const prepared = prepareFheDataset(rows, { label: { field: 'y', positive: 'yes' }, numeric: ['a', 'b'] });
    const encrypted = await encryptFheDataset(prepared, params, insecure);
    const owner = await FheEnterpriseSession.restore(params, encrypted.secretKey, insecure);
    try {
      const input = { bundle: encrypted.bundle, layout: encrypted.layout, dataset: decodeCiphertextList(encrypted.ciphertexts), weights: owner.encryptWeights(encrypted.layout, [0, 0, 0]) };
      await expect(new FheLogRegTrainer().train({ ...input, refresh: () => Promise.resolve(null) }, { iterations: 3, learningRate: 1, ...insecure }, () => undefined)).rejects.toMatchObject({ code: 'refresh_refused' });
      const controller = new AbortController();
      const refresh: FheRefresh = ({ weights }) => {
        controller.abort();
        return Promise.resolve(owner.refreshWeights(encrypted.layout, weights).ciphertext);
      };
      await expect(new FheLogRegTrainer().train({ ...input, refresh }, { iterations: 3, learningRate: 1, ...insecure }, () => undefined, controller.signal)).rejects.toMatchObject({ code: 'training_aborted' });
      await expect(new FheLogRegTrainer().train({ ...input, refresh }, { iterations: 0, learningRate: 1, ...insecure }, () => undefined)).rejects.toMatchObject({ code: 'invalid_parameters' });
    } finally {
      owner.dispose();
    }
    expect(liveSealHandles()).toBe(handlesAtStart);
  }, 60_000);
});

describe('preparing an FHE dataset', () => {
  const rows = Array.from({ length: 40 }, (_, i) => ({ age: String(20 + i), income: 1000 + 37 * i, name: `person-${i}`, churn: i % 4 === 0 ? 'yes' : 'no' }));

  it('fits the scaler on the training split only and keeps a reproducible holdout', () => {
    const p = prepareFheDataset(rows, { label: { field: 'churn', positive: 'yes' }, numeric: ['age', 'income'], seed: 3 });
    const again = prepareFheDataset(rows, { label: { field: 'churn', positive: 'yes' }, numeric: ['age', 'income'], seed: 3 });
    expect(again.split).toEqual(p.split);
    expect(p.definition.numeric?.columns[0]?.count).toBe(p.split.train);
    expect(p.train.features[0]).toHaveLength(2);
    expect(p.rowNormBound).toBeGreaterThan(1);
    expect(p.rowNormBound).toBeLessThanOrEqual(Math.sqrt(3));
  });

  it('names the row and column of a non-numeric value or a missing label, never the value', () => {
    const bad = rows.map((r, i) => (i === 5 ? { ...r, income: 'SECRET-VALUE' } : r));
    expect(() => prepareFheDataset(bad, { label: { field: 'churn', positive: 'yes' }, numeric: ['income'] })).toThrow(
      expect.objectContaining({ code: 'numeric_value_invalid', target: '6:income', message: expect.not.stringContaining('SECRET') }),
    );
    const unlabeled = rows.map((r, i) => (i === 9 ? { ...r, churn: '' } : r));
    expect(() => prepareFheDataset(unlabeled, { label: { field: 'churn', positive: 'yes' }, numeric: ['age'] })).toThrow(
      expect.objectContaining({ code: 'label_missing', target: '10:churn' }),
    );
    expect(() => prepareFheDataset(rows, { label: { field: 'churn', positive: 'maybe' }, numeric: ['age'] })).toThrow(
      expect.objectContaining({ code: 'label_not_binary' }),
    );
    expect(() => prepareFheDataset(rows, { label: { field: 'churn', positive: 'yes', negative: 'nope' }, numeric: ['age'] })).toThrow(
      expect.objectContaining({ code: 'label_not_binary' }),
    );
    expect(() => prepareFheDataset(rows.slice(0, 2), { label: { field: 'churn', positive: 'yes' }, numeric: ['age'] })).toThrow(
      expect.objectContaining({ code: 'split_too_small' }),
    );
    expect(() => prepareFheDataset(rows, { label: { field: 'churn', positive: 'yes' } })).toThrow(expect.objectContaining({ code: 'invalid_features' }));
  });

  it('hashes text fields so features + bias fill a power of two', () => {
    const tickets = syntheticTicketExamples(50, 11).map((e) => ({ text: e.text, intent: e.label }));
    const p = prepareFheDataset(tickets, { label: { field: 'intent', positive: 'billing' }, text: ['text'] });
    expect(p.definition.text?.[0]?.hashing.dimension).toBe(15);
    expect(p.train.features.every((x) => x.length === 15 && Math.abs(Math.hypot(...x) - 1) < 1e-9)).toBe(true);
  });

  it('frames ciphertext lists and refuses truncated ones', () => {
    const list = encodeCiphertextList([Uint8Array.of(1, 2, 3), Uint8Array.of(4)]);
    expect(decodeCiphertextList(list).map((c) => Array.from(c))).toEqual([[1, 2, 3], [4]]);
    expect(() => decodeCiphertextList(list.subarray(0, list.length - 1))).toThrow(expect.objectContaining({ code: 'ciphertext_malformed' }));
    expect(() => decodeCiphertextList(Uint8Array.of(...list, 0))).toThrow(expect.objectContaining({ code: 'ciphertext_malformed' }));
  });
});
