import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import {
  InMemoryCoordinator,
  Periodic,
  RoutinesModule,
  RoutinesRegistry,
  type RoutinesModuleOptions,
} from 'nestjs-routines';
import { RoutinesDashboardModule, type RoutinesDashboardOptions } from 'nestjs-routines/dashboard';
import { ManualClock } from 'nestjs-routines/testing';
import { CapturingLogger } from './support/e2e';

@Injectable()
class Jobs {
  failWith: string | undefined;
  @Periodic('1h', { name: 'report', runOnStart: false })
  report(): void {
    if (this.failWith) throw new Error(this.failWith);
  }
}

const adapters = ['express', 'fastify'] as const;

async function boot(
  adapter: (typeof adapters)[number],
  routines: RoutinesModuleOptions,
  dashboard: RoutinesDashboardOptions = { path: 'ops' },
): Promise<INestApplication> {
  @Module({
    imports: [RoutinesModule.forRoot(routines), RoutinesDashboardModule.forRoot(dashboard)],
    providers: [Jobs],
  })
  class AppModule {}
  const logger = new CapturingLogger();
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger, abortOnError: false })
      : await NestFactory.create(AppModule, { logger, abortOnError: false });
  await app.init();
  if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** One success, then one failure: two runs, newest first the failure. */
async function runTwice(app: INestApplication): Promise<void> {
  const registry = app.get(RoutinesRegistry);
  await registry.trigger('report');
  app.get(Jobs).failWith = 'the ledger is locked';
  await registry.trigger('report');
}

describe.each(adapters)('the dashboard history routes on %s', (adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("reads the engine's history, every replica's runs tagged, newest first, without stacks", async () => {
    app = await boot(adapter, {
      coordinator: new InMemoryCoordinator(),
      history: { engine: true },
    });
    await runTwice(app);
    const { body } = await request(app.getHttpServer())
      .get('/ops/api/routines/report/runs')
      .expect(200);
    expect(body.source).toBe('engine');
    expect(body.runs.map((run: { status: string }) => run.status)).toEqual(['failed', 'succeeded']);
    const [failed] = body.runs;
    expect(failed.error).toEqual({ name: 'Error', message: 'the ledger is locked' });
    expect(typeof failed.replica).toBe('string');
    const replicas = await request(app.getHttpServer()).get('/ops/api/replicas').expect(200);
    expect(failed.replica).toBe(replicas.body.replicas[0].id);
  });

  it('shows stacks with exposeStacks, and filters by replica and limit', async () => {
    app = await boot(
      adapter,
      { coordinator: new InMemoryCoordinator(), history: { engine: true } },
      { path: 'ops', exposeStacks: true },
    );
    await runTwice(app);
    const server = app.getHttpServer();
    const all = await request(server).get('/ops/api/routines/report/runs?limit=1').expect(200);
    expect(all.body.runs).toHaveLength(1);
    expect(all.body.runs[0].error.stack).toContain('the ledger is locked');
    const mine = await request(server)
      .get(`/ops/api/routines/report/runs?replica=${encodeURIComponent(all.body.runs[0].replica)}`)
      .expect(200);
    expect(mine.body.runs).toHaveLength(2);
    const other = await request(server).get('/ops/api/routines/report/runs?replica=elsewhere:1:x');
    expect(other.body.runs).toEqual([]);
  });

  it("reads this replica's ring without an engine history, and counts its runs by hour", async () => {
    app = await boot(adapter, {});
    await runTwice(app);
    const server = app.getHttpServer();
    const runs = await request(server)
      .get(`/ops/api/routines/report/runs?from=${Date.now() - 60_000}`)
      .expect(200);
    expect(runs.body.source).toBe('this replica');
    expect(runs.body.runs).toHaveLength(2);
    const stats = await request(server).get('/ops/api/routines/report/stats?by=hour').expect(200);
    expect(stats.body.by).toBe('hour');
    const runsCounted = stats.body.buckets.reduce(
      (sum: number, b: { runs: number }) => sum + b.runs,
      0,
    );
    expect(runsCounted).toBe(2);
    const [bucket] = stats.body.buckets;
    expect(Object.keys(bucket.durationMs).sort()).toEqual(['avg', 'max', 'min']);
    expect(bucket.start % 3_600_000).toBe(0);
  });

  it('answers 404 for an unknown routine and 400 for bad query values, saying which', async () => {
    app = await boot(adapter, {
      coordinator: new InMemoryCoordinator(),
      history: { engine: true },
    });
    const server = app.getHttpServer();
    const unknown = await request(server).get('/ops/api/routines/nope/runs').expect(404);
    expect(unknown.body.message).toContain("'nope'");
    await request(server).get('/ops/api/routines/nope/stats?by=hour').expect(404);
    for (const [query, word] of [
      ['runs?limit=0', 'limit'],
      ['runs?limit=1001', 'limit'],
      ['runs?from=yesterday', 'from'],
      ['runs?to=', 'to'],
      ['stats', 'by'],
      ['stats?by=week', 'by'],
      ['stats?by=day&from=soon', 'from'],
    ]) {
      const { body } = await request(server).get(`/ops/api/routines/report/${query}`).expect(400);
      expect(body.message).toContain(word);
    }
  });
});

