/**
 * P3: `app.close()` while N runs of `runMs` each are in flight.
 *
 * Every provider's `run` takes `runMs` (a timer; it ignores the abort signal, as work that
 * cannot be interrupted does). Both schedulers tick every `intervalMs`; ours runs on start,
 * `@nestjs/schedule` first fires after one interval. As soon as all N runs have started,
 * `app.close()` is called and timed. Counted: runs that completed before close resolved,
 * and runs still going after it (left running; they complete later, after the app's
 * providers were torn down).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { buildAppModule } from '../fixtures';
import { main, scenarioParams, sleep } from '../harness';

export interface P3Params {
  variant: 'ours' | 'schedule';
  count: number;
  intervalMs: number;
  runMs: number;
}

main(async () => {
  const params = scenarioParams<P3Params>();
  const { count, runMs } = params;
  let started = 0;
  let completed = 0;
  let allStarted: () => void = () => undefined;
  const allStartedPromise = new Promise<void>((resolve) => (allStarted = resolve));
  let firstStart = 0;
  let lastStart = 0;

  const AppModule = buildAppModule({
    scheduler: params.variant,
    providers: count,
    intervalMs: params.intervalMs,
    makeRun: () =>
      async function run(): Promise<void> {
        const now = performance.now();
        if (started === 0) firstStart = now;
        lastStart = now;
        if (++started === count) allStarted();
        await sleep(runMs);
        completed++;
      },
  });
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  await allStartedPromise;

  const closeStart = performance.now();
  const inFlightAtClose = started - completed;
  await app.close();
  const closeMs = performance.now() - closeStart;
  const completedByClose = completed;
  const leftRunning = started - completed;
  await sleep(runMs * 2); // let the left-over runs end, to count them
  return {
    variant: params.variant,
    closeMs,
    inFlightAtClose,
    completedByClose,
    leftRunning,
    completedLater: completed - completedByClose,
    startedTotal: started,
    startSpreadMs: lastStart - firstStart,
    remainingAtCloseMs: runMs - (closeStart - lastStart),
  };
});
