import type { Ciphertext, GaloisKeys, Plaintext, RelinKeys } from 'node-seal';
import { FheError } from '../fhe.error.js';
import { assertLayoutFits, LOGREG_LEVELS, logRegGaloisSteps, type LogRegLayout } from '../logreg/logreg.layout.js';
import { SIGMOID_NEG_POLY3, type LogRegStepOptions } from '../logreg/logreg.plain.js';
import { ckksLevels, createCkksContext, type CkksContext, type ParameterOptions } from '../params/ckks-parameters.js';
import { HandleArena, withArena } from '../seal/handle-arena.js';
import { sealInput, sealOutput } from '../seal/seal-bytes.js';
import { loadSeal, type SealRuntime } from '../seal/seal-runtime.js';
import { normaliseSteps } from './fhe-enterprise.session.js';
import type { FhePublicBundle } from './public-bundle.js';

/** A job's encrypted samples loaded on the node. Owns its ciphertexts: `dispose()` it when the job ends. */
export class EncryptedLogRegDataset {
  private readonly arena = new HandleArena();
  /** @internal */
  readonly ciphertexts: readonly Ciphertext[];

  /** @internal */
  constructor(
    readonly layout: LogRegLayout,
    load: (arena: HandleArena) => Ciphertext[],
  ) {
    try {
      this.ciphertexts = load(this.arena);
    } catch (error) {
      this.arena.dispose();
      throw error;
    }
  }

  dispose(): void {
    this.arena.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * The untrusted node's side: built from an `FhePublicBundle` only (parameters, relinearisation keys and the
 * Galois keys the kernels need), so it can evaluate but never decrypt. Returns ciphertexts only.
 */
export class FheEvaluatorSession {
  private readonly arena = new HandleArena();
  private readonly ckks: CkksContext;
  private readonly relinKeys: RelinKeys;
  private readonly galoisKeys: GaloisKeys | undefined;
  private readonly galoisSteps: ReadonlySet<number>;
  private disposed = false;

  private constructor(
    private readonly runtime: SealRuntime,
    bundle: FhePublicBundle,
    options: ParameterOptions,
  ) {
    const seal = runtime.seal;
    try {
      this.ckks = createCkksContext(seal, bundle.parameters, this.arena, options);
      this.galoisSteps = new Set(normaliseSteps(bundle.galoisSteps, this.ckks.slots));
      this.relinKeys = this.arena.own(new seal.RelinKeys());
      loadKeys(() => this.relinKeys.loadFromArray(this.ckks.context, sealInput(bundle.relinKeys).bytes));
      if (bundle.galoisKeys.length > 0) {
        const galois = this.arena.own(new seal.GaloisKeys());
        loadKeys(() => galois.loadFromArray(this.ckks.context, sealInput(bundle.galoisKeys).bytes));
        this.galoisKeys = galois;
      }
    } catch (error) {
      this.arena.dispose();
      throw error;
    }
  }

  static async create(bundle: FhePublicBundle, options: ParameterOptions = {}): Promise<FheEvaluatorSession> {
    return new FheEvaluatorSession(await loadSeal(), bundle, options);
  }

  /** Loads the dataset ciphertexts (seeded ones are expanded here) and checks they are fresh, top-level, 2-part. */
  loadLogRegDataset(layout: LogRegLayout, wires: readonly Uint8Array[]): EncryptedLogRegDataset {
    this.assertLive();
    assertLayoutFits(layout, this.ckks.parameters);
    if (wires.length !== layout.ciphertexts) {
      throw new FheError('invalid_layout', `expected ${layout.ciphertexts} dataset ciphertexts`);
    }
    return new EncryptedLogRegDataset(layout, (arena) => wires.map((wire) => this.loadTopLevel(wire, arena)));
  }

