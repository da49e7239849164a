import 'reflect-metadata';
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { BackgroundRoutine, Periodic, RoutinesModule, RoutinesRegistry } from 'nestjs-routines';
import { RoutinesHealthIndicator } from 'nestjs-routines/terminus';
import { ManualClock } from 'nestjs-routines/testing';
import { CapturingLogger } from './support/e2e';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

@Injectable()
class Jobs {
  brokerUp = true;
  @BackgroundRoutine({ name: 'consumer', restart: false })
  async consume(signal: AbortSignal): Promise<void> {
    if (!this.brokerUp) throw new Error('broker unreachable');
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
  }
  /** Fails while the database is down, then waits out a minute of backoff: no run starts. */
  dbUp = true;
  @Periodic('1s', { name: 'janitor', backoff: { initialDelay: '1m', maxDelay: '1m' } })
  sweep(): void {
    if (!this.dbUp) throw new Error('db down');
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly routines: RoutinesHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.routines.isHealthy('routines')]);
  }

  @Get('janitor')
  @HealthCheck()
  janitor() {
    return this.health.check([() => this.routines.isHealthy('janitor', { routines: ['janitor'] })]);
  }
}

describe('RoutinesHealthIndicator on @nestjs/terminus', () => {
  let app: INestApplication;
  let url: string;
  let clock: ManualClock;

  beforeEach(async () => {
    clock = new ManualClock(T0);
    @Module({
      imports: [TerminusModule, RoutinesModule.forRoot({ clock })],
      controllers: [HealthController],
      providers: [Jobs, RoutinesHealthIndicator],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: new CapturingLogger() });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    await clock.advance(0);
  });

  afterEach(() => app.close());

  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  it('is up (200) while every routine is fine, then down (503) naming the routine that failed', async () => {
    expect(await get('/health')).toEqual({
      status: 200,
      body: expect.objectContaining({
        status: 'ok',
        info: { routines: { status: 'up', routines: 2 } },
      }),
    });

    app.get(Jobs).brokerUp = false;
    await app.get(RoutinesRegistry).restart('consumer'); // fails at once, restart: false
    await clock.advance(0);

    const down = await get('/health');
    expect(down.status).toBe(503);
    expect(down.body.error.routines).toEqual({
      status: 'down',
      message: 'routine(s) down: consumer',
      routines: {
        consumer: { state: 'failed', reasons: ['failed: past its restart policy'] },
      },
    });
    // A check on other routines only is still up.
    expect((await get('/health/janitor')).status).toBe(200);
  });

  it('is down past N failures in a row (failOn.consecutiveFailures), and failOn can ignore lateness', async () => {
    app.get(Jobs).dbUp = false;
    await clock.advance(1_000); // one failed run
    const indicator = app.get(RoutinesHealthIndicator);
    expect(indicator.isHealthy('r', { routines: ['janitor'] })).toMatchObject({
      r: { status: 'up' },
    });
    expect(
      indicator.isHealthy('r', { routines: ['janitor'], failOn: { consecutiveFailures: 1 } }),
    ).toEqual({
      r: {
        status: 'down',
        message: 'routine(s) down: janitor',
        routines: { janitor: { state: 'running', reasons: ['1 failure in a row'] } },
      },
    });
    await clock.advance(6_001); // late now too
    expect(
      indicator.isHealthy('r', {
        routines: ['janitor'],
        failOn: { late: false, consecutiveFailures: 0 },
      }),
    ).toMatchObject({ r: { status: 'up' } });
    expect(indicator.isHealthy('r', { routines: ['nope'] })).toMatchObject({
      r: {
        status: 'down',
        routines: { nope: { state: 'unknown', reasons: ['no routine has this name'] } },
      },
    });
  });

  it('is down when a periodic routine is late: no run started for interval + longest run + 5 s', async () => {
    app.get(Jobs).dbUp = false;
    await clock.advance(1_000); // the run at 1 s fails; backoff skips the next minute of ticks
    await clock.advance(6_000); // 1 s interval + 0 ms longest run + 5 s: exactly at the threshold
    expect((await get('/health/janitor')).status).toBe(200);
    await clock.advance(1);
    const down = await get('/health/janitor');
    expect(down.status).toBe(503);
    expect(down.body.error.janitor.routines).toEqual({
      janitor: { state: 'running', reasons: ['late: no run started for longer than it should'] },
    });
  });
});
