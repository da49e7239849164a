/**
 * P4: bootstrap of an app with `providers` provider classes, `decorated` of which carry a
 * decorated `run` method: ours (`@Periodic`), `@nestjs/schedule` (`@Interval`) or none.
 *
 * The module is compiled with `Test.createTestingModule(...).compile()` (scan and
 * instantiate, identical work for all variants), then `init()` is timed: the lifecycle
 * hooks, where both schedulers discover, build and start their jobs. The interval is an
 * hour and ours does not run on start, so nothing ticks during the measurement.
 */
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { buildAppModule, type Scheduler } from '../fixtures';
import { main, scenarioParams } from '../harness';

export interface P4Params {
  variant: Scheduler;
  providers: number;
  decorated: number;
}

const HOUR = 3_600_000;

main(async () => {
  const params = scenarioParams<P4Params>();
  const AppModule = buildAppModule({
    scheduler: params.variant,
    providers: params.providers,
    decorated: params.decorated,
    intervalMs: HOUR,
    periodicOptions: { runOnStart: false },
    makeRun: () =>
      async function run(): Promise<void> {
        // never runs during the measurement
      },
  });
  const t0 = performance.now();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const t1 = performance.now();
  await moduleRef.init();
  const t2 = performance.now();
  await moduleRef.close();
  return {
    variant: params.variant,
    compileMs: t1 - t0,
    initMs: t2 - t1,
    totalMs: t2 - t0,
  };
});
