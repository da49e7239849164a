/**
 * P5: heap retained per idle periodic routine, after a forced GC.
 *
 * - nest / schedule: an app with N providers, each with one decorated `run` method
 *   (interval one hour). The module is compiled first (providers exist, no routines yet);
 *   heap is measured after GC, then `init()` builds and starts the routines, the first
 *   (no-op) runs finish, and heap is measured again after GC. The difference is what the
 *   scheduler keeps per routine: not the user's provider instances.
 * - core: N `PeriodicRoutine`s (same no-op handler, interval one hour), started with one
 *   anchor; heap before and after.
 *
 * Ours runs on start (default), so every routine holds the state of one finished run, as
 * an idle routine between ticks does; `@nestjs/schedule` keeps no per-run state. Every
 * method runs once before the first measurement, so V8's bookkeeping for code that has run
 * (feedback vectors) counts for neither scheduler.
 */
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { PeriodicRoutine } from '../../lib';
import { systemClock, type ManagedRoutine } from '../../lib/core';
import { buildAppModule } from '../fixtures';
import { fullGc, main, scenarioParams, sleep } from '../harness';

export interface P5Params {
  /** nest-no-history: RoutinesModule with `history: 0` (the ring aside). */
  variant: 'nest' | 'nest-no-history' | 'core' | 'schedule';
  count: number;
}

const HOUR = 3_600_000;

/**
 * The JS heap plus ArrayBuffer memory: a routine's run history is a ring of typed arrays
 * whose buffers live outside the JS heap, and they count as much as its objects.
 */
function heapUsed(): number {
  fullGc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

main(async () => {
  const params = scenarioParams<P5Params>();
  const { count } = params;
  let keep: unknown;
  let before: number;
  let after: number;
  if (params.variant === 'core') {
    const handler = async (): Promise<void> => undefined;
    await handler();
    await sleep(50);
    before = heapUsed();
    const anchor = systemClock.now();
    const routines: ManagedRoutine[] = [];
    for (let i = 0; i < count; i++) {
      const routine = new PeriodicRoutine(handler, { name: `routine-${i}`, interval: HOUR });
      routine.start(anchor);
      routines.push(routine);
    }
    keep = routines;
    await sleep(200);
    after = heapUsed();
  } else {
    const AppModule = buildAppModule({
      scheduler: params.variant === 'schedule' ? 'schedule' : 'ours',
      moduleOptions: params.variant === 'nest-no-history' ? { history: 0 } : undefined,
      providers: count,
      intervalMs: HOUR,
      makeRun: () =>
        async function run(): Promise<void> {
          // an idle routine's no-op run
        },
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    moduleRef.useLogger(false);
    // Run every method once first: V8's own bookkeeping for code that has run (feedback
    // vectors, ~80 B per method) belongs to the app's methods, not to the scheduler.
    const classes = Reflect.getMetadata('providers', AppModule) as Array<new () => unknown>;
    for (const cls of classes) await (moduleRef.get(cls) as { run(): Promise<void> }).run();
    await sleep(50);
    before = heapUsed();
    await moduleRef.init();
    await sleep(200);
    after = heapUsed();
    keep = moduleRef;
  }
  const perRoutineBytes = (after - before) / count;
  if (keep === undefined) throw new Error('unreachable');
  return {
    variant: params.variant,
    count,
    heapBeforeBytes: before,
    heapAfterBytes: after,
    perRoutineBytes,
  };
});
