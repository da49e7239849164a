// Types only: prom-client is an optional peer, loaded by `createRoutinesMetrics` when asked.
import type * as PromClient from 'prom-client';

/** Defines a counter or gauge whose values `fill` gives when Prometheus scrapes. */
export type DefineMetric = (
  kind: 'counter' | 'gauge',
  name: string,
  help: string,
  labelNames: string[],
  fill: (set: (labels: Record<string, string>, value: number) => void) => void | Promise<void>,
) => void;

/** A {@link DefineMetric} on `registry`, with `prefix`, that notes each name in `names`. */
export function metricDefiner(
  client: typeof PromClient,
  registry: PromClient.Registry,
  prefix: string,
  names: string[],
): DefineMetric {
  return (kind, name, help, labelNames, fill) => {
    const configuration = {
      name: `${prefix}${name}`,
      help,
      labelNames,
      registers: [registry],
      collect(this: PromClient.Counter<string> | PromClient.Gauge<string>) {
        this.reset();
        // A counter is handed its total: reset, then one increment by all of it.
        return fill((labels, value) =>
          this instanceof client.Counter ? this.inc(labels, value) : this.set(labels, value),
        );
      },
    };
    if (kind === 'counter') new client.Counter(configuration);
    else new client.Gauge(configuration);
    names.push(configuration.name);
  };
}
