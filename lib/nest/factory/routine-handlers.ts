// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import {
  takesSignal,
  type BackgroundHandler,
  type PeriodicHandler,
  type RunContext,
} from '../../core';
import type { TracedRunner } from '../../observability/run-tracer';

/**
 * A decorated method as a periodic handler. The method is looked up once, when the routine is
 * built (as @nestjs/schedule does), not on every tick (measured).
 */
export class MethodHandler {
  constructor(
    private readonly instance: object,
    readonly method: (signal: AbortSignal, context: RunContext) => unknown,
    /** @internal Whether the decorated method declares a parameter (see `declaresParameters`). */
    readonly takesSignal = true,
  ) {}

  handle(signal: AbortSignal, context: RunContext): unknown {
    return this.method.call(this.instance, signal, context);
  }
}

/** A periodic handler whose every run is a span (module option `tracing`). */
export class TracedHandler implements PeriodicHandler {
  constructor(
    private readonly inner: PeriodicHandler,
    private readonly spans: TracedRunner,
  ) {}

  /** @internal The tracer reads the signal once the run ended; it adds no listener. */
  get takesSignal(): boolean {
    return takesSignal(this.inner);
  }

  handle(signal: AbortSignal, context: RunContext): unknown {
    return this.spans.run(signal, context, this.inner.handle, this.inner);
  }

  handleError(error: unknown): unknown {
    return this.inner.handleError?.(error);
  }

  onShutdown(): unknown {
    return this.inner.onShutdown?.();
  }
}

/** A background handler whose every attempt is a span; its `stop`, if any, kept as is. */
export function tracedBackground(inner: BackgroundHandler, spans: TracedRunner): BackgroundHandler {
  const handler: BackgroundHandler = {
    start: (signal, context) => spans.run(signal, context, inner.start, inner),
  };
  if (typeof inner.stop === 'function') handler.stop = () => inner.stop!();
  return handler;
}

/**
 * Whether a decorated method declares parameters, from the types TypeScript records for a
 * decorated method (`emitDecoratorMetadata`, which Nest's injection relies on): they describe
 * the method as written, even when another decorator wraps it in a `(...args)` function.
 * Without them (compiled without metadata) the method is assumed to declare some.
 */
export function declaresParameters(prototype: object, methodName: string): boolean {
  const types: unknown = Reflect.getMetadata?.('design:paramtypes', prototype, methodName);
  return !Array.isArray(types) || types.length > 0;
}
