import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import {
  Periodic,
  RoutinesConfigurationError,
  RoutinesModule,
  type RoutinesModuleOptions,
} from 'nestjs-routines';
import { RoutinesDashboardModule } from 'nestjs-routines/dashboard';
import { ManualClock } from 'nestjs-routines/testing';
import { bootTesting, closeAll, createTestingApp } from './support/e2e';

afterEach(closeAll);

const T0 = Date.UTC(2026, 11, 3, 8, 0, 0);

/** A report that takes 2.5 s (on the test clock) and runs every second. */
function reports(clock: ManualClock) {
  @Injectable()
  class Reports {
    starts: Array<{ at: number; due: number }> = [];
    @Periodic('1s', { name: 'report', overlap: 'buffer-one' })
    report(signal: AbortSignal, ctx: { dueAt: number }): Promise<void> {
      this.starts.push({ at: clock.now(), due: ctx.dueAt });
      return new Promise((resolve) => {
        const timer = clock.setTimer(clock.now() + 2500, resolve);
        signal.addEventListener('abort', () => {
          clock.clearTimer(timer);
          resolve();
        });
      });
    }
  }
  return Reports;
}

const boot = (clock: ManualClock, options: RoutinesModuleOptions = {}) => {
  const Reports = reports(clock);
  return bootTesting({
    imports: [RoutinesModule.forRoot({ clock, ...options })],
    providers: [Reports],
  }).then((booted) => ({ ...booted, reports: booted.app.get(Reports) }));
};

