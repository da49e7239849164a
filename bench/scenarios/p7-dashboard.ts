/**
 * P7: the status page's server-side cost with `routines` routines, each with a full history
 * (100 runs kept, the default), over HTTP on Express. Variants, in one app and one process:
 *
 * - `page`: `GET /routines`, the HTML page (the console's shell, and the first 50 routines as
 *   cards for a browser without script);
 * - `view`: `GET /routines/api/view`, what the page polls every refresh (one page of 50 rows,
 *   filtered and sorted on the server; the browser's side is P11);
 * - `json`: `GET /routines/api/routines`, the dashboard's JSON;
 * - `registry`: the baseline, a hand-written controller returning `registry.list()` (what
 *   apps wrote before the dashboard existed).
 *
 * Each figure is the median time of `requests` sequential requests after a warm-up, measured
 * by the client on the same machine (the HTTP round trip on loopback is in every variant).
 */
import 'reflect-metadata';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RoutinesModule, RoutinesRegistry } from '../../lib';
import { RoutinesDashboardModule } from '../../lib/dashboard';
import { main, median, scenarioParams } from '../harness';

export interface P7Params {
  variant: 'page' | 'view' | 'json' | 'registry';
  routines: number;
  runsEach: number;
  requests: number;
}

@Controller('hand-written')
class HandWrittenController {
  constructor(private readonly registry: RoutinesRegistry) {}
  @Get() list() {
    return this.registry.list();
  }
}

main(async () => {
  const params = scenarioParams<P7Params>();
  @Module({
    imports: [RoutinesModule.forRoot(), RoutinesDashboardModule.forRoot()],
    controllers: [HandWrittenController],
  })
  class AppModule {}
  const app: INestApplication = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const registry = app.get(RoutinesRegistry);
  let n = 0;
  for (let i = 0; i < params.routines; i++) {
    registry.add(
      `routine-${i}`,
      () => {
        if (++n % 7 === 0) throw new Error(`failure ${n}: <the upstream said no>`);
      },
      { interval: '1h', runOnStart: false, description: `does job ${i}` },
    );
  }
  for (let i = 0; i < params.routines; i++) {
    for (let r = 0; r < params.runsEach; r++) await registry.trigger(`routine-${i}`);
  }
  const url = `${await app.getUrl()}${
    params.variant === 'page'
      ? '/routines'
      : params.variant === 'view'
        ? '/routines/api/view'
        : params.variant === 'json'
          ? '/routines/api/routines'
          : '/hand-written'
  }`;
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < params.requests + 3; i++) {
    const t0 = performance.now();
    const body = await (await fetch(url)).text();
    const ms = performance.now() - t0;
    bytes = body.length;
    if (i >= 3) times.push(ms);
  }
  await app.close();
  return { variant: params.variant, medianMs: median(times), bytes };
});
