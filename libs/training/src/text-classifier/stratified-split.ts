import { SeededRandom } from '../common/seeded-random.js';

export interface Split {
  /** Example indices, ascending. */
  readonly train: readonly number[];
  readonly validation: readonly number[];
}

/**
 * Deterministic stratified split: within each class (in label order) the examples are shuffled by the seed and
 * round(n × fraction) go to validation, but a class always keeps at least one training example. Depends only on
 * the seed, the labels and the examples' order.
 */
export function stratifiedSplit(labelOf: readonly number[], classes: number, fraction: number, seed: number | string): Split {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labelOf.forEach((y, i) => byClass[y]!.push(i));
  const rng = new SeededRandom(seed, 'split');
  const train: number[] = [];
  const validation: number[] = [];
  for (const members of byClass) {
    rng.shuffle(members);
    const take = Math.min(Math.round(members.length * fraction), Math.max(0, members.length - 1));
    validation.push(...members.slice(0, take));
    train.push(...members.slice(take));
  }
  const asc = (a: number, b: number): number => a - b;
  return { train: train.sort(asc), validation: validation.sort(asc) };
}
