// Types only: @opentelemetry/api is an optional peer, loaded by `createRunTracer` when asked.
import type * as Otel from '@opentelemetry/api';
import {
  isAbortError,
  isThenable,
  RoutineTimeoutError,
  summarizeError,
  type RunContext,
} from '../core';
import type { TracingOptions } from './observability-options';
import { loadOptionalPeer } from './optional-peer';
import type { JobWrapper } from '../worker/interfaces/job.interface';

/** What a span says about its routine. */
export interface TracedRoutine {
  name: string;
  kind: 'periodic' | 'background';
  scope: 'instance' | 'cluster';
  /** `Class.method` or `Class`: the stable `code.function.name`. */
  source: string;
}

/**
 * One span per run (background: per attempt), named `routine <name>`, with the handler called
 * inside its context so that the spans the handler starts (database, HTTP) are its children.
 * Attributes: `routine.name`, `routine.kind`, `routine.scope`, `routine.run_id`,
 * `routine.due_at` (ISO time), `routine.epoch` (cluster background), `code.function.name`, and
 * at the end `routine.outcome` (succeeded, failed, cancelled, timed_out). A failure is recorded
 * as an exception event with status ERROR; a cancelled or timed-out run also ends in ERROR
 * only when it threw something other than the abort.
 */
export class RunTracer {
  private readonly api: typeof Otel;
  private readonly tracer: Otel.Tracer;

  /** `api` is @opentelemetry/api, `tracer` one of its tracers (typed loosely: see observability-options). */
  constructor(api: unknown, tracer: unknown) {
    this.api = api as typeof Otel;
    this.tracer = tracer as Otel.Tracer;
  }

  /** What the spans of one routine share, made once: its name and fixed attributes. */
  forRoutine(routine: TracedRoutine): TracedRunner {
    return new TracedRunner(this, `routine ${routine.name}`, {
      kind: this.api.SpanKind.INTERNAL,
      attributes: {
        'routine.name': routine.name,
        'routine.kind': routine.kind,
        'routine.scope': routine.scope,
        'code.function.name': routine.source,
      },
    });
  }

  /**
   * One span per job attempt of a worker, named `worker <name>`, with the handler inside its
   * context. Attributes: `worker.name`, `worker.job_id`, `worker.attempt`, and at the end
   * `worker.outcome` (succeeded, failed, or the reason its signal aborted: cancelled). A
   * failure is recorded as an exception event with status ERROR.
   */
  forWorker(worker: string): JobWrapper {
    const name = `worker ${worker}`;
    const kind = this.api.SpanKind.CONSUMER;
    return (job, run) =>
      this.tracer.startActiveSpan(name, { kind }, async (span: Otel.Span) => {
        if (span.isRecording()) {
          span.setAttributes({
            'worker.name': worker,
            'worker.job_id': job.id,
            'worker.attempt': job.attempt,
          });
        }
        try {
          await run();
          span.setAttribute('worker.outcome', job.signal.aborted ? 'cancelled' : 'succeeded');
        } catch (error) {
          span.setAttribute('worker.outcome', job.signal.aborted ? 'cancelled' : 'failed');
          const { name: errorName, message } = summarizeError(error);
          span.recordException(error instanceof Error ? error : { name: errorName, message });
          span.setStatus({ code: this.api.SpanStatusCode.ERROR, message });
          throw error;
        } finally {
          span.end();
        }
      });
  }

  /** @internal Calls `fn(signal, context)` inside a new span, ended when the run settles. */
  run(
    name: string,
    /** An OpenTelemetry `SpanOptions` (typed loosely: the declarations must not need the package). */
    options: object,
    signal: AbortSignal,
    context: RunContext,
    fn: (signal: AbortSignal, context: RunContext) => unknown,
    self: unknown,
  ): unknown {
    return this.tracer.startActiveSpan(name, options as Otel.SpanOptions, (span: Otel.Span) => {
      // A tracer that does not record (no SDK, or not sampled) gets nothing it would drop.
      if (span.isRecording()) span.setAttributes(runAttributes(context));
      let result: unknown;
      try {
        result = fn.call(self, signal, context);
      } catch (error) {
        this.failed(span, signal, error);
        throw error;
      }
      if (!isThenable(result)) {
        this.succeeded(span, signal);
        return result;
      }
      return Promise.resolve(result).then(
        (value) => {
          this.succeeded(span, signal);
          return value;
        },
        (error: unknown) => {
          this.failed(span, signal, error);
          throw error;
        },
      );
    });
  }

  private succeeded(span: Otel.Span, signal: AbortSignal): void {
    span.setAttribute('routine.outcome', signal.aborted ? abortOutcome(signal) : 'succeeded');
    span.end();
  }

  private failed(span: Otel.Span, signal: AbortSignal, error: unknown): void {
    const aborted = signal.aborted && (error === signal.reason || isAbortError(error));
    span.setAttribute('routine.outcome', aborted ? abortOutcome(signal) : 'failed');
    if (!aborted || signal.reason instanceof RoutineTimeoutError) {
      const { name, message } = summarizeError(error);
      span.recordException(error instanceof Error ? error : { name, message });
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message });
    }
    span.end();
  }
}

/** The spans of one routine. */
export class TracedRunner {
  constructor(
    private readonly tracer: RunTracer,
    private readonly name: string,
    private readonly options: object,
  ) {}

  /** Calls `fn.call(self, signal, context)` inside a new span. */
  run(
    signal: AbortSignal,
    context: RunContext,
    fn: (signal: AbortSignal, context: RunContext) => unknown,
    self: unknown,
  ): unknown {
    return this.tracer.run(this.name, this.options, signal, context, fn, self);
  }
}

function runAttributes(context: RunContext): Otel.Attributes {
  const attributes: Otel.Attributes = {
    'routine.run_id': context.runId,
    'routine.due_at': new Date(context.dueAt).toISOString(),
  };
  if (context.epoch !== undefined) attributes['routine.epoch'] = context.epoch;
  return attributes;
}

function abortOutcome(signal: AbortSignal): 'timed_out' | 'cancelled' {
  return signal.reason instanceof RoutineTimeoutError ? 'timed_out' : 'cancelled';
}

/** Loads @opentelemetry/api and the tracer runs are traced with. */
export async function createRunTracer(options: true | TracingOptions): Promise<RunTracer> {
  const api = await loadOptionalPeer<typeof Otel>('@opentelemetry/api', 'tracing', 'SpanKind');
  const own = options === true ? undefined : options.tracer;
  return new RunTracer(api, own ?? api.trace.getTracer('nestjs-routines'));
}
