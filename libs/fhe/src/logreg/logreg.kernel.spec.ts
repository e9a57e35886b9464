import {
  CKKS_INSECURE_TEST_PARAMETERS,
  FheEnterpriseSession,
  FheEvaluatorSession,
  createLogRegLayout,
  logRegAccuracy,
  plainLogRegStep,
  syntheticLogRegData,
} from '../index.js';

const params = CKKS_INSECURE_TEST_PARAMETERS;
const opts = { allowInsecure: true };

describe('encrypted logistic regression (N=8192 test chain)', () => {
  it('matches the plaintext reference step by step and in accuracy', async () => {
    const data = syntheticLogRegData(600, 7, 2024);
    const layout = createLogRegLayout(params, 7, 600);
    expect(layout).toMatchObject({ stride: 8, rowsPerCiphertext: 512, ciphertexts: 2 });
    const owner = await FheEnterpriseSession.createForLogReg(params, layout, opts);
    const node = await FheEvaluatorSession.create(owner.publicBundle(), opts);
    const dataset = node.loadLogRegDataset(layout, owner.encryptLogRegDataset(layout, data.train.features, data.train.labels));
    try {
      let plain = new Float64Array(8);
      let wire = owner.encryptWeights(layout, plain);
      let encrypted = plain;
      for (let it = 0; it < 4; it++) {
        const out = node.logRegStep(dataset, wire, { learningRate: 4 });
        ({ weights: encrypted, ciphertext: wire } = owner.refreshWeights(layout, out, { rowNormBound: Math.sqrt(8) }));
        plain = plainLogRegStep(plain, data.train.features, data.train.labels, { learningRate: 4 });
        const diff = Math.max(...encrypted.map((w, j) => Math.abs(w - plain[j]!)));
        expect(diff).toBeLessThan(1e-3);
      }
      expect(Math.max(...plain.map(Math.abs))).toBeGreaterThan(0.1); // it did learn something
      const accEnc = logRegAccuracy(encrypted, data.test.features, data.test.labels);
      const accPlain = logRegAccuracy(plain, data.test.features, data.test.labels);
      expect(Math.abs(accEnc - accPlain)).toBeLessThanOrEqual(0.01);
      expect(accPlain).toBeGreaterThan(0.75);
    } finally {
      dataset.dispose();
      node.dispose();
      owner.dispose();
    }
  });
});
