import 'reflect-metadata';
import {
  Injectable,
  Module,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import {
  BackgroundRoutine,
  InMemoryCoordinator,
  OutOfBandMigration,
  Periodic,
  RoutinesModule,
  RoutinesRegistry,
  type Coordinator,
  type Migrator,
} from 'nestjs-routines';
import {
  DashboardAudit,
  RoutinesDashboardModule,
  type AuditEntry,
  type RoutinesDashboardOptions,
} from 'nestjs-routines/dashboard';
import { CapturingLogger, deferred, waitFor, type Deferred } from './support/e2e';

/** Routines an operator acts on: `slow` runs until the test lets it go, or its signal aborts. */
@Injectable()
class Jobs {
  gate: Deferred = deferred();
  @Periodic('1h', { name: 'slow', runOnStart: false })
  async slow(signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      void this.gate.promise.then(resolve);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
  @Periodic('1h', { name: 'quick', runOnStart: false })
  quick(): void {}
  @Periodic({ cron: '0 3 * * *' }, { name: 'nightly', runOnStart: false })
  nightly(): void {}
  @BackgroundRoutine({ name: 'consumer' })
  async consume(signal: AbortSignal): Promise<void> {
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
  }
}

@OutOfBandMigration({ id: 'fill', description: 'fills rows', interval: '1h' })
@Injectable()
class FillRows implements Migrator {
  progress(): number {
    return 0;
  }
  up(): void {}
  down(): void {}
}

@OutOfBandMigration({
  id: 'one-way',
  description: 'cannot go back',
  interval: '1h',
  nonDestructive: true,
})
@Injectable()
class OneWay implements Migrator {
  progress(): number {
    return 0;
  }
  up(): void {}
}

/** Lets `x-token: secret` through and sets `request.user` from `x-user`, as an auth guard does. */
@Injectable()
class UserGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string>; user?: unknown }>();
    const user = request.headers['x-user'];
    if (user) request.user = { username: user, roles: ['ops'] };
    return request.headers['x-token'] === 'secret';
  }
}

const adapters = ['express', 'fastify'] as const;

async function boot(
  adapter: (typeof adapters)[number],
  dashboard: RoutinesDashboardOptions,
  coordinator: Coordinator = new InMemoryCoordinator(),
  logger = new CapturingLogger(),
): Promise<INestApplication> {
  @Module({
    imports: [RoutinesModule.forRoot({ coordinator }), RoutinesDashboardModule.forRoot(dashboard)],
    providers: [Jobs, FillRows, OneWay],
  })
  class AppModule {}
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger, abortOnError: false })
      : await NestFactory.create(AppModule, { logger, abortOnError: false });
  await app.init();
  if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app;
}

const ROUTES = [
  'api/routines/slow/trigger',
  'api/routines/slow/cancel',
  'api/routines/slow/backfill',
  'api/routines/slow/start',
  'api/routines/slow/stop',
  'api/routines/slow/restart',
  'api/migrations/fill/reverse',
  'api/migrations/fill/forward',
];

