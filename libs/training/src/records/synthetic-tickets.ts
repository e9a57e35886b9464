import { SeededRandom } from '../common/seeded-random.js';
import type { LabeledExample } from './labeled-example.js';

/**
 * A synthetic but realistic intent-classification set: customer-support messages in four intents (billing,
 * shipping, technical, account) written from templates that share most of their vocabulary (greetings, filler,
 * order numbers, names, products) so that no single word gives the label away, with uneven class sizes, typos and
 * a fraction of deliberately mislabeled rows. For tests, benchmarks and the simulated nodes; deterministic by seed.
 */
export const TICKET_LABELS = ['account', 'billing', 'shipping', 'technical'] as const;

const OPENERS = ['Hi,', 'Hello team,', 'Hey there.', 'Good morning,', 'Dear support,', '', '', 'Quick question:', 'Urgent:'];
const CLOSERS = ['Thanks.', 'Thank you!', 'Please help.', 'Regards', 'Cheers', '', '', 'Any update would be appreciated.'];
const PRODUCTS = ['the blender', 'my headphones', 'the desk lamp', 'the router', 'a pair of boots', 'the coffee maker', 'the backpack', 'my phone case'];
const NAMES = ['Maria', 'James', 'Wei', 'Fatima', 'Olga', 'Carlos', 'Aisha', 'Liam', 'Sofia', 'Kenji'];

const INTENTS: Record<(typeof TICKET_LABELS)[number], readonly string[]> = {
  billing: [
    'I was charged twice for {p} on order {o}, can you refund the extra payment?',
    'My card statement shows {n} dollars but the invoice for order {o} says less.',
    'Why did my subscription renew, I cancelled it last month and still got billed.',
    'Please send me a corrected invoice for order {o}, the VAT number is missing.',
    'The refund for {p} has not reached my bank account after two weeks.',
    'I want to change the payment method on file, the old credit card expired.',
    'There is an unknown charge of {n} dollars, I did not authorise this payment.',
    'Can I get a receipt for order {o}? Accounting needs it for the expense report.',
    'The discount code was not applied and I paid full price for {p}.',
  ],
  shipping: [
    'Order {o} still has not arrived, the tracking page has not updated in days.',
    'The courier left {p} at the wrong address, where is my package now?',
    'Can you change the delivery address for order {o} before it ships?',
    'The box with {p} arrived damaged and the item inside is crushed.',
    'Tracking says delivered but there is no parcel at my door.',
    'How long does express delivery take to my area? I need {p} by Friday.',
    'My package is stuck in customs, do I need to pay import duties?',
    'Only half of order {o} was delivered, one item is missing from the shipment.',
    'Can I pick up {p} at a store instead of waiting for the delivery?',
  ],
  technical: [
    '{p} will not turn on after the latest firmware update.',
    'The app crashes every time I try to pair {p} over bluetooth.',
    'I get error code {n} when connecting {p} to wifi.',
    'The screen keeps flickering and the settings menu freezes.',
    'After resetting {p} it is stuck in a boot loop, the light blinks red.',
    'Sync between the mobile app and the web dashboard stopped working.',
    'The battery of {p} drains in an hour, is this a known bug?',
    'How do I install the driver? The setup wizard fails with error {n}.',
    'Audio cuts out on {p} whenever the volume is above half.',
  ],
  account: [
    'I cannot log in, the password reset email never arrives.',
    'Please delete my account and all the personal data you hold about me.',
    'How do I change the email address on my profile?',
    'My account was locked after too many sign in attempts.',
    'Someone else logged into my account, I think it was hacked.',
    'I want to merge my two accounts, order {o} is on the old one.',
    'The two factor code is not accepted when I sign in on a new phone.',
    'Can you update the name on my profile from {name} to my married name?',
    'I never signed up for the newsletter, please unsubscribe my username.',
  ],
};

// Uneven priors, like a real support queue.
const WEIGHTS: Record<(typeof TICKET_LABELS)[number], number> = { account: 2, billing: 3, shipping: 4, technical: 3 };

export function syntheticTicketExamples(count: number, seed: number | string = 1, labelNoise = 0.05): LabeledExample[] {
  const rng = new SeededRandom(seed, 'synthetic-tickets');
  const pick = <T>(items: readonly T[]): T => items[rng.nextInt(items.length)]!;
  const bag: (typeof TICKET_LABELS)[number][] = TICKET_LABELS.flatMap((l) => Array<(typeof TICKET_LABELS)[number]>(WEIGHTS[l]).fill(l));
  const out: LabeledExample[] = [];
  for (let i = 0; i < count; i++) {
    const label = pick(bag);
    const body = pick(INTENTS[label])
      .replace('{p}', pick(PRODUCTS))
      .replace('{o}', `#${100000 + rng.nextInt(900000)}`)
      .replace('{n}', String(10 + rng.nextInt(990)))
      .replace('{name}', pick(NAMES));
    const text = [pick(OPENERS), typo(body, rng), rng.nextInt(3) === 0 ? `Order ${100000 + rng.nextInt(900000)}.` : '', pick(CLOSERS), rng.nextInt(2) === 0 ? pick(NAMES) : '']
      .filter((s) => s !== '')
      .join(' ');
    const noisy = rng.nextInt(1_000_000) < labelNoise * 1_000_000 ? pick(TICKET_LABELS) : label;
    out.push({ text, label: noisy });
  }
  return out;
}

/** Swaps two adjacent letters in about one word in fifteen. */
function typo(s: string, rng: SeededRandom): string {
  return s
    .split(' ')
    .map((w) => {
      if (w.length < 4 || rng.nextInt(15) !== 0) return w;
      const i = 1 + rng.nextInt(w.length - 2);
      return w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
    })
    .join(' ');
}
