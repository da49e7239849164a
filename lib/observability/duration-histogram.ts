// Durations counted into plain arrays as runs and jobs end; buckets built only at a scrape.

/** Upper bounds in seconds: prom-client's default buckets, 5 ms to 10 s. */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Durations by outcome, counted into BUCKETS (not cumulative; the last: above them all). */
export interface DurationTotals {
  readonly buckets: Float64Array[];
  readonly durationSum: number[];
}

export function observe(totals: DurationTotals, outcome: number, seconds: number): void {
  totals.durationSum[outcome] += seconds;
  let bucket = 0;
  while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]) bucket++;
  totals.buckets[outcome][bucket]++;
}

/**
 * A duration histogram as a prom-client metric of our own (`registerMetric` takes any object
 * with this shape): durations are counted into plain arrays as they end, and the buckets are
 * only built when Prometheus scrapes. prom-client's Histogram hashes the labels at every
 * observation.
 */
export class DurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    /** `routine` or `worker`. */
    private readonly owner: string,
    /** The label values of the second label, by index into each totals' arrays. */
    private readonly outcomes: readonly string[],
    private readonly outcomeLabel: string,
    private readonly totals: () => Iterable<[string, DurationTotals]>,
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }>;
  }> {
    const values: Array<{
      labels: Record<string, string | number>;
      value: number;
      metricName: string;
    }> = [];
    for (const [owner, totals] of this.totals()) {
      this.outcomes.forEach((outcome, i) => {
        const counts = totals.buckets[i];
        const count = counts.reduce((sum, n) => sum + n, 0);
        if (count === 0) return;
        const series = { [this.owner]: owner, [this.outcomeLabel]: outcome };
        let cumulative = 0;
        BUCKETS.forEach((le, b) => {
          cumulative += counts[b];
          values.push({
            labels: { le, ...series },
            value: cumulative,
            metricName: `${this.name}_bucket`,
          });
        });
        values.push({
          labels: { le: '+Inf', ...series },
          value: count,
          metricName: `${this.name}_bucket`,
        });
        values.push({
          labels: series,
          value: totals.durationSum[i],
          metricName: `${this.name}_sum`,
        });
        values.push({ labels: series, value: count, metricName: `${this.name}_count` });
      });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }
}
