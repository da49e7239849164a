import 'reflect-metadata';
import {
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Periodic, RoutinesModule } from 'nestjs-routines';
import { bootstraps, closeAll, sleep, waitFor } from './support/e2e';

// As if a Nest release had dropped the internal that orders shutdown (see shutdown-order.ts).
jest.mock('../../lib/nest/shutdown-order', () => ({ visitFirstOnShutdown: () => false }));

afterEach(closeAll);

describe('shutdown order without the Nest internal (the fallback)', () => {
  @Injectable()
  class Pools implements BeforeApplicationShutdown, OnApplicationShutdown {
    closedBefore = false;
    closed = false;
    beforeApplicationShutdown(): void {
      this.closedBefore = true;
    }
    onApplicationShutdown(): void {
      this.closed = true;
    }
    query(): string {
      if (this.closed || this.closedBefore) throw new Error('pool is closed');
      return 'rows';
    }
  }

  @Injectable()
  class Reporter {
    running = false;
    result: string | undefined;
    constructor(private readonly pools: Pools) {}

    @Periodic('1h', { name: 'report' })
    async report(): Promise<void> {
      this.running = true;
      await sleep(150);
      this.result = this.pools.query();
    }
  }

  it.each(bootstraps)(
    'with %s: warns once, and routines still drain before beforeApplicationShutdown and onApplicationShutdown',
    async (_label, boot) => {
      const { app, logger, close } = await boot({
        imports: [RoutinesModule.forRoot()],
        providers: [Pools, Reporter],
      });
      const reporter = app.get(Reporter);
      await waitFor(() => reporter.running, 'the report run');

      await close();

      expect(reporter.result).toBe('rows');
      expect(app.get(Pools).closed).toBe(true);
      const warnings = logger
        .at('warn')
        .filter((entry) => /drain before other providers' onModuleDestroy/.test(entry.message));
      expect(warnings).toHaveLength(1);
    },
  );
});