describe('overlap in a Nest app', () => {
  it("runs @Periodic's 'buffer-one' and shows it in the registry", async () => {
    const clock = new ManualClock(T0);
    const { registry, reports } = await boot(clock);
    await clock.advance(5000);
    expect(reports.starts.map((s) => [s.at - T0, s.due - T0])).toEqual([
      [0, 0],
      [2500, 1000],
      [5000, 3000],
    ]);
    const info = registry.get('report');
    expect(info.overlap).toMatchObject({ policy: 'buffer-one', buffered: 2, overflowed: 2 });
    expect(registry.history('report').find((r) => r.status === 'skipped')).toMatchObject({
      reason: 'busy',
    });
  });

  it('takes the module option over the decorator, and a trigger override', async () => {
    const clock = new ManualClock(T0);
    const { registry, reports } = await boot(clock, {
      routines: { report: { overlap: 'skip' } },
    });
    await clock.advance(3000);
    expect(reports.starts.map((s) => s.at - T0)).toEqual([0, 3000]);
    expect(registry.get('report').overlap).toBeUndefined();
    await expect(registry.trigger('report')).resolves.toMatchObject({
      status: 'skipped',
      reason: 'busy',
      policy: 'skip',
    });
    const beside = registry.trigger('report', { overlap: 'allow' });
    await clock.advance(2500);
    await expect(beside).resolves.toMatchObject({ status: 'succeeded', policy: 'allow' });
  });

  it('describe(): the schedule, policy, next 10 due times, counters by reason and the last runs with due and actual start', async () => {
    const clock = new ManualClock(T0);
    const { registry } = await boot(clock);
    await clock.advance(5000);
    registry.pause('report', { note: 'looking into it', by: 'ops' });
    const described = registry.describe('report');
    expect(described).toMatchObject({
      name: 'report',
      state: 'paused',
      schedule: 'every 1s',
      scope: 'instance',
      overlap: 'buffer-one',
      paused: { note: 'looking into it', by: 'ops' },
    });
    expect(described.nextDueAt).toHaveLength(10);
    expect(described.nextDueAt[1] - described.nextDueAt[0]).toBe(1000);
    expect(described.counters).toMatchObject({ runs: 3, skipped: 2, skippedByReason: { busy: 2 } });
    // Newest first, as they ended: the run due at 1 s (buffered, started at 2.5 s) ended at 5 s.
    expect(described.lastRuns[0]).toMatchObject({ status: 'succeeded', dueAt: T0 + 1000 });
    expect(described.lastRuns.filter((run) => run.reason === 'busy')).toHaveLength(2);
    const buffered = described.lastRuns.find((run) => run.dueAt === T0 + 1000)!;
    expect(buffered).toMatchObject({ status: 'succeeded', startedAt: T0 + 2500, lateByMs: 1500 });
    expect(() => registry.describe('nope')).toThrow("'nope'");
  });

  it('backfill(): past due times through the registry, in the history and describe()', async () => {
    const clock = new ManualClock(T0);
    const { registry, reports } = await boot(clock, { routines: { report: { interval: '1h' } } });
    await clock.advance(2500);
    const done = registry.backfill('report', { from: T0 - 3 * 3600_000, to: T0 - 3600_000 });
    await clock.advance(3 * 2500);
    const report = await done;
    expect(report).toMatchObject({ dueTimes: 3, succeeded: 3 });
    expect(reports.starts.slice(1).map((s) => (s.due - T0) / 3600_000)).toEqual([-3, -2, -1]);
    expect(registry.history('report').filter((run) => run.backfill)).toHaveLength(3);
    expect(registry.describe('report').counters.backfilled).toBe(3);
    await expect(registry.backfill('report', { from: T0, to: T0 - 1 })).rejects.toThrow(RangeError);
  });

  it('shows the policy and the waiting ticks on the status page', async () => {
    const clock = new ManualClock(T0);
    @Module({
      imports: [
        RoutinesModule.forRoot({ clock }),
        RoutinesDashboardModule.forRoot({ path: '/ops' }),
      ],
      providers: [reports(clock)],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    try {
      await app.init();
      await clock.advance(1000); // the tick of 1 s waits behind the run of 0 s
      const page = await request(app.getHttpServer()).get('/ops').expect(200);
      expect(page.text).toContain('every 1s · overlap buffer-one, 1 waiting');
      const json = await request(app.getHttpServer()).get('/ops/api/routines/report').expect(200);
      expect(json.body.overlap).toMatchObject({ policy: 'buffer-one', waiting: 1 });
    } finally {
      await app.close();
    }
  });

  it('refuses a bad policy in the decorator or the module options, naming the routine and the option', async () => {
    const clock = new ManualClock(T0);
    const booted = await createTestingApp({
      imports: [
        RoutinesModule.forRoot({
          clock,
          routines: { report: { overlap: 'buffer-all', maxBuffered: 0, overlpa: 'skip' } as never },
        }),
      ],
      providers: [reports(clock)],
    });
    const failure = await booted.app.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RoutinesConfigurationError);
    const message = (failure as Error).message;
    expect(message).toContain("RoutinesModule options routines['report']");
    expect(message).toContain("option 'maxBuffered' = 0 must be a whole number, at least 1");
    expect(message).toMatch(
      /option 'overlpa' = 'skip' is not a routine option \(options: .*overlap/,
    );
  });
});

describe('catch-up in a Nest app', () => {
  it('a catchup window from the module options: resume runs the late due times, describe counts them', async () => {
    const clock = new ManualClock(T0);
    @Injectable()
    class Digest {
      dues: number[] = [];
      @Periodic('1m', { name: 'digest' })
      send(_signal: AbortSignal, ctx: { dueAt: number }): void {
        this.dues.push((ctx.dueAt - T0) / 60_000);
      }
    }
    const { registry, app } = await bootTesting({
      imports: [
        RoutinesModule.forRoot({
          clock,
          routines: { digest: { catchup: { window: '10m', max: 2 } } },
        }),
      ],
      providers: [Digest],
    });
    const digest = app.get(Digest);
    await clock.advance(30_000);
    registry.pause('digest', { note: 'maintenance', by: 'ops' });
    await clock.advance(20 * 60_000);
    registry.resume('digest');
    await clock.advance(0);
    // Paused from 0.5 to 20.5 minutes: 1..20 fell meanwhile; 19 and 20 run, 1..18 are missed
    // (9..18 within the window but beyond max; 1..8 past the window).
    expect(digest.dues).toEqual([0, 19, 20]);
    expect(registry.get('digest').catchup).toMatchObject({ caughtUp: 2, missed: 18 });
    const described = registry.describe('digest');
    expect(described.counters).toMatchObject({ caughtUp: 2, missed: 18 });
    expect(described.counters.skippedByReason.missed).toBeGreaterThanOrEqual(18);
    expect(registry.history('digest').filter((r) => r.status === 'skipped')[0]).toMatchObject({
      reason: 'missed',
    });
  });

  it('a bad catchup option is a configuration error naming the routine and the option', async () => {
    @Injectable()
    class Digest {
      @Periodic('1m', { name: 'digest', catchup: { window: '-1m' } })
      send(): void {}
    }
    await expect(
      bootTesting({ imports: [RoutinesModule.forRoot({})], providers: [Digest] }),
    ).rejects.toThrow(/Digest\.send.*catchup\.window/s);
  });
});
