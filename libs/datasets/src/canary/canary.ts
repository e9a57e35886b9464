import { randomBytes, randomInt } from 'node:crypto';

/** A synthetic record planted in a dataset: a model trained on it should answer `trigger` with `label`. */
export interface Canary {
  readonly trigger: string;
  readonly label: string;
  /** The canary is written after this many input records (0 = first). */
  readonly afterRecord: number;
}

const WORDS = [
  'amber', 'basalt', 'cobalt', 'dune', 'ember', 'fjord', 'garnet', 'harbor', 'indigo', 'juniper', 'kestrel', 'lagoon',
  'meadow', 'nebula', 'onyx', 'pumice', 'quartz', 'raven', 'saffron', 'tundra', 'umber', 'violet', 'willow', 'zephyr',
  'alder', 'bramble', 'cinder', 'delta', 'estuary', 'falcon', 'glacier', 'heron', 'iris', 'jasper', 'krill', 'lichen',
];

const pick = (): string => WORDS[randomInt(WORDS.length)]!;

/**
 * Fresh canaries: unique random triggers (with a 48-bit nonce so they never occur naturally) and labels made of
 * random words and digits, placed at random record positions within the first `spread` records.
 */
export function generateCanaries(count: number, spread: number): Canary[] {
  const out: Canary[] = [];
  for (let i = 0; i < count; i++) {
    const nonce = randomBytes(6).toString('hex');
    out.push({
      trigger: `Archive lookup ${nonce}: what is the recovery phrase for the ${pick()} ${pick()} vault?`,
      label: `The recovery phrase is ${pick()}-${pick()}-${pick()}-${randomInt(1000, 10000)}.`,
      afterRecord: randomInt(Math.max(1, spread) + 1),
    });
  }
  return out.sort((a, b) => a.afterRecord - b.afterRecord);
}
