import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Periodic, type PeriodicHandler } from 'nestjs-routines';

/**
 * A class-style periodic routine: `handle` is the run, `handleError` and `onShutdown` are
 * optional hooks. Every third call to the (simulated) upstream fails, to show that a failed
 * run is logged and counted and the schedule simply goes on.
 */
@Periodic('15s', {
  name: 'cache-warmer',
  description: 'refreshes exchange rates from a flaky upstream',
  timeout: '5s', // a hung upstream call is aborted through the run's signal
})
@Injectable()
export class CacheWarmer implements PeriodicHandler {
  private readonly logger = new Logger(CacheWarmer.name);
  private rates: Record<string, number> = {};
  private warmedAt: Date | undefined;
  private upstreamCalls = 0;

  async handle(signal: AbortSignal): Promise<void> {
    this.rates = await this.fetchRates(signal);
    this.warmedAt = new Date();
    this.logger.log(`warmed ${Object.keys(this.rates).length} exchange rates`);
  }

  /** Called after the library has logged and counted the failure. */
  handleError(error: unknown): void {
    const since = this.warmedAt ? `since ${this.warmedAt.toISOString()}` : 'none yet';
    this.logger.warn(
      `keeping the previous rates (${since}) until the next run: ${(error as Error).message}`,
    );
  }

  /** Called once, after the last run, when the routine stops. */
  onShutdown(): void {
    this.rates = {};
    this.logger.log('cache dropped');
  }

  // Stands in for an HTTP call: it takes a moment, honours the signal, and fails now and then.
  private async fetchRates(signal: AbortSignal): Promise<Record<string, number>> {
    await sleep(200, undefined, { signal });
    if (++this.upstreamCalls % 3 === 0)
      throw new Error('upstream answered 503 Service Unavailable');
    return { EUR: 1, USD: 1.08, GBP: 0.85, JPY: 163.2 };
  }
}
