import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  BackgroundRoutine,
  Periodic,
  RoutinesModule,
  type PeriodicHandler,
  type RunContext,
} from 'nestjs-routines';
import type { RoutineContext } from '../../lib/core/run-context';
import { aborted, bootstraps, closeAll, waitFor } from './support/e2e';

/** Form 1: `@Periodic` on methods, default and explicit names. */
@Injectable()
class ReportService {
  readonly signals: AbortSignal[] = [];
  readonly contexts: RunContext[] = [];
  digests = 0;

  @Periodic(30)
  compile(signal: AbortSignal, ctx: RunContext): void {
    this.signals.push(signal);
    this.contexts.push(ctx);
  }

  @Periodic('1h', { name: 'weekly-digest', runOnStart: false })
  digest(): void {
    this.digests++;
  }
}

/** Form 2: `@Periodic` on a class implementing PeriodicHandler. */
@Periodic(30)
@Injectable()
class CacheWarmer implements PeriodicHandler {
  runs = 0;
  readonly signals: AbortSignal[] = [];
  readonly runIds: number[] = [];
  failNext: Error | undefined;
  readonly errors: unknown[] = [];
  shutdowns = 0;

  async handle(signal: AbortSignal, ctx: RunContext): Promise<void> {
    this.signals.push(signal);
    this.runIds.push(ctx.runId);
    this.runs++;
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }

  handleError(error: unknown): void {
    this.errors.push(error);
  }

  onShutdown(): void {
    this.shutdowns++;
  }
}

@Periodic('1h', { name: 'named-warmer', runOnStart: false })
@Injectable()
class NamedWarmer implements PeriodicHandler {
  handle(): void {}
}

/** Form 3: `@BackgroundRoutine` on methods: they get a signal that aborts on close. */
@Injectable()
class QueueConsumer {
  signal: AbortSignal | undefined;
  finished = false;
  relayStarted = false;

  @BackgroundRoutine()
  async consume(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    await aborted(signal);
    this.finished = true;
  }

  @BackgroundRoutine({ name: 'outbox-relay' })
  async relay(signal: AbortSignal): Promise<void> {
    this.relayStarted = true;
    await aborted(signal);
  }
}

/** Form 4: `@BackgroundRoutine` on a class with start(signal, context) / stop(). */
@BackgroundRoutine()
@Injectable()
class Listener implements BackgroundRoutine {
  context: RoutineContext | undefined;
  signal: AbortSignal | undefined;
  stops = 0;
  returned = false;
  private release: (() => void) | undefined;

  async start(signal: AbortSignal, context: RoutineContext): Promise<void> {
    this.signal = signal;
    this.context = context;
    // Ignores its signal on purpose: only stop() ends it.
    await new Promise<void>((resolve) => (this.release = resolve));
    this.returned = true;
  }

  stop(): void {
    this.stops++;
    this.release?.();
  }
}

@BackgroundRoutine({ name: 'named-listener' })
@Injectable()
class NamedListener implements BackgroundRoutine {
  async start(signal: AbortSignal): Promise<void> {
    await aborted(signal);
  }
}

const metadata = () => ({
  imports: [RoutinesModule.forRoot({ shutdownTimeout: '2s' })],
  providers: [ReportService, CacheWarmer, NamedWarmer, QueueConsumer, Listener, NamedListener],
});

afterEach(closeAll);

