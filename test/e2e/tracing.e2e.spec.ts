import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { BackgroundRoutine, Periodic, RoutinesModule, type RunContext } from 'nestjs-routines';
import { aborted, bootTesting, closeAll, sleep, waitFor } from './support/e2e';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();

beforeAll(() => {
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
});
afterAll(() => {
  trace.disable();
  context.disable();
});
afterEach(async () => {
  await closeAll();
  exporter.reset();
});

@Injectable()
class Reports {
  runs = 0;
  private readonly tracer = trace.getTracer('app');

  @Periodic('1h', { name: 'report', runOnStart: false })
  async report(signal: AbortSignal): Promise<void> {
    this.runs++;
    // The app's own span, started inside the run: it must be the run span's child.
    await this.tracer.startActiveSpan('SELECT reports', async (span) => {
      await sleep(5);
      span.end();
    });
    if (this.runs === 2) throw new TypeError('bad template');
    signal.throwIfAborted();
  }

  @Periodic('1h', { name: 'slow-export', runOnStart: false, timeout: 20 })
  async export(signal: AbortSignal): Promise<void> {
    await aborted(signal);
    signal.throwIfAborted();
  }

  @BackgroundRoutine({ name: 'consumer' })
  async consume(signal: AbortSignal, ctx: RunContext): Promise<void> {
    void ctx;
    await aborted(signal);
  }
}

const boot = () =>
  bootTesting({ imports: [RoutinesModule.forRoot({ tracing: true })], providers: [Reports] });

const spans = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);

describe('tracing: one span per run', () => {
  it('a run is a span with the routine attributes, and the handler’s spans are its children', async () => {
    const { registry } = await boot();
    const outcome = await registry.trigger('report');
    expect(outcome.error).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    const [run] = spans('routine report');
    expect(run.attributes).toMatchObject({
      'routine.name': 'report',
      'routine.kind': 'periodic',
      'routine.scope': 'instance',
      'routine.run_id': 1,
      'routine.outcome': 'succeeded',
      'code.function.name': 'Reports.report',
    });
    expect(new Date(run.attributes['routine.due_at'] as string).getTime()).toBe(
      Math.floor(outcome.dueAt),
    );
    expect(run.status.code).toBe(SpanStatusCode.UNSET);
    const [query] = spans('SELECT reports');
    expect(query.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(query.spanContext().traceId).toBe(run.spanContext().traceId);
  });

  it('a failed run records the exception and sets the status to ERROR', async () => {
    const { registry } = await boot();
    await registry.trigger('report');
    await registry.trigger('report');
    const failed = spans('routine report').find((span) => span.attributes['routine.run_id'] === 2)!;
    expect(failed.attributes['routine.outcome']).toBe('failed');
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad template' });
    expect(failed.events.map((event) => event.name)).toEqual(['exception']);
    expect(failed.events[0].attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.message': 'bad template',
    });
  });

  it('a timed-out run is marked timed_out (ERROR); a run cancelled by shutdown is marked cancelled', async () => {
    const { registry, close } = await boot();
    expect((await registry.trigger('slow-export')).status).toBe('failed');
    const [timedOut] = spans('routine slow-export');
    expect(timedOut.attributes['routine.outcome']).toBe('timed_out');
    expect(timedOut.status.code).toBe(SpanStatusCode.ERROR);

    await close(); // the consumer's attempt ends with its aborted signal
    const [attempt] = spans('routine consumer');
    expect(attempt.attributes).toMatchObject({
      'routine.kind': 'background',
      'routine.outcome': 'cancelled',
      'routine.run_id': 1,
    });
    expect(attempt.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a cluster background attempt carries the lease epoch', async () => {
    @Injectable()
    class Relay {
      @BackgroundRoutine({ name: 'relay', scope: 'cluster' })
      async relay(signal: AbortSignal): Promise<void> {
        await aborted(signal);
      }
    }
    const { registry, close } = await bootTesting({
      imports: [RoutinesModule.forRoot({ tracing: true })],
      providers: [Relay],
    });
    await waitFor(() => registry.get('relay').cluster?.epoch !== undefined, 'the lease');
    const epoch = registry.get('relay').cluster?.epoch;
    expect(epoch).toBeGreaterThan(0);
    await close();
    const [attempt] = spans('routine relay');
    expect(attempt.attributes).toMatchObject({
      'routine.scope': 'cluster',
      'routine.epoch': epoch,
    });
  });

  it('is off by default: no span without the option', async () => {
    const { registry } = await bootTesting({
      imports: [RoutinesModule.forRoot()],
      providers: [Reports],
    });
    await registry.trigger('report');
    expect(spans('routine report')).toEqual([]);
    expect(spans('SELECT reports')).toHaveLength(1); // the app's own span, now a root
  });
});