  /**
   * One encrypted gradient step (fhe.md §6): for each data ciphertext, t = Σ_row Z⊙W (rotate-and-add), masked to
   * the row's first slot and replicated over the row; g = c·(a0 + a1·t + a3·t³) with c = α/n folded into the
   * constants; G = g⊙Z; then the G of all ciphertexts summed, summed over row blocks, and W' = W + G. Uses 5
   * levels, 2·log2(stride)·cts + log2(rows) rotations, 4 ct×ct mults per ciphertext, and only the bundle's
   * Galois keys. Returns W' (zstd, not seeded: the node has no secret key) at the last level, for the owner's refresh.
   */
  logRegStep(dataset: EncryptedLogRegDataset, weights: Uint8Array, options: LogRegStepOptions): Uint8Array {
    this.assertLive();
    const { layout } = dataset;
    assertLayoutFits(layout, this.ckks.parameters);
    if (ckksLevels(this.ckks.parameters) < LOGREG_LEVELS) {
      throw new FheError('insufficient_levels', `the logistic-regression step needs ${LOGREG_LEVELS} levels`);
    }
    if (!(options.learningRate > 0) || !Number.isFinite(options.learningRate)) {
      throw new FheError('invalid_parameters', 'the learning rate must be a positive number');
    }
    const steps = logRegGaloisSteps(layout);
    const galoisKeys = this.galoisKeys;
    if (galoisKeys === undefined || steps.some((s) => !this.galoisSteps.has(s))) {
      throw new FheError('galois_key_missing', 'the bundle lacks Galois keys this layout needs');
    }
    const inner = steps.filter((s) => s > 0 && s < layout.stride);
    const rowSteps = steps.filter((s) => s >= layout.stride);
    const seal = this.runtime.seal;
    const { evaluator: ev, encoder, scale, slots } = this.ckks;
    const c = options.learningRate / layout.samples;

    return withArena((arena) => {
      const W = this.loadTopLevel(weights, arena);
      const ct = (): Ciphertext => arena.own(new seal.Ciphertext());
      // The data primes are only ≈2^40, so after each rescale the scale is pinned back to 2^40 (fhe.md §9); the
      // resulting relative error (~1e-6 per level) is what the tolerance against the plaintext reference absorbs.
      const rescale = (x: Ciphertext): Ciphertext => {
        ev.rescaleToNextInplace(x);
        x.setScale(scale);
        return x;
      };
      const mul = (a: Ciphertext, b: Ciphertext): Ciphertext => {
        const out = ct();
        ev.multiply(a, b, out);
        ev.relinearizeInplace(out, this.relinKeys);
        return rescale(out);
      };
      const mulPlain = (a: Ciphertext, p: Plaintext): Ciphertext => {
        const out = ct();
        ev.multiplyPlain(a, p, out);
        return rescale(out);
      };
      const levelOf = <T>(x: Ciphertext, use: (pid: ReturnType<Ciphertext['parmsId']>) => T): T => {
        const pid = x.parmsId();
        try {
          return use(pid);
        } finally {
          pid.delete();
        }
      };
      const modSwitchTo = (a: Ciphertext, like: Ciphertext): Ciphertext => {
        const out = ct();
        levelOf(like, (pid) => ev.cipherModSwitchTo(a, pid, out));
        return out;
      };
      // Constants are the same for every ciphertext (all start at the top level), so each is encoded once.
      const constants = new Map<string, Plaintext>();
      const constant = (key: string, values: Float64Array, like: Ciphertext): Plaintext => {
        let p = constants.get(key);
        if (p === undefined) {
          p = arena.own(new seal.Plaintext());
          encoder.encode(values, scale, p);
          levelOf(like, (pid) => ev.plainModSwitchToInplace(p!, pid));
          constants.set(key, p);
        }
        return p;
      };
      const fill = (v: number): Float64Array => new Float64Array(slots).fill(v);
      const rowMask = (): Float64Array => {
        const m = new Float64Array(slots);
        for (let r = 0; r < layout.rowsPerCiphertext; r++) m[r * layout.stride] = 1;
        return m;
      };
      const rotateSum = (x: Ciphertext, by: readonly number[]): void => {
        const rotated = ct();
        for (const s of by) {
          ev.rotateVector(x, s, galoisKeys, rotated);
          ev.addInplace(x, rotated);
        }
        arena.free(rotated);
      };

      let G: Ciphertext | undefined;
      for (const Z of dataset.ciphertexts) {
        const M = mul(Z, W); // level 1: zᵢⱼ·wⱼ
        rotateSum(M, inner); // slot r·stride holds tᵣ = zᵣ·w
        const T = mulPlain(M, constant('mask', rowMask(), M)); // level 2: keep only slot r·stride
        arena.free(M);
        rotateSum(
          T,
          inner.map((s) => -s),
        ); // tᵣ over the whole row block
        const T2 = mul(T, T); // level 3
        const A = mulPlain(T, constant('a3', fill(c * SIGMOID_NEG_POLY3.a3), T)); // level 3: c·a3·t
        const B = mulPlain(T, constant('a1', fill(c * SIGMOID_NEG_POLY3.a1), T)); // level 3: c·a1·t
        const P = mul(A, T2); // level 4: c·a3·t³
        const B4 = modSwitchTo(B, P);
        ev.addInplace(P, B4);
        ev.addPlainInplace(P, constant('a0', fill(c * SIGMOID_NEG_POLY3.a0), P)); // c·g(t)
        const Z4 = modSwitchTo(Z, P);
        const Gi = mul(P, Z4); // level 5: c·g(zᵣ·w)·zᵣ
        for (const x of [T, T2, A, B, P, B4, Z4]) arena.free(x);
        if (G === undefined) G = Gi;
        else {
          ev.addInplace(G, Gi);
          arena.free(Gi);
        }
      }
      if (G === undefined) throw new FheError('invalid_layout', 'the dataset has no ciphertexts');
      rotateSum(G, rowSteps); // Σ over all rows, replicated in every row block
      const next = modSwitchTo(W, G);
      ev.addInplace(next, G);
      return sealOutput(next.saveToArray(seal.ComprModeType.zstd));
    });
  }

  dispose(): void {
    this.disposed = true;
    this.arena.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private loadTopLevel(wire: Uint8Array, arena: HandleArena): Ciphertext {
    const ciphertext = arena.own(new this.runtime.seal.Ciphertext());
    try {
      ciphertext.loadFromArray(this.ckks.context, sealInput(wire).bytes);
    } catch (error) {
      throw new FheError('ciphertext_malformed', 'the ciphertext does not load under these parameters', undefined, String(error));
    }
    const topLevelPrimes = this.ckks.parameters.coeffModulusBits.length - 1;
    if (ciphertext.size() !== 2 || ciphertext.coeffModulusSize() !== topLevelPrimes) {
      throw new FheError('ciphertext_level_mismatch', 'inputs must be fresh top-level ciphertexts');
    }
    if (Math.abs(ciphertext.scale() - this.ckks.scale) > 1e-6 * this.ckks.scale) {
      throw new FheError('ciphertext_level_mismatch', 'inputs must be encoded at the session scale');
    }
    return ciphertext;
  }

  private assertLive(): void {
    if (this.disposed) throw new FheError('session_disposed', 'the FHE session was disposed');
  }
}

function loadKeys(load: () => void): void {
  try {
    load();
  } catch (error) {
    throw new FheError('key_material_invalid', 'the evaluation keys do not load under these parameters', undefined, String(error));
  }
}
