/**
 * A seeded, realistic-looking tabular set for tests and benchmarks: loan applications with skewed, correlated
 * numeric columns (income log-normal, debt ratio tied to income, late payments Poisson-like), a name and an email
 * column that carry PII but no signal, and a `defaulted` label drawn from a logistic model of the columns plus noise.
 */
// A type alias (not an interface) so rows are assignable to FeatureRow's index signature.
export type LoanApplication = {
  readonly name: string;
  readonly email: string;
  readonly age: number;
  readonly income: number;
  readonly debt_ratio: number;
  readonly late_payments: number;
  readonly tenure_months: number;
  readonly credit_lines: number;
  readonly defaulted: 'yes' | 'no';
};

const FIRST = ['maria', 'james', 'wei', 'fatima', 'olga', 'carlos', 'aisha', 'liam', 'sofia', 'kenji', 'noah', 'amara'];
const LAST = ['garcia', 'smith', 'chen', 'khan', 'ivanova', 'lopez', 'okafor', 'murphy', 'rossi', 'tanaka', 'meyer', 'diallo'];

export function loanApplications(count: number, seed: number): LoanApplication[] {
  let state = seed | 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const out: LoanApplication[] = [];
  for (let i = 0; i < count; i++) {
    const first = FIRST[Math.floor(random() * FIRST.length)]!;
    const last = LAST[Math.floor(random() * LAST.length)]!;
    const age = Math.round(Math.min(80, Math.max(19, 41 + 12 * gauss())));
    const income = Math.round(Math.exp(10.6 + 0.5 * gauss() + 0.006 * (age - 40)));
    const debtRatio = Math.round(Math.min(1.5, Math.max(0, 0.35 - 0.08 * Math.log(income / 40000) + 0.15 * gauss())) * 1000) / 1000;
    let late = 0;
    for (let k = 0; k < 6; k++) if (random() < 0.12 + 0.2 * debtRatio) late++;
    const tenure = Math.round(Math.max(0, (age - 18) * 12 * random()));
    const lines = Math.max(1, Math.round(3 + 2 * gauss()));
    const z = -0.2 + 3.2 * (debtRatio - 0.35) + 0.55 * (late - 1.2) - 0.9 * Math.log(income / 40000) - 0.02 * (age - 41) - 0.002 * (tenure - 150) + 0.6 * gauss();
    out.push({
      name: `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`,
      email: `${first}.${last}${i}@example.com`,
      age,
      income,
      debt_ratio: debtRatio,
      late_payments: late,
      tenure_months: tenure,
      credit_lines: lines,
      defaulted: z > 0 ? 'yes' : 'no',
    });
  }
  return out;
}
