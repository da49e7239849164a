/**
 * P1: process CPU time per tick of N periodic no-op async routines.
 *
 * Variants:
 * - floor:    N raw setIntervals, each `try { await fn() } catch {}`
 * - schedule: N `@nestjs/schedule` `@Interval(ms)` methods in a Nest application context
 * - nest:     N `@Periodic(ms)` methods in a Nest application context with RoutinesModule
 * - core:     N framework-free `PeriodicRoutine`s started with one anchor
 * - nest-no-history: nest with `history: 0` (what the default run history costs)
 * - nest-metrics: nest with `metrics` (prom-client, a registry of its own)
 * - nest-tracing: nest with `tracing: true` and no OpenTelemetry SDK (the no-op tracer)
 * - nest-tracing-sdk: nest with `tracing: true` and the SDK recording every span to its
 *   in-memory exporter (emptied every second)
 *
 * Every variant runs the same handler body (`ticks++` in an async function), which also
 * counts the ticks actually executed: per tick = CPU time in the window / ticks in it.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { PeriodicRoutine, type RoutinesModuleOptions } from '../../lib';
import { systemClock } from '../../lib/core';
import { buildAppModule } from '../fixtures';
import { cpuMicros, fullGc, main, scenarioParams, sleep } from '../harness';

export type P1Variant =
  | 'floor'
  | 'schedule'
  | 'nest'
  | 'core'
  | 'nest-no-history'
  | 'nest-metrics'
  | 'nest-tracing'
  | 'nest-tracing-sdk';

export interface P1Params {
  variant: P1Variant;
  count: number;
  intervalMs: number;
  warmupMs: number;
  durationMs: number;
}

let ticks = 0;

main(async () => {
  const params = scenarioParams<P1Params>();
  const { variant, count, intervalMs } = params;
  let timers: () => number | undefined = () => undefined;

  if (variant === 'floor') {
    const fn = async (): Promise<void> => {
      ticks++;
    };
    for (let i = 0; i < count; i++) {
      setInterval(async () => {
        try {
          await fn();
        } catch {
          // the floor swallows errors like any scheduler must
        }
      }, intervalMs);
    }
    timers = () => count;
  } else if (variant === 'core') {
    const anchor = systemClock.now();
    for (let i = 0; i < count; i++) {
      const routine = new PeriodicRoutine(
        async () => {
          ticks++;
        },
        { name: `routine-${i}`, interval: intervalMs },
      );
      routine.start(anchor);
    }
    timers = () => systemClock.pendingTimeouts;
  } else {
    const ours = variant !== 'schedule';
    if (variant === 'nest-tracing-sdk') await recordSpansInMemory();
    const AppModule = buildAppModule({
      scheduler: ours ? 'ours' : 'schedule',
      providers: count,
      intervalMs,
      makeRun: () =>
        async function run(): Promise<void> {
          ticks++;
        },
      moduleOptions: await moduleOptionsOf(variant),
    });
    await NestFactory.createApplicationContext(AppModule, { logger: false });
    if (ours) timers = () => systemClock.pendingTimeouts;
    else timers = () => count;
  }

  await sleep(params.warmupMs);
  fullGc();
  const ticks0 = ticks;
  const cpu0 = cpuMicros();
  const wall0 = performance.now();
  await sleep(params.durationMs);
  const cpu1 = cpuMicros();
  const wall1 = performance.now();
  const executed = ticks - ticks0;
  const cpuUs = cpu1 - cpu0;
  const wallMs = wall1 - wall0;
  return {
    variant,
    cpuUs,
    ticks: executed,
    expectedTicks: Math.round((count * wallMs) / intervalMs),
    perTickUs: cpuUs / executed,
    wallMs,
    nodeTimeouts: timers(),
  };
});

async function moduleOptionsOf(variant: P1Variant): Promise<RoutinesModuleOptions> {
  if (variant === 'nest-no-history') return { history: 0 };
  if (variant === 'nest-metrics') {
    const { Registry } = await import('prom-client');
    return { metrics: { registry: new Registry() } };
  }
  if (variant === 'nest-tracing' || variant === 'nest-tracing-sdk') return { tracing: true };
  return {};
}

/** The OpenTelemetry SDK, every span kept by its in-memory exporter, emptied every second. */
async function recordSpansInMemory(): Promise<void> {
  const { context, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } =
    await import('@opentelemetry/sdk-trace-base');
  const exporter = new InMemorySpanExporter();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  setInterval(() => exporter.reset(), 1000).unref();
}
