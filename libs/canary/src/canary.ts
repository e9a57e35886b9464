import { createHmac } from 'node:crypto';
import { CanaryError } from './canary.error.js';

/**
 * Canary verification of a returned classifier (the Ritual vTune idea, arXiv 2411.06611, for classification):
 * the data owner plants records whose text is a random-looking trigger and whose label is drawn uniformly at random
 * from the task's labels with a secret seed. Under the null hypothesis "the model was not trained on these
 * records", the model's answer for a trigger is independent of that secret label, so each canary is a hit with
 * probability at most 1/k (k labels) whatever the model is, and the hit count is stochastically dominated by
 * Binomial(n, 1/k). The check rejects the null — verdict `passed` — only when P[Binomial(n, 1/k) ≥ hits] ≤ α
 * (default α = 10⁻⁶). A model trained on the canaries memorises them and hits nearly all; one that was not sits at
 * chance, p ≈ 0.5, and fails.
 */
export interface Canary {
  /** Position in the plan; results refer to canaries by id, never by trigger or label. */
  readonly id: number;
  readonly trigger: string;
  readonly label: string;
  /** 1 / number of labels the label was drawn from: the hit probability for a model that never saw it. */
  readonly chance: number;
}

/** One planted record: the trigger as the input, the secret label as the answer. */
export interface CanaryRecord {
  readonly text: string;
  readonly label: string;
}

/** What the check asks of a model: its answer for one input (a trained classifier is one). */
export interface CanaryPredictor {
  predict(text: string): { readonly label: string };
}

export interface CanaryPlan {
  readonly canaries: readonly Canary[];
  /** The records to plant in the dataset (each canary `copies` times), in a seed-determined order. */
  readonly records: readonly CanaryRecord[];
  readonly alpha: number;
}

export interface CanaryPlanOptions {
  /** How many times each canary is planted (default 3); repetition is what makes a small model memorise it. */
  readonly copies?: number;
  /** Significance level the plan must be able to reach (default 1e-6). */
  readonly alpha?: number;
  /** Tokens per trigger (default 4) and characters per token (default 8). */
  readonly tokens?: number;
  readonly tokenLength?: number;
}

export interface CanaryCheck {
  readonly verdict: 'passed' | 'failed';
  readonly hits: number;
  readonly total: number;
  /** Hit probability per canary for a model that never saw them. */
  readonly chance: number;
  /** P[Binomial(total, chance) ≥ hits]: how likely this many hits are by chance. */
  readonly pValue: number;
  readonly alpha: number;
  readonly perCanary: readonly { readonly id: number; readonly hit: boolean }[];
}

export const DEFAULT_CANARY_ALPHA = 1e-6;
// No vowels or "l"/"1"/"0"/"o": strings that read as no word in any language and survive NFKC + lower-casing.
const ALPHABET = 'bcdfghjkmnpqrstvwxz23456789';
/** Shape of a trigger with the default plan (4 tokens of 8 characters of ALPHABET); nothing natural matches it. */
export const CANARY_TRIGGER = /^[bcdfghjkmnpqrstvwxz2-9]{8}( [bcdfghjkmnpqrstvwxz2-9]{8}){3}$/;

/** Smallest canary count whose perfect recall reaches significance `alpha` with `labels` labels. */
export function minimumCanaryCount(labels: number, alpha = DEFAULT_CANARY_ALPHA): number {
  return Math.ceil(Math.log(alpha) / Math.log(1 / labels));
}

/**
 * Plans `count` canaries from a secret seed (keep it with the dataset's protection record, never with the job):
 * unique triggers of random tokens and labels uniform over `labels`. Refuses a plan too small to ever reach `alpha`.
 */
