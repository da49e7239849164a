import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackgroundRoutine, type RunContext } from 'nestjs-routines';

/**
 * A cluster routine that finishes: it seeds demo data once. On several replicas it runs on
 * one of them; the others see the completion recorded in the coordinator and become
 * `completed` without running it. It runs again under another `version` (APP_VERSION here),
 * or after `POST /routines/seed-demo-data/reset-completion`.
 */
@Injectable()
export class DemoSeeder {
  private readonly logger = new Logger(DemoSeeder.name);

  @BackgroundRoutine({ name: 'seed-demo-data', scope: 'cluster', lease: { ttl: '5s' } })
  async seed(signal: AbortSignal, ctx: RunContext): Promise<void> {
    this.logger.log(`seeding demo data on pid ${process.pid} (epoch ${ctx.epoch})`);
    await sleep(1_000, undefined, { signal }).catch(() => undefined);
    if (!signal.aborted) this.logger.log('demo data seeded');
  }
}
