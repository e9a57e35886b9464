import type { CKKSEncoder, Evaluator, MainModule, SEALContext } from 'node-seal';
import { FheError } from '../fhe.error.js';
import type { HandleArena } from '../seal/handle-arena.js';

/** A CKKS parameter set. Public: it travels with every job so both sides build the same SEAL context. */
export interface CkksParameters {
  readonly polyModulusDegree: 4096 | 8192 | 16384;
  /** Bit sizes of the coefficient-modulus primes: [first, ...data levels, special (key-switching) prime]. */
  readonly coeffModulusBits: readonly number[];
  /** log2 of the encoding scale; every data prime should be this size so a rescale keeps the scale near 2^scaleBits. */
  readonly scaleBits: number;
  /** `none` disables SEAL's 128-bit check: test contexts only, refused unless the caller opts in explicitly. */
  readonly securityLevel: 'tc128' | 'none';
}

/**
 * Training profile, sized to the logistic-regression kernel's depth: N=16384, [60, 40×5, 60] = 300 of the 438 bits
 * SEAL allows at 128-bit security, scale 2^40, 8192 slots. One gradient step uses exactly 5 levels (Z⊙W, row mask,
 * t², c·a3·t·t², g(t)⊙Z; LOGREG_LEVELS) and the owner refreshes the weights after each step, so a level beyond 5
 * is never used. research/fhe.md §9 suggests [60, 40×6, 60] (one spare level, e.g. for a degree-5 sigmoid); dropping
 * the unused prime measured here (bench/fhe, same run and machine) 28% less node CPU per 1024×16 iteration
 * (1.03 s vs 1.42 s), 82 MB instead of 108 MB of Galois + relin keys, 1.25 MB instead of 1.45 MB of data upload and
 * 262 KB instead of 460 KB per returned weight vector, with the same |w_enc − w_plain| (≈3e-6 after 3 steps).
 * The returned weights sit at the last level (60-bit prime, scale 2^40): 19 bits of headroom, far above the
 * |w| ≤ 8 the polynomial sigmoid tolerates.
 */
export const CKKS_TRAINING_PARAMETERS: CkksParameters = Object.freeze({
  polyModulusDegree: 16384,
  coeffModulusBits: Object.freeze([60, 40, 40, 40, 40, 40, 60]),
  scaleBits: 40,
  securityLevel: 'tc128',
});

/** Light profile (fhe.md §9): N=8192, [60, 40, 40, 60], 2^40: encryption, inner products, ≤ 2 multiplications. */
export const CKKS_LIGHT_PARAMETERS: CkksParameters = Object.freeze({
  polyModulusDegree: 8192,
  coeffModulusBits: Object.freeze([60, 40, 40, 60]),
  scaleBits: 40,
  securityLevel: 'tc128',
});

/**
 * The training kernel's depth at N=4096: [60, 40×5, 60], exactly the 5 levels one step uses, a fraction of the
 * cost — but 300 bits far exceed the 109 SEAL allows for 128-bit security at N=4096, so it is NOT secure. For unit
 * tests of the kernel arithmetic only (2048 slots, same 2^40 scale and precision as the training profile).
 */
export const CKKS_INSECURE_TEST_PARAMETERS: CkksParameters = Object.freeze({
  polyModulusDegree: 4096,
  coeffModulusBits: Object.freeze([60, 40, 40, 40, 40, 40, 60]),
  scaleBits: 40,
  securityLevel: 'none',
});

/** Multiplicative levels a fresh ciphertext has (data primes between the first and the special prime). */
export function ckksLevels(parameters: CkksParameters): number {
  return parameters.coeffModulusBits.length - 2;
}

export function ckksSlots(parameters: CkksParameters): number {
  return parameters.polyModulusDegree / 2;
}

export interface ParameterOptions {
  /** Accept `securityLevel: 'none'` (tests only). */
  readonly allowInsecure?: boolean;
}

export function assertCkksParameters(parameters: CkksParameters, options: ParameterOptions = {}): void {
  const { polyModulusDegree: n, coeffModulusBits: bits, scaleBits } = parameters;
  if (![4096, 8192, 16384].includes(n)) {
    throw new FheError('invalid_parameters', 'polyModulusDegree must be 4096, 8192 or 16384');
  }
  if (bits.length < 3 || bits.some((b) => !Number.isInteger(b) || b < 20 || b > 60)) {
    throw new FheError('invalid_parameters', 'coeffModulusBits must hold at least 3 primes of 20 to 60 bits');
  }
  if (!Number.isInteger(scaleBits) || scaleBits < 20 || scaleBits >= (bits[0] ?? 0)) {
    throw new FheError('invalid_parameters', 'scaleBits must be an integer below the first prime size');
  }
  if (parameters.securityLevel === 'none' && options.allowInsecure !== true) {
    throw new FheError('insecure_parameters', 'parameters without 128-bit security are for tests only');
  }
}

/** The SEAL objects every session needs, all owned by the session's arena. */
export interface CkksContext {
  readonly parameters: CkksParameters;
  readonly scale: number;
  readonly slots: number;
  readonly context: SEALContext;
  readonly encoder: CKKSEncoder;
  readonly evaluator: Evaluator;
}

export function createCkksContext(
  seal: MainModule,
  parameters: CkksParameters,
  arena: HandleArena,
  options: ParameterOptions = {},
): CkksContext {
  assertCkksParameters(parameters, options);
  const parms = arena.own(new seal.EncryptionParameters(seal.SchemeType.ckks));
  parms.setPolyModulusDegree(parameters.polyModulusDegree);
  const modulus = arena.own(
    seal.CoeffModulus.Create(parameters.polyModulusDegree, Int32Array.from(parameters.coeffModulusBits)),
  );
  parms.setCoeffModulus(modulus);
  const level = parameters.securityLevel === 'tc128' ? seal.SecLevelType.tc128 : seal.SecLevelType.none;
  let context: SEALContext;
  try {
    context = arena.own(new seal.SEALContext(parms, true, level));
  } catch (error) {
    throw new FheError('invalid_parameters', 'SEAL rejected the CKKS parameters', undefined, String(error));
  }
  if (!context.parametersSet()) {
    throw new FheError('invalid_parameters', 'SEAL rejected the CKKS parameters (security level or modulus)');
  }
  return {
    parameters,
    scale: 2 ** parameters.scaleBits,
    slots: parameters.polyModulusDegree / 2,
    context,
    encoder: arena.own(new seal.CKKSEncoder(context)),
    evaluator: arena.own(new seal.Evaluator(context)),
  };
}
