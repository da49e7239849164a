/**
 * The observability module options, described without naming `prom-client` or
 * `@opentelemetry/api`: the package's types compile without those optional peers installed.
 */

/** A prom-client `Registry` (`new Registry()`, or prom-client's default `register`). */
export interface MetricsRegistry {
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

/** Module option `metrics`: `true`, or where and under which prefix to register. */
export interface MetricsOptions {
  /** Default: prom-client's default registry (what `/metrics` modules expose). */
  registry?: MetricsRegistry;
  /** Prepended to every metric name. Default: 'routines_'. */
  prefix?: string;
}

/** An OpenTelemetry `Tracer` (`trace.getTracer(name)`). */
export interface TracerLike {
  startActiveSpan(...args: never[]): unknown;
}

/** Module option `tracing`: `true` (the app's registered tracer provider), or a tracer of the app's. */
export interface TracingOptions {
  /** Default: `trace.getTracer('nestjs-routines')`. */
  tracer?: TracerLike;
}
