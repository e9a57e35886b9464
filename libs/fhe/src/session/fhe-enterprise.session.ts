import type { Decryptor, Encryptor, KeyGenerator, Plaintext, SecretKey } from 'node-seal';
import { FheError } from '../fhe.error.js';
import {
  logRegGaloisSteps,
  packLogRegSamples,
  packLogRegWeights,
  unpackLogRegWeights,
  type LogRegLayout,
  assertLayoutFits,
} from '../logreg/logreg.layout.js';
import { SIGMOID_POLY3_RANGE } from '../logreg/logreg.plain.js';
import { createCkksContext, type CkksContext, type CkksParameters, type ParameterOptions } from '../params/ckks-parameters.js';
import { HandleArena } from '../seal/handle-arena.js';
import { sealInput, sealOutput } from '../seal/seal-bytes.js';
import { loadSeal, type SealRuntime } from '../seal/seal-runtime.js';
import type { FhePublicBundle } from './public-bundle.js';

export interface EnterpriseSessionOptions extends ParameterOptions {
  /** Rotation steps the node's kernels need; only these Galois keys are generated (see `logRegGaloisSteps`). */
  readonly galoisSteps?: readonly number[];
}

export interface RefreshOptions {
  /**
   * Upper bound on ‖[1, x]‖₂ over the dataset's rows. When given, the refresh refuses weights with
   * ‖w‖₂·bound > 8, where the polynomial sigmoid stops approximating σ and training silently diverges.
   */
  readonly rowNormBound?: number;
  /** A plaintext update applied between decrypt and re-encrypt (momentum, NAG, clipping: optimizer state stays here). */
  readonly update?: (weights: Float64Array) => Float64Array;
}

/**
 * The data owner's side of an FHE job: holds the secret key (one per dataset/job), encrypts with SEAL's seeded
 * symmetric encryption (half the bytes of public-key encryption, fhe.md §5) and zstd, decrypts results, and
 * refreshes the weights once per iteration because SEAL has no bootstrapping. The secret key leaves only through
 * `exportSecretKey()`, as bytes for the caller to wrap with its KEK; this class never persists it.
 *
 * Not thread-safe (one WASM instance per thread). Call `dispose()` when done: SEAL memory is freed only then.
 */
export class FheEnterpriseSession {
  private readonly arena: HandleArena;
  private readonly ckks: CkksContext;
  private readonly keygen: KeyGenerator;
  private readonly secretKey: SecretKey;
  private readonly encryptor: Encryptor;
  private readonly decryptor: Decryptor;
  private readonly scratch: Plaintext;
  private readonly galoisSteps: readonly number[];
  private bundle: FhePublicBundle | undefined;
  private disposed = false;

  private constructor(
    private readonly runtime: SealRuntime,
    parameters: CkksParameters,
    secretKeyBytes: Uint8Array | undefined,
    options: EnterpriseSessionOptions,
  ) {
    const seal = runtime.seal;
    this.arena = new HandleArena();
    try {
      this.ckks = createCkksContext(seal, parameters, this.arena, options);
      if (secretKeyBytes === undefined) {
        this.keygen = this.arena.own(new seal.KeyGenerator(this.ckks.context));
        this.secretKey = this.arena.own(this.keygen.secretKey());
      } else {
        this.secretKey = this.arena.own(new seal.SecretKey());
        const input = sealInput(secretKeyBytes);
        try {
          this.secretKey.loadFromArray(this.ckks.context, input.bytes);
        } catch (error) {
          throw new FheError('key_material_invalid', 'the secret key does not load under these parameters', undefined, String(error));
        } finally {
          if (input.copied) input.bytes.fill(0);
        }
        this.keygen = this.arena.own(new seal.KeyGenerator(this.ckks.context, this.secretKey));
      }
      // SEAL's Encryptor wants a public key even when only symmetric encryption is used; it never leaves here.
      const publicKey = this.arena.own(this.keygen.createPublicKey());
      this.encryptor = this.arena.own(new seal.Encryptor(this.ckks.context, publicKey, this.secretKey));
      this.decryptor = this.arena.own(new seal.Decryptor(this.ckks.context, this.secretKey));
      this.scratch = this.arena.own(new seal.Plaintext());
      this.galoisSteps = normaliseSteps(options.galoisSteps ?? [], this.ckks.slots);
    } catch (error) {
      this.arena.dispose();
      throw error;
    }
  }

  /** Fresh keys for one dataset/job. */
  static async create(parameters: CkksParameters, options: EnterpriseSessionOptions = {}): Promise<FheEnterpriseSession> {
    return new FheEnterpriseSession(await loadSeal(), parameters, undefined, options);
  }

  /** Fresh keys with exactly the Galois steps the logistic-regression kernel needs for `layout`. */
  static async createForLogReg(
    parameters: CkksParameters,
    layout: LogRegLayout,
    options: ParameterOptions = {},
  ): Promise<FheEnterpriseSession> {
    assertLayoutFits(layout, parameters);
    return FheEnterpriseSession.create(parameters, { ...options, galoisSteps: logRegGaloisSteps(layout) });
  }

  /** Rebuilds a session from a secret key the caller unwrapped (its KEK); evaluation keys are re-derived from it. */
  static async restore(
    parameters: CkksParameters,
    secretKey: Uint8Array,
    options: EnterpriseSessionOptions = {},
  ): Promise<FheEnterpriseSession> {
    return new FheEnterpriseSession(await loadSeal(), parameters, secretKey, options);
  }

  get parameters(): CkksParameters {
    return this.ckks.parameters;
  }

  get slots(): number {
    return this.ckks.slots;
  }