describe('registry.history and registry.runStats', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('keeps the sync form for { limit }, and returns a Promise with a range or a replica', async () => {
    app = await boot('express', {
      coordinator: new InMemoryCoordinator(),
      history: { engine: true },
    });
    await runTwice(app);
    const registry = app.get(RoutinesRegistry);
    const ring = registry.history('report', { limit: 5 });
    expect(Array.isArray(ring)).toBe(true);
    expect(ring.map((run) => run.status)).toEqual(['failed', 'succeeded']);
    expect(ring[0].replica).toBeUndefined();
    const pending = registry.history('report', { from: new Date(Date.now() - 60_000) });
    expect(pending).toBeInstanceOf(Promise);
    const engine = await pending;
    expect(engine.map((run) => run.status)).toEqual(['failed', 'succeeded']);
    expect(engine[0].error?.stack).toContain('the ledger is locked');
    const replica = engine[0].replica!;
    expect(await registry.history('report', { replica, limit: 1 })).toHaveLength(1);
    expect(await registry.history('report', { to: Date.now() - 3_600_000 })).toEqual([]);
    const [hour] = await registry.runStats('report', { by: 'hour' });
    expect(hour).toMatchObject({ runs: 2, succeeded: 1, failed: 1, cancelled: 0, skipped: 0 });
    const [day] = await registry.runStats('report', { by: 'day' });
    expect(day.runs).toBe(2);
  });

  it('sends the runs not yet sent when the app closes', async () => {
    // A clock that does not move: the flush period never ends before the close.
    const clock = new ManualClock(Date.now());
    const coordinator = new InMemoryCoordinator(clock);
    app = await boot('express', { coordinator, clock, history: { engine: true } });
    await runTwice(app);
    expect(await coordinator.history.read('report', { limit: 10 })).toEqual([]);
    await app.close();
    app = undefined;
    const sent = await coordinator.history.read('report', { limit: 10 });
    expect(sent.map((run) => run.status).sort()).toEqual(['failed', 'succeeded']);
  });

  it('rejects an unknown routine and bad options, naming them', async () => {
    app = await boot('express', {});
    const registry = app.get(RoutinesRegistry);
    await expect(registry.history('nope', { from: 0 })).rejects.toThrow("'nope'");
    await expect(registry.history('report', { from: 0, limit: 5_000 })).rejects.toThrow(
      'limit must be a whole number from 0 to 1000',
    );
    await expect(registry.history('report', { from: new Date('soon') })).rejects.toThrow('from');
    await expect(registry.runStats('report', { by: 'week' as never })).rejects.toThrow(
      "by must be 'hour' or 'day'",
    );
  });
});
