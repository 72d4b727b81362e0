import { mulberry32 } from '../../core/reference/random.js';

/**
 * Seeded synthetic data of the credit-risk model from the integration guide: the demo producer
 * (`driftwatch demo-producer`), the bundled example and the tests all draw from here, so the
 * same seed gives the same rows everywhere.
 */

/** Seeded pseudo-random numbers (mulberry32 + Box–Muller). */
export function rng(seed: number) {
  const uniform = mulberry32(seed);
  const normal = (mean = 0, sd = 1) => {
    let u = 0;
    while (u === 0) u = uniform();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  const choice = <T>(items: readonly T[], weights: readonly number[]): T => {
    let r = uniform() * weights.reduce((s, w) => s + w, 0);
    for (let i = 0; i < items.length; i++) {
      r -= weights[i];
      if (r < 0) return items[i];
    }
    return items[items.length - 1];
  };
  return { uniform, normal, choice };
}

export type Rng = ReturnType<typeof rng>;

// A type alias, not an interface, so rows pass where Record<string, unknown> rows are expected.
export type CreditRow = {
  age: number;
  income: number;
  credit_score: number;
  loan_amount: number;
  employment_type: string;
};

export const EMPLOYMENT = ['salaried', 'self-employed', 'retired', 'unemployed'] as const;

/** The credit-risk features of the integration guide; `drift` shifts income and employment. */
export function creditRow(r: Rng, drift = false): CreditRow {
  const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
  return {
    age: Math.round(clamp(r.normal(41, 12), 18, 90)),
    income: Math.round(Math.exp(r.normal(drift ? 11.25 : 10.8, 0.45)) * 100) / 100,
    credit_score: Math.round(clamp(r.normal(680, 60), 300, 850)),
    loan_amount: Math.round(Math.exp(r.normal(9.6, 0.7)) / 100) * 100,
    employment_type: r.choice(EMPLOYMENT, drift ? [0.4, 0.45, 0.08, 0.07] : [0.62, 0.22, 0.11, 0.05]),
  };
}