  /**
   * The secret key as bytes, for wrapping by the KEK (e.g. seal it with a DEK from @confide/envelope's Keyring).
   * The caller owns the returned buffer: wrap it, then `fill(0)` it. Never send it to a node.
   */
  exportSecretKey(): Uint8Array {
    this.assertLive();
    return sealOutput(this.secretKey.saveToArray(this.runtime.seal.ComprModeType.zstd));
  }

  /** Public evaluation material for the node (generated once per session; 82 MB for the 17-step training set). */
  publicBundle(): FhePublicBundle {
    this.assertLive();
    if (this.bundle === undefined) {
      const seal = this.runtime.seal;
      const zstd = seal.ComprModeType.zstd;
      const relin = this.keygen.createRelinKeysSerializable();
      let relinKeys: Uint8Array;
      try {
        relinKeys = sealOutput(relin.saveToArray(zstd));
      } finally {
        relin.delete();
      }
      let galoisKeys: Uint8Array = new Uint8Array(0);
      if (this.galoisSteps.length > 0) {
        const galois = this.keygen.createGaloisKeysSerializableWithSteps(Int32Array.from(this.galoisSteps));
        try {
          galoisKeys = sealOutput(galois.saveToArray(zstd));
        } finally {
          galois.delete();
        }
      }
      this.bundle = Object.freeze({
        version: 1,
        parameters: this.ckks.parameters,
        galoisSteps: Object.freeze([...this.galoisSteps]),
        relinKeys,
        galoisKeys,
      });
    }
    return this.bundle;
  }

  /** Encodes up to `slots` values at the top level and encrypts them: seeded symmetric ciphertext, zstd. */
  encryptVector(values: Float64Array | readonly number[]): Uint8Array {
    this.assertLive();
    if (values.length > this.ckks.slots) {
      throw new FheError('invalid_layout', `at most ${this.ckks.slots} values fit one ciphertext`);
    }
    const input = values instanceof Float64Array ? values : Float64Array.from(values);
    this.ckks.encoder.encode(input, this.ckks.scale, this.scratch);
    const serializable = this.encryptor.encryptSymmetricSerializable(this.scratch);
    try {
      return sealOutput(serializable.saveToArray(this.runtime.seal.ComprModeType.zstd));
    } finally {
      serializable.delete();
    }
  }

  /** Decrypts a ciphertext (seeded or not, any level) and decodes all slots. */
  decryptVector(wire: Uint8Array): Float64Array {
    this.assertLive();
    const seal = this.runtime.seal;
    const ciphertext = new seal.Ciphertext();
    try {
      try {
        ciphertext.loadFromArray(this.ckks.context, sealInput(wire).bytes);
      } catch (error) {
        throw new FheError('ciphertext_malformed', 'the ciphertext does not load under these parameters', undefined, String(error));
      }
      this.decryptor.decrypt(ciphertext, this.scratch);
      return Float64Array.from(this.ckks.encoder.decodeFloat64(this.scratch) as ArrayLike<number>);
    } finally {
      ciphertext.delete();
    }
  }

  /** Packs Z = y·[1, x] per the layout and encrypts it (one ciphertext per `rowsPerCiphertext` samples). */
  encryptLogRegDataset(
    layout: LogRegLayout,
    features: readonly ArrayLike<number>[],
    labels: readonly number[],
  ): Uint8Array[] {
    assertLayoutFits(layout, this.ckks.parameters);
    return packLogRegSamples(layout, features, labels).map((slots) => this.encryptVector(slots));
  }

  /** Encrypts [bias, w1..wd] replicated per row block: the node's input for one step. */
  encryptWeights(layout: LogRegLayout, weights: ArrayLike<number>): Uint8Array {
    assertLayoutFits(layout, this.ckks.parameters);
    return this.encryptVector(packLogRegWeights(layout, weights));
  }

  decryptWeights(layout: LogRegLayout, wire: Uint8Array): Float64Array {
    assertLayoutFits(layout, this.ckks.parameters);
    return unpackLogRegWeights(layout, this.decryptVector(wire));
  }

  /**
   * The once-per-iteration refresh that stands in for bootstrapping: decrypt the node's low-level weights,
   * optionally update/check them in plaintext, and return a fresh top-level encryption for the next step. Only the
   * fresh ciphertext goes back to the node; the plaintext weights stay here (CKKS decryptions must not reach a
   * party that saw the ciphertext, fhe.md §3 IND-CPA^D).
   */
  refreshWeights(
    layout: LogRegLayout,
    wire: Uint8Array,
    options: RefreshOptions = {},
  ): { weights: Float64Array; ciphertext: Uint8Array } {
    let weights = this.decryptWeights(layout, wire);
    if (options.update !== undefined) weights = options.update(weights);
    if (!weights.every(Number.isFinite)) {
      throw new FheError('sigmoid_range_exceeded', 'the decrypted weights are not finite');
    }
    if (options.rowNormBound !== undefined) {
      const norm = Math.hypot(...weights);
      if (norm * options.rowNormBound > SIGMOID_POLY3_RANGE) {
        throw new FheError(
          'sigmoid_range_exceeded',
          'the weights left the range where the polynomial sigmoid holds; lower the learning rate',
        );
      }
    }
    return { weights, ciphertext: this.encryptWeights(layout, weights) };
  }

  /** Frees every SEAL handle (keys, context, encoder). The session is unusable afterwards. */
  dispose(): void {
    this.disposed = true;
    this.bundle = undefined;
    this.arena.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new FheError('session_disposed', 'the FHE session was disposed');
  }
}

export function normaliseSteps(steps: readonly number[], slots: number): number[] {
  for (const s of steps) {
    if (!Number.isInteger(s) || s === 0 || Math.abs(s) >= slots) {
      throw new FheError('invalid_parameters', `rotation steps must be non-zero integers below ${slots} in magnitude`);
    }
  }
  return [...new Set(steps)];
}