describe.each(bootstraps)('the four decorator forms, booted with %s', (_label, boot) => {
  it('registers every routine under its default or explicit name, kind and source', async () => {
    const { registry } = await boot(metadata());

    const byName = Object.fromEntries(registry.list().map((info) => [info.name, info]));
    expect(Object.keys(byName).sort()).toEqual(
      [
        'CacheWarmer',
        'Listener',
        'QueueConsumer.consume',
        'ReportService.compile',
        'named-listener',
        'named-warmer',
        'outbox-relay',
        'weekly-digest',
      ].sort(),
    );
    expect(byName['ReportService.compile']).toMatchObject({
      kind: 'periodic',
      source: 'ReportService.compile',
      state: 'running',
      intervalMs: 30,
    });
    expect(byName['weekly-digest']).toMatchObject({
      kind: 'periodic',
      source: 'ReportService.digest',
    });
    expect(byName['CacheWarmer']).toMatchObject({ kind: 'periodic', source: 'CacheWarmer' });
    expect(byName['named-warmer']).toMatchObject({ kind: 'periodic', source: 'NamedWarmer' });
    expect(byName['QueueConsumer.consume']).toMatchObject({
      kind: 'background',
      source: 'QueueConsumer.consume',
      state: 'running',
    });
    expect(byName['outbox-relay']).toMatchObject({
      kind: 'background',
      source: 'QueueConsumer.relay',
    });
    expect(byName['Listener']).toMatchObject({ kind: 'background', source: 'Listener' });
    expect(byName['named-listener']).toMatchObject({
      kind: 'background',
      source: 'NamedListener',
    });
    // Explicit names replace the default ones: the defaults are not registered as well.
    expect(registry.has('ReportService.digest')).toBe(false);
    expect(registry.has('NamedWarmer')).toBe(false);
    expect(registry.has('QueueConsumer.relay')).toBe(false);
    expect(registry.has('NamedListener')).toBe(false);
  });

  it('runs a @Periodic method on its schedule with an AbortSignal, on the provider instance', async () => {
    const { app, registry } = await boot(metadata());
    const reports = app.get(ReportService);

    await waitFor(() => reports.signals.length >= 3, 'three runs of ReportService.compile');
    expect(reports.signals[0]).toBeInstanceOf(AbortSignal);
    // Each run gets its own context: numbered runs, due one interval apart.
    expect(reports.contexts.slice(0, 3).map((ctx) => ctx.runId)).toEqual([1, 2, 3]);
    expect(reports.contexts[0]).toMatchObject({ name: 'ReportService.compile', reinvocations: 0 });
    // Due on the 30 ms grid: a whole number of intervals apart, one on a quiet machine; on a
    // busy one a tick that fires too late is skipped and the next run is due 60 or 90 ms after
    // (90 was seen). Give or take the wall-clock offset: due times are kept on the monotonic
    // clock and read as wall times through an offset refreshed once a second
    // (SystemClock.wallOf), which moves by under 1 ms (Date.now()'s truncation) plus NTP's
    // slew; a refresh between the two runs gave 29.29 (toBeCloseTo(30, 0) failed).
    const apart = reports.contexts[1].dueAt - reports.contexts[0].dueAt;
    const intervals = Math.round(apart / 30);
    expect(intervals).toBeGreaterThanOrEqual(1);
    expect(Math.abs(apart - intervals * 30)).toBeLessThan(1.5);
    expect(registry.get('ReportService.compile').counters.runs).toBeGreaterThanOrEqual(3);

    // The explicitly named one runs under its name, through the same instance.
    await expect(registry.trigger('weekly-digest')).resolves.toMatchObject({
      status: 'succeeded',
    });
    expect(reports.digests).toBe(1);
  });

  it('drives a PeriodicHandler class: handle runs, handleError gets the failed run’s error, onShutdown runs once on close', async () => {
    const { app, registry, close } = await boot(metadata());
    const warmer = app.get(CacheWarmer);

    await waitFor(() => warmer.runs >= 2, 'CacheWarmer to run on its own');
    expect(warmer.signals[0]).toBeInstanceOf(AbortSignal);
    expect(warmer.runIds.slice(0, 2)).toEqual([1, 2]);
    const failure = new Error('cache backend unavailable');
    warmer.failNext = failure;
    const outcome = await registry.trigger('CacheWarmer');

    expect(outcome).toMatchObject({
      status: 'failed',
      error: { name: 'Error', message: 'cache backend unavailable' },
    });
    expect(warmer.errors).toContain(failure);
    expect(warmer.errors.every((error) => error === failure)).toBe(true);
    expect(registry.get('CacheWarmer').counters.failures).toBe(1);
    expect(warmer.shutdowns).toBe(0);

    await close();

    expect(warmer.shutdowns).toBe(1);
    expect(registry.get('CacheWarmer').state).toBe('stopped');
  });

  it('starts a @BackgroundRoutine method with a signal that aborts on close', async () => {
    const { app, registry, close } = await boot(metadata());
    const consumer = app.get(QueueConsumer);

    await waitFor(() => consumer.signal !== undefined && consumer.relayStarted, 'both consumers');
    expect(consumer.signal!.aborted).toBe(false);
    expect(registry.get('QueueConsumer.consume').state).toBe('running');

    await close();

    expect(consumer.signal!.aborted).toBe(true);
    expect(consumer.finished).toBe(true);
    expect(registry.get('QueueConsumer.consume').state).toBe('stopped');
    expect(registry.get('outbox-relay').state).toBe('stopped');
  });

  it('starts a @BackgroundRoutine class with (signal, context) and calls stop() once on close', async () => {
    const { app, registry, close } = await boot(metadata());
    const listener = app.get(Listener);

    await waitFor(() => listener.context !== undefined, 'Listener.start');
    expect(listener.context).toMatchObject({ name: 'Listener', runId: 1, attempt: 1 });
    expect(listener.signal).toBeInstanceOf(AbortSignal);
    expect(listener.stops).toBe(0);
    expect(registry.get('Listener').state).toBe('running');

    await close();

    expect(listener.stops).toBe(1);
    expect(listener.returned).toBe(true);
    expect(listener.signal!.aborted).toBe(true);
    expect(registry.get('Listener').state).toBe('stopped');
    expect(registry.get('named-listener').state).toBe('stopped');
  });
});

/** Inheritance: what a subclass declares through its parent class. */
@Injectable()
class BaseSweeper {
  @Periodic('1h', { runOnStart: false })
  sweep(): void {}

  @Periodic('1h', { runOnStart: false })
  compact(): void {}
}

@Injectable()
class TenantSweeper extends BaseSweeper {
  // Overridden without the decorator: no routine here, as with metadata on the method.
  override compact(): void {}
}

@Periodic('1h', { runOnStart: false })
@Injectable()
class BaseHandler implements PeriodicHandler {
  handle(): void {}
}

@Injectable()
class DerivedHandler extends BaseHandler {}

describe('routines declared through a parent class', () => {
  afterEach(closeAll);

  it('finds inherited decorated methods and class decorators, not methods overridden without the decorator', async () => {
    const [, boot] = bootstraps[0];
    const { registry } = await boot({
      imports: [RoutinesModule.forRoot()],
      providers: [TenantSweeper, DerivedHandler],
    });
    expect(
      registry
        .list()
        .map((routine) => routine.name)
        .sort(),
    ).toEqual(['DerivedHandler', 'TenantSweeper.sweep']);
  });
});