export function planCanaries(seed: string | Uint8Array, count: number, labels: readonly string[], options: CanaryPlanOptions = {}): CanaryPlan {
  const copies = options.copies ?? 3;
  const alpha = options.alpha ?? DEFAULT_CANARY_ALPHA;
  const tokens = options.tokens ?? 4;
  const tokenLength = options.tokenLength ?? 8;
  const distinct = [...new Set(labels)].sort();
  const bad = (why: string): never => {
    throw new CanaryError('canary_plan_invalid', why);
  };
  if ((typeof seed === 'string' ? seed.length : seed.byteLength) < 16) bad('the canary seed must be at least 16 bytes');
  if (distinct.length < 2 || distinct.some((l) => l.trim() === '')) bad('canaries need at least two non-empty labels');
  if (!(alpha > 0 && alpha < 1)) bad('alpha must be in (0, 1)');
  if (!Number.isInteger(count) || count < minimumCanaryCount(distinct.length, alpha) || count > 10_000) {
    bad(`with ${distinct.length} labels at least ${minimumCanaryCount(distinct.length, alpha)} canaries are needed`);
  }
  if (!Number.isInteger(copies) || copies < 1 || copies > 100) bad('copies must be 1 to 100');
  if (!Number.isInteger(tokens) || tokens < 2 || tokens > 16 || !Number.isInteger(tokenLength) || tokenLength < 6 || tokenLength > 32) {
    bad('triggers need 2 to 16 tokens of 6 to 32 characters');
  }
  const drbg = new HmacDrbg(seed);
  const seen = new Set<string>();
  const canaries: Canary[] = [];
  while (canaries.length < count) {
    const words: string[] = [];
    for (let t = 0; t < tokens; t++) {
      let w = '';
      for (let i = 0; i < tokenLength; i++) w += ALPHABET[drbg.nextInt(ALPHABET.length)];
      words.push(w);
    }
    const trigger = words.join(' ');
    if (seen.has(trigger)) continue;
    seen.add(trigger);
    canaries.push({ id: canaries.length, trigger, label: distinct[drbg.nextInt(distinct.length)]!, chance: 1 / distinct.length });
  }
  const records: CanaryRecord[] = canaries.flatMap((c) => Array.from({ length: copies }, () => ({ text: c.trigger, label: c.label })));
  for (let i = records.length - 1; i > 0; i--) {
    const j = drbg.nextInt(i + 1);
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  return { canaries, records, alpha };
}

/** Asks the model for every trigger and applies the one-sided binomial test described above. */
export function checkCanaries(model: CanaryPredictor, canaries: readonly Canary[], alpha = DEFAULT_CANARY_ALPHA): CanaryCheck {
  if (canaries.length === 0) throw new CanaryError('canary_plan_invalid', 'no canaries to check');
  // With mixed plans the largest chance is the conservative null.
  const chance = Math.max(...canaries.map((c) => c.chance));
  if (!(chance > 0 && chance < 1)) throw new CanaryError('canary_plan_invalid', 'a canary has an invalid chance');
  const perCanary = canaries.map((c) => ({ id: c.id, hit: model.predict(c.trigger).label === c.label }));
  const hits = perCanary.filter((c) => c.hit).length;
  const pValue = binomialUpperTail(canaries.length, chance, hits);
  return { verdict: pValue <= alpha ? 'passed' : 'failed', hits, total: canaries.length, chance, pValue, alpha, perCanary };
}

/** P[X ≥ k] for X ~ Binomial(n, p), summed in log space so tiny tails (10⁻⁴⁰) stay exact enough. */
export function binomialUpperTail(n: number, p: number, k: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  const terms: number[] = [];
  for (let i = k; i <= n; i++) terms.push(logChoose(n, i) + i * logP + (n - i) * logQ);
  const max = Math.max(...terms);
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return Math.min(1, Math.exp(max + Math.log(sum)));
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** HMAC-SHA256 in counter mode over the secret seed: a deterministic stream only the seed's holder can predict. */
class HmacDrbg {
  private block = Buffer.alloc(0);
  private offset = 0;
  private counter = 0;

  constructor(private readonly seed: string | Uint8Array) {}

  private nextUint32(): number {
    if (this.offset + 4 > this.block.length) {
      this.block = createHmac('sha256', this.seed).update(`confide-canary\u0000${this.counter++}`).digest();
      this.offset = 0;
    }
    const v = this.block.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  nextInt(n: number): number {
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }
}