describe.each(adapters)("the operators' console on %s", (adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    app?.get(Jobs).gate.resolve();
    await app?.close();
    app = undefined;
  });
  const http = () => request(app!.getHttpServer());
  const post = (path: string, user = 'alice') =>
    http().post(`/routines/${path}`).set('x-token', 'secret').set('x-user', user);
  const audit = async (query = ''): Promise<AuditEntry[]> =>
    (await http().get(`/routines/api/audit${query}`).set('x-token', 'secret').expect(200)).body
      .entries;

  describe('with control off', () => {
    beforeEach(async () => {
      app = await boot(adapter, { guards: [UserGuard] });
    });

    it('answers 404 on every action route, and does nothing', async () => {
      for (const route of ROUTES) await post(route).expect(404);
      const registry = app!.get(RoutinesRegistry);
      expect(registry.get('slow')).toMatchObject({ state: 'running', counters: { runs: 0 } });
      expect(await audit()).toEqual([]);
    });
  });

  describe('with control behind a guard', () => {
    let logger: CapturingLogger;
    beforeEach(async () => {
      logger = new CapturingLogger();
      app = await boot(
        adapter,
        { control: true, guards: [UserGuard] },
        new InMemoryCoordinator(),
        logger,
      );
    });

    it('refuses a cross-site request on every action route (403)', async () => {
      for (const route of ROUTES) {
        await post(route).set('origin', 'https://evil.example').expect(403);
      }
      expect(app!.get(RoutinesRegistry).get('slow').counters.runs).toBe(0);
    });

    it('trigger answers 202 with the run id at once; the run is read by id, running then ended', async () => {
      const triggered = await post('api/routines/slow/trigger').expect(202);
      expect(triggered.body).toMatchObject({
        runId: expect.any(Number),
        routine: 'slow',
        where: 'replica',
        action: 'trigger',
      });
      const runId = triggered.body.runId as number;
      const running = await http()
        .get(`/routines/api/routines/slow/runs/${runId}`)
        .set('x-token', 'secret')
        .expect(200);
      expect(running.body).toEqual({ status: 'running' });
      app!.get(Jobs).gate.resolve();
      const registry = app!.get(RoutinesRegistry);
      await waitFor(() => registry.get('slow').inFlight === 0, 'the run to end');
      const ended = await http()
        .get(`/routines/api/routines/slow/runs/${runId}`)
        .set('x-token', 'secret')
        .expect(200);
      expect(ended.body).toMatchObject({ id: runId, status: 'succeeded' });
      expect(registry.history('slow')[0].id).toBe(runId);
      await http().get('/routines/api/routines/slow/runs/999').set('x-token', 'secret').expect(404);
      await http().get('/routines/api/routines/slow/runs/x').set('x-token', 'secret').expect(400);
      await http().get('/routines/api/routines/nope/runs/1').set('x-token', 'secret').expect(404);
    });

    it('trigger says skipped: busy at once, buffers with an overlap body, and waits with ?wait=1', async () => {
      await post('api/routines/slow/trigger').expect(202);
      const busy = await post('api/routines/slow/trigger').expect(200);
      expect(busy.body.outcome).toMatchObject({ status: 'skipped', reason: 'busy' });
      const queued = await post('api/routines/slow/trigger')
        .send({ overlap: 'buffer-one' })
        .expect(202);
      expect(queued.body).toMatchObject({ queued: true, routine: 'slow' });
      const bad = await post('api/routines/slow/trigger').send({ overlap: 'later' }).expect(400);
      expect(bad.body.message).toBe(
        `overlap must be 'skip', 'buffer-one', 'buffer-all', 'cancel-other' or 'allow', not "later"`,
      );
      app!.get(Jobs).gate.resolve();
      const waited = await post('api/routines/quick/trigger?wait=1').expect(200);
      expect(waited.body.outcome).toMatchObject({ status: 'succeeded', runId: expect.any(Number) });
      await post('api/routines/consumer/trigger').expect(409);
      await post('api/routines/nope/trigger').expect(404);
      const entries = await audit('?routine=slow');
      expect(entries.map((entry) => entry.outcome)).toEqual([
        `overlap must be 'skip', 'buffer-one', 'buffer-all', 'cancel-other' or 'allow', not "later"`,
        'ok',
        'skipped: busy',
        'ok',
      ]);
    });

    it('cancels the run in flight: it ends cancelled, and the routine goes on', async () => {
      const { body } = await post('api/routines/slow/trigger').expect(202);
      const cancelled = await post('api/routines/slow/cancel').expect(200);
      expect(cancelled.body).toMatchObject({ routine: 'slow', action: 'cancel', cancelled: 1 });
      const registry = app!.get(RoutinesRegistry);
      await waitFor(() => registry.get('slow').inFlight === 0, 'the run to end');
      expect(registry.history('slow')[0]).toMatchObject({ id: body.runId, status: 'cancelled' });
      expect(registry.get('slow').state).toBe('running');
      expect((await post('api/routines/slow/cancel').expect(200)).body.cancelled).toBe(0);
      expect((await post('api/routines/consumer/cancel').expect(409)).body.message).toContain(
        'background',
      );
      await post('api/routines/nope/cancel').expect(404);
    });

    it('backfills a range: 202 with the due times at once, the report with ?wait=1', async () => {
      const hour = 3600_000;
      const to = Math.floor(Date.now() / hour) * hour - hour;
      const started = await post('api/routines/quick/backfill')
        .send({ from: new Date(to - 2 * hour).toISOString(), to })
        .expect(202);
      expect(started.body).toMatchObject({ routine: 'quick', where: 'replica', dueTimes: 3 });
      const waited = await post('api/routines/quick/backfill?wait=1')
        .send({ from: to - hour, to })
        .expect(200);
      expect(waited.body.report).toMatchObject({ dueTimes: 2, succeeded: 2 });
      const badTime = await post('api/routines/quick/backfill').send({ from: 'yesterday', to });
      expect(badTime.status).toBe(400);
      expect(badTime.body.message).toContain(
        "from must be an ISO time such as '2026-12-01T00:00:00Z'",
      );
      await post('api/routines/quick/backfill')
        .send({ from: to, to: to - hour })
        .expect(400);
      await post('api/routines/consumer/backfill')
        .send({ from: to - hour, to })
        .expect(409);
      await post('api/routines/nope/backfill')
        .send({ from: to - hour, to })
        .expect(404);
    });

    it('cancel also stops a backfill started from the page: its other due times do not run', async () => {
      const hour = 3600_000;
      const to = Math.floor(Date.now() / hour) * hour - hour;
      await post('api/routines/slow/backfill')
        .send({ from: to - 2 * hour, to })
        .expect(202);
      const registry = app!.get(RoutinesRegistry);
      await waitFor(() => registry.get('slow').inFlight === 1, 'the first backfill run');
      expect((await post('api/routines/slow/cancel').expect(200)).body.cancelled).toBe(1);
      const ended = () =>
        logger.entries.find((entry) => entry.message.startsWith("backfill of 'slow' ended"));
      await waitFor(() => ended() !== undefined, 'the backfill to end');
      expect(ended()!.message).toBe(
        "backfill of 'slow' ended: 3 due times, 0 succeeded, 0 failed, 3 cancelled, 0 skipped",
      );
      expect(registry.get('slow').counters.runs).toBe(1);
    });

    it('stops, starts and restarts a routine here', async () => {
      const registry = app!.get(RoutinesRegistry);
      expect((await post('api/routines/quick/stop').expect(200)).body.state).toBe('stopped');
      expect((await post('api/routines/quick/start').expect(200)).body.state).toBe('running');
      await post('api/routines/consumer/restart').expect(200);
      expect(registry.get('consumer').state).toBe('running');
      await post('api/routines/nope/start').expect(404);
      const entries = await audit('?routine=quick');
      expect(entries.map((entry) => [entry.action, entry.to])).toEqual([
        ['start', 'running'],
        ['stop', 'stopped'],
      ]);
    });

    it('reverses and forwards a migration on every replica; 404 unknown, 409 without down', async () => {
      const reversed = await post('api/migrations/fill/reverse').expect(200);
      expect(reversed.body).toMatchObject({
        migration: 'fill',
        action: 'reverse',
        // The in-memory coordinator keeps the direction in this process: one replica.
        where: 'replica',
        state: expect.objectContaining({ id: 'fill', direction: 'reverse' }),
      });
      const forward = await post('api/migrations/fill/forward').expect(200);
      expect(forward.body.state.direction).toBe('forward');
      await post('api/migrations/nope/reverse').expect(404);
      const refused = await post('api/migrations/one-way/reverse').expect(409);
      expect(refused.body.message).toContain('one-way');
      const [latest] = await audit('?routine=fill');
      expect(latest).toMatchObject({ action: 'forward', scope: 'this replica', outcome: 'ok' });
    });

    it("refuses an interval or a cron under minInterval ('1s' by default)", async () => {
      const registry = app!.get(RoutinesRegistry);
      const tooShort = await post('api/routines/quick/interval').send({ interval: '1ms' });
      expect(tooShort.status).toBe(400);
      expect(tooShort.body.message).toBe(
        "interval '1ms' is under the dashboard's minInterval '1s'; give a longer one, or lower minInterval in RoutinesDashboardModule.forRoot",
      );
      const cron = await post('api/routines/nightly/interval').send({ cron: '* * * * * *' });
      expect(cron.status).toBe(200); // every second: at the minimum, not under it
      const everyHalf = await post('api/routines/quick/interval').send({ interval: 500 });
      expect(everyHalf.status).toBe(400);
      expect(registry.get('quick').schedule).toBe('every 1h');
      await post('api/routines/quick/interval').send({ interval: '5m' }).expect(200);
      const [entry] = await audit('?routine=quick');
      expect(entry).toMatchObject({ action: 'interval', from: 3600_000, to: '5m', outcome: 'ok' });
    });

    it("records the operator from the guard's request.user, and makes it the pause's by", async () => {
      const registry = app!.get(RoutinesRegistry);
      await post('api/routines/quick/pause')
        .send({ note: 'billing API down', by: 'mallory' })
        .expect(200);
      expect(registry.get('quick').paused).toMatchObject({ note: 'billing API down', by: 'alice' });
      await post('api/routines/quick/resume', 'bob').expect(200);
      const entries = await audit();
      expect(entries).toEqual([
        expect.objectContaining({
          action: 'resume',
          target: 'quick',
          operator: 'bob',
          outcome: 'ok',
        }),
        {
          at: expect.any(Number),
          action: 'pause',
          target: 'quick',
          operator: 'alice',
          scope: 'this replica',
          replica: expect.stringContaining(`:${process.pid}:`),
          to: 'paused',
          note: 'billing API down',
          outcome: 'ok',
        },
      ]);
      const logged = logger.entries.map((entry) => entry.message).join('\n');
      expect(logged).toContain("pause 'quick' (this replica) by alice: ok");
    });

    it('reads the audit trail newest first, by routine, a page at a time; a bad query is a 400', async () => {
      for (const name of ['quick', 'slow', 'quick']) await post(`api/routines/${name}/pause`);
      const all = await audit('?limit=2');
      expect(all.map((entry) => entry.target)).toEqual(['quick', 'slow']);
      expect((await audit('?routine=quick')).length).toBe(2);
      const older = await audit(`?before=${all[1].at + 1}&routine=quick`);
      expect(older.every((entry) => entry.at <= all[1].at)).toBe(true);
      await http().get('/routines/api/audit?limit=0').set('x-token', 'secret').expect(400);
      await http().get('/routines/api/audit?limit=501').set('x-token', 'secret').expect(400);
      await http().get('/routines/api/audit').expect(403);
    });
  });

  it('takes minInterval and operator from the options', async () => {
    app = await boot(adapter, {
      control: true,
      guards: [UserGuard],
      minInterval: false,
      operator: (request) => (request as { headers: Record<string, string> }).headers['x-operator'],
    });
    await post('api/routines/quick/interval').send({ interval: '100ms' }).expect(200);
    await post('api/routines/quick/pause').set('x-operator', 'carol').expect(200);
    expect(app.get(RoutinesRegistry).get('quick').paused?.by).toBe('carol');
    const [entry] = await audit();
    expect(entry.operator).toBe('carol');
  });

  it('does the action when the engine cannot keep its audit entry, and says so once', async () => {
    const coordinator = new InMemoryCoordinator();
    const failing = Object.assign(Object.create(coordinator) as Coordinator, {
      kind: 'memory',
      audit: {
        append: () => Promise.reject(new Error('engine down')),
        list: () => Promise.resolve([]),
      },
    });
    const logger = new CapturingLogger();
    app = await boot(adapter, { control: true, guards: [UserGuard] }, failing, logger);
    await post('api/routines/quick/pause').expect(200);
    await post('api/routines/quick/resume').expect(200);
    await app.get(DashboardAudit).list({ limit: 1 });
    expect(app.get(RoutinesRegistry).get('quick').state).toBe('running');
    const warnings = logger.at('warn').filter((entry) => entry.message.includes('engine down'));
    expect(warnings).toHaveLength(1);
  });
});
