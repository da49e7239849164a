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
  Periodic,
  RoutinesConfigurationError,
  RoutinesModule,
  RoutinesRegistry,
} from 'nestjs-routines';
import {
  RoutinesCluster,
  RoutinesDashboardModule,
  type RoutinesDashboardOptions,
} from 'nestjs-routines/dashboard';
import { CapturingLogger, WAIT_MS } from './support/e2e';

const HOSTILE = `<script>alert(1)</script> "><img src=x onerror=alert(2)>`;

@Injectable()
class Jobs {
  failWith: string | undefined;
  @Periodic('1h', {
    name: 'hard-deleter',
    runOnStart: false,
    description: 'hard-deletes <b>soft-deleted</b> rows',
  })
  sweep(): void {
    if (this.failWith) throw new Error(this.failWith);
  }
  @Periodic({ cron: '0 3 * * *' }, { name: 'nightly-report', runOnStart: false })
  report(): void {}
  @BackgroundRoutine({ name: 'consumer' })
  async consume(signal: AbortSignal): Promise<void> {
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
  }
}

/** Lets a request through with `x-token: secret`. */
@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const headers = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string> }>().headers;
    return headers['x-token'] === 'secret';
  }
}

const adapters = ['express', 'fastify'] as const;

async function boot(
  adapter: (typeof adapters)[number],
  dashboard: RoutinesDashboardOptions,
  logger = new CapturingLogger(),
): Promise<INestApplication> {
  @Module({
    imports: [RoutinesModule.forRoot(), RoutinesDashboardModule.forRoot(dashboard)],
    providers: [Jobs],
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

describe.each(adapters)('RoutinesDashboardModule on %s', (adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  const http = () => request(app!.getHttpServer());

  describe('read-only (the default)', () => {
    beforeEach(async () => {
      app = await boot(adapter, { path: '/ops/routines' });
    });

    it('lists every routine with stats, health, problems and this replica', async () => {
      app!.get(Jobs).failWith = 'db down';
      await app!.get(RoutinesRegistry).trigger('hard-deleter');
      const { status, body } = await http().get('/ops/routines/api/routines');
      expect(status).toBe(200);
      expect(body).toEqual({
        generatedAt: expect.any(Number),
        replica: expect.objectContaining({
          id: expect.any(String),
          host: expect.any(String),
          pid: process.pid,
        }),
        replicas: [expect.objectContaining({ pid: process.pid, routines: 3 })],
        shared: false,
        summary: { routines: 3, lost: 0, failing: 1, late: 0, paused: 0, problems: 1 },
        routines: [
          expect.objectContaining({
            name: 'hard-deleter',
            kind: 'periodic',
            scope: 'instance',
            state: 'running',
            schedule: 'every 1h',
            counters: expect.objectContaining({ runs: 1, failures: 1 }),
            lastRun: expect.objectContaining({
              status: 'failed',
              error: { name: 'Error', message: 'db down' },
            }),
            stats: expect.objectContaining({ runs: 1, failures: 1 }),
            health: { late: false, slow: false, consecutiveFailures: 1 },
            problems: ['failing'],
            here: true,
            replicas: [expect.objectContaining({ pid: process.pid, state: 'running' })],
          }),
          expect.objectContaining({ name: 'nightly-report', problems: [] }),
          expect.objectContaining({ name: 'consumer', kind: 'background', state: 'running' }),
        ],
      });
      expect(JSON.stringify(body)).not.toContain('at '); // no stack anywhere
    });

    it('shows one routine with its history, and 404 for a name it does not know', async () => {
      await app!.get(RoutinesRegistry).trigger('hard-deleter');
      const { body } = await http()
        .get('/ops/routines/api/routines/hard-deleter?limit=5')
        .expect(200);
      expect(body.history).toEqual([
        expect.objectContaining({ status: 'succeeded', durationMs: expect.any(Number) }),
      ]);
      const missing = await http().get('/ops/routines/api/routines/nope').expect(404);
      expect(missing.body.message).toContain("'nope'");
      await http().get('/ops/routines/api/routines/hard-deleter?limit=x').expect(400);
    });

    it('serves the page under a strict CSP, with every value from a routine escaped', async () => {
      app!.get(Jobs).failWith = HOSTILE;
      await app!.get(RoutinesRegistry).trigger('hard-deleter');
      const page = await http().get('/ops/routines').expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      expect(page.headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(page.text).not.toContain('<script>alert');
      expect(page.text).not.toContain('<img src=x');
      expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page.text).toContain('hard-deletes &lt;b&gt;soft-deleted&lt;/b&gt; rows');
      expect(page.text.match(/<script/g)).toHaveLength(1); // the module's own file only
      expect(page.text).not.toMatch(/<[^>]+\s(style|on[a-z]+)=/); // no inline style or handler
      await http()
        .get('/ops/routines/assets/dashboard.css')
        .expect('content-type', /text\/css/);
      await http()
        .get('/ops/routines/assets/dashboard.js')
        .expect('content-type', /javascript/);
    });

    it('filters on the server too (no script): problems only, and text', async () => {
      app!.get(Jobs).failWith = 'db down';
      await app!.get(RoutinesRegistry).trigger('hard-deleter');
      const problems = await http().get('/ops/routines?problems=1&fragment=1').expect(200);
      expect(problems.text).toContain('data-name="hard-deleter"');
      expect(problems.text).not.toContain('data-name="nightly-report"');
      expect(problems.text).not.toContain('<html');
      const text = await http().get('/ops/routines?q=NIGHTLY').expect(200);
      expect(text.text).toContain('data-name="nightly-report"');
      expect(text.text).not.toContain('data-name="hard-deleter"');
    });

    it('has no control endpoints, and no buttons', async () => {
      await http().post('/ops/routines/api/routines/hard-deleter/trigger').expect(404);
      expect((await http().get('/ops/routines').expect(200)).text).not.toContain('Run now');
      expect(app!.get(RoutinesRegistry).get('hard-deleter').counters.runs).toBe(0);
    });
  });

  describe('with control behind a guard', () => {
    let logger: CapturingLogger;
    beforeEach(async () => {
      logger = new CapturingLogger();
      app = await boot(
        adapter,
        { control: true, guards: [TokenGuard], exposeStacks: true },
        logger,
      );
    });
    const post = (path: string) =>
      http().post(`/routines/api/routines/${path}`).set('x-token', 'secret');

    it('refuses every route without the guard (403)', async () => {
      await http().get('/routines').expect(403);
      await http().get('/routines/api/routines').expect(403);
      await http().post('/routines/api/routines/hard-deleter/trigger').expect(403);
      expect(app!.get(RoutinesRegistry).get('hard-deleter').counters.runs).toBe(0);
    });

    it('triggers, pauses, resumes and re-times a routine, and logs each action', async () => {
      const registry = app!.get(RoutinesRegistry);
      const triggered = await post('hard-deleter/trigger?wait=1').expect(200);
      expect(triggered.body).toEqual(
        expect.objectContaining({
          routine: 'hard-deleter',
          action: 'trigger',
          appliesTo: 'replica',
          outcome: expect.objectContaining({ status: 'succeeded' }),
        }),
      );
      expect(registry.get('hard-deleter').counters.runs).toBe(1);
      const paused = await post('hard-deleter/pause').expect(200);
      expect(paused.body).toEqual(
        expect.objectContaining({
          state: 'paused',
          appliesTo: 'replica',
          replica: expect.objectContaining({ pid: process.pid }),
        }),
      );
      await post('hard-deleter/resume').expect(200);
      expect(registry.get('hard-deleter').state).toBe('running');
      await post('hard-deleter/interval').send({ interval: '5m' }).expect(200);
      expect(registry.get('hard-deleter').schedule).toBe('every 5m');
      await post('nightly-report/interval').send({ cron: '0 4 * * *' }).expect(200);
      expect(registry.get('nightly-report').schedule).toContain('0 4 * * *');
      const logged = logger.entries.map((entry) => entry.message).join('\n');
      expect(logged).toMatch(/trigger 'hard-deleter' on .* only/);
      expect(logged).toMatch(/pause 'hard-deleter' on .* only/);
      expect(logged).toMatch(/interval 'hard-deleter'/);
    });

    it('answers 404, 409 and 400 for an unknown routine, a wrong kind and a bad interval', async () => {
      await post('nope/pause').expect(404);
      expect((await post('consumer/pause').expect(409)).body.message).toContain('background');
      expect(
        (await post('hard-deleter/interval').send({ interval: 'soon' }).expect(400)).body.message,
      ).toContain('soon');
      await post('hard-deleter/interval').send({}).expect(400);
      await post('hard-deleter/interval').send({ cron: '0 3 * * *' }).expect(409);
    });

    it('refuses a cross-site request, and accepts a same-origin one', async () => {
      await post('hard-deleter/trigger').set('origin', 'https://evil.example').expect(403);
      await post('hard-deleter/trigger').set('sec-fetch-site', 'cross-site').expect(403);
      await post('hard-deleter/trigger').set('origin', 'null').expect(403);
      expect(app!.get(RoutinesRegistry).get('hard-deleter').counters.runs).toBe(0);
      expect(logger.entries.map((entry) => entry.message).join('\n')).toContain(
        'https://evil.example',
      );
      await post('hard-deleter/trigger')
        .set('host', 'ops.local:8080')
        .set('origin', 'http://ops.local:8080')
        .expect(202);
      await post('hard-deleter/trigger')
        .set('host', 'ops.local')
        .set('origin', 'http://elsewhere.local')
        .expect(403);
      await post('hard-deleter/trigger').set('sec-fetch-site', 'same-origin').expect(202);
      expect(app!.get(RoutinesRegistry).get('hard-deleter').counters.runs).toBe(2);
    });

    it('redirects a form posted without script back to the page', async () => {
      const response = await post('hard-deleter/pause').set('accept', 'text/html').expect(303);
      expect(response.headers.location).toBe('/routines');
      expect(app!.get(RoutinesRegistry).get('hard-deleter').state).toBe('paused');
    });

    it("keeps a cron routine's time zone in its form", async () => {
      await app!
        .get(RoutinesRegistry)
        .setInterval('nightly-report', { cron: '0 5 * * *', timeZone: 'Europe/Berlin' });
      const page = await http().get('/routines').set('x-token', 'secret').expect(200);
      expect(page.text).toContain('name="cron" value="0 5 * * *"');
      expect(page.text).toContain('name="timeZone" value="Europe/Berlin"');
      await post('nightly-report/interval')
        .send({ cron: '0 6 * * *', timeZone: 'Europe/Berlin' })
        .expect(200);
      expect(app!.get(RoutinesRegistry).get('nightly-report').schedule).toBe(
        'cron 0 6 * * * (Europe/Berlin)',
      );
    });

    it('shows buttons, and the last error stack with exposeStacks', async () => {
      app!.get(Jobs).failWith = 'boom';
      await post('hard-deleter/trigger?wait=1').expect(200);
      const list = await http().get('/routines/api/routines').set('x-token', 'secret').expect(200);
      expect(list.body.routines[0].lastRun.error.stack).toContain('boom');
      const page = await http().get('/routines').set('x-token', 'secret').expect(200);
      expect(page.text).toContain('Run now');
      expect(page.text).toContain('<summary>Stack</summary>');
    });
  });

  it('refuses control without a guard at bootstrap, naming the option', async () => {
    const failure = await boot(adapter, { control: true }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RoutinesConfigurationError);
    expect(String((failure as Error).message)).toMatch(/RoutinesDashboardModule.*control/);
    app = await boot(adapter, { control: true, allowUnguardedControl: true });
    await http().post('/routines/api/routines/hard-deleter/trigger').expect(202);
  });

  describe('the Host and forwarded headers', () => {
    const trigger = () => http().post('/routines/api/routines/hard-deleter/trigger?wait=1');
    const runs = () => app!.get(RoutinesRegistry).get('hard-deleter').counters.runs;

    it('answers unguarded control for a loopback name only (DNS rebinding), and for allowedHosts', async () => {
      app = await boot(adapter, { control: true, allowUnguardedControl: true });
      for (const host of [
        'localhost',
        'localhost:3000',
        '127.0.0.1:8080',
        '[::1]:3000',
        'LOCALHOST',
      ])
        await trigger().set('host', host).expect(200);
      const refused = await trigger().set('host', 'rebind.evil.example:3000').expect(421);
      expect(refused.body.message).toContain("host 'rebind.evil.example:3000'");
      expect(refused.body.message).toContain('allowedHosts');
      // Same-origin as far as the browser knows: the page and its request share the rebound name.
      await trigger()
        .set('host', 'rebind.evil.example')
        .set('origin', 'http://rebind.evil.example')
        .set('sec-fetch-site', 'same-origin')
        .expect(421);
      // Without trustProxy a forwarded loopback name does not stand in for the Host.
      await trigger()
        .set('host', 'rebind.evil.example')
        .set('x-forwarded-host', 'localhost')
        .expect(421);
      expect(runs()).toBe(5);
      await app.close();

      app = await boot(adapter, {
        control: true,
        allowUnguardedControl: true,
        allowedHosts: [
          'ops.internal',
          'ops.example.com:8443',
          '.corp.example',
          '.lab.example:9000',
        ],
      });
      await trigger().set('host', 'ops.internal:3000').expect(200);
      await trigger().set('host', 'ops.example.com:8443').expect(200);
      await trigger().set('host', 'a.corp.example').expect(200);
      await trigger().set('host', 'corp.example').expect(200);
      await trigger().set('host', 'ops.example.com:9000').expect(421);
      await trigger().set('host', 'evilcorp.example').expect(421);
      await trigger().set('host', 'a.lab.example:9000').expect(200);
      await trigger().set('host', 'a.lab.example:9001').expect(421);
      await trigger().set('host', 'localhost:3000.evil.example').expect(421);
      expect(runs()).toBe(5);
    });

    it('does not check the Host of control behind a guard unless allowedHosts is given', async () => {
      app = await boot(adapter, { control: true, guards: [TokenGuard] });
      await trigger().set('x-token', 'secret').set('host', 'ops.example.com').expect(200);
      await app.close();
      app = await boot(adapter, {
        control: true,
        guards: [TokenGuard],
        allowedHosts: ['ops.internal'],
      });
      await trigger().set('x-token', 'secret').set('host', 'ops.example.com').expect(421);
      await trigger().set('x-token', 'secret').set('host', 'ops.internal').expect(200);
    });

    it('believes X-Forwarded-Host only with trustProxy', async () => {
      app = await boot(adapter, { control: true, guards: [TokenGuard] });
      // A client that sets X-Forwarded-Host to the attacker's origin is not believed.
      await trigger()
        .set('x-token', 'secret')
        .set('host', 'ops.internal')
        .set('x-forwarded-host', 'evil.example')
        .set('origin', 'https://evil.example')
        .expect(403);
      await app.close();

      app = await boot(adapter, { control: true, guards: [TokenGuard], trustProxy: true });
      await trigger()
        .set('x-token', 'secret')
        .set('host', 'app:3000')
        .set('x-forwarded-host', 'ops.example.com, proxy.internal')
        .set('origin', 'https://ops.example.com')
        .expect(200);
      await app.close();

      // Behind a trusted proxy the Host check reads the forwarded name too.
      app = await boot(adapter, {
        control: true,
        allowUnguardedControl: true,
        trustProxy: true,
        allowedHosts: ['ops.example.com'],
      });
      await trigger()
        .set('host', '127.0.0.1:3000')
        .set('x-forwarded-host', 'ops.example.com')
        .expect(200);
      await trigger()
        .set('host', '127.0.0.1:3000')
        .set('x-forwarded-host', 'evil.example')
        .expect(421);
    });

    it('refuses bad trustProxy and allowedHosts at bootstrap, naming them', async () => {
      const failure = (await boot(adapter, {
        trustProxy: 'yes' as unknown as boolean,
        allowedHosts: ['https://ops.example.com'],
      }).catch((error: unknown) => error)) as RoutinesConfigurationError;
      expect(failure).toBeInstanceOf(RoutinesConfigurationError);
      expect(failure.message).toContain("option 'trustProxy' = 'yes' must be true or false");
      expect(failure.message).toContain("option 'allowedHosts'");
      expect(failure.message).toContain('no scheme, no path');
    });
  });

  it('refuses an unknown option, with the likely one', async () => {
    const failure = await boot(adapter, { contol: true } as RoutinesDashboardOptions).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RoutinesConfigurationError);
    expect((failure as Error).message).toContain(
      "RoutinesDashboardModule: option 'contol' = true is not a dashboard option (did you mean 'control'?); the options are allowUnguardedControl, allowedHosts, control, exposeStacks, guards, minInterval, operator, path, refresh, replicas, title, trustProxy, trustedOrigins",
    );
  });

  it('names every bad option at once', async () => {
    const failure = (await boot(adapter, {
      path: 'a b',
      refresh: 'soon',
      guards: [{} as CanActivate],
      replicas: { publishEvery: '10s', expireAfter: '5s' },
    }).catch((error: unknown) => error)) as RoutinesConfigurationError;
    expect(failure).toBeInstanceOf(RoutinesConfigurationError);
    expect(failure.problems.map((problem) => problem.option)).toEqual([
      'path',
      'guards[0]',
      'replicas.expireAfter',
      'refresh',
    ]);
  });
});

describe('RoutinesDashboardModule with two apps on one shared coordinator', () => {
  /** The in-memory coordinator, under another kind: the dashboard treats it as a shared engine. */
  function sharedCoordinator(): InMemoryCoordinator {
    const coordinator = new InMemoryCoordinator();
    Object.defineProperty(coordinator, 'kind', { value: 'shared-for-test' });
    return coordinator;
  }

  @Injectable()
  class ClusterJobs {
    @Periodic('1h', { name: 'cluster-sweep', scope: 'cluster', runOnStart: false })
    sweep(): void {}
  }

  async function bootShared(
    coordinator: InMemoryCoordinator,
    control: boolean,
    logger = new CapturingLogger(),
  ): Promise<INestApplication> {
    @Module({
      imports: [
        RoutinesModule.forRoot({ coordinator }),
        RoutinesDashboardModule.forRootAsync({
          path: '/ops',
          guards: [TokenGuard],
          useFactory: async () => ({
            control,
            replicas: { publishEvery: '50ms', pollControls: '30ms' },
          }),
        }),
      ],
      providers: [ClusterJobs],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger, abortOnError: false });
    await app.init();
    return app;
  }

  let apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.map((app) => app.close()));
    apps = [];
  });

  it('pauses and re-times a cluster routine on both, keeps it through a restart, and lists both replicas', async () => {
    const coordinator = sharedCoordinator();
    apps = [await bootShared(coordinator, true), await bootShared(coordinator, false)];
    const [one, two] = apps.map((app) => app.get(RoutinesRegistry));
    const cluster = apps[0].get(RoutinesCluster);
    expect(cluster.shared).toBe(true);

    const paused = await request(apps[0].getHttpServer())
      .post('/ops/api/routines/cluster-sweep/pause')
      .set('x-token', 'secret')
      .send({ note: 'reindex <b>tonight</b>', by: 'alice' })
      .expect(200);
    expect(paused.body.appliesTo).toBe('cluster');
    await waitUntil(() => two.get('cluster-sweep').state === 'paused');
    // The note travels with the pause to the other replica, and shows, escaped, on its page.
    expect(two.get('cluster-sweep').paused).toMatchObject({
      note: 'reindex <b>tonight</b>',
      by: 'alice',
    });
    expect(one.get('cluster-sweep').paused).toMatchObject({ note: 'reindex <b>tonight</b>' });
    const page = await request(apps[1].getHttpServer()).get('/ops').set('x-token', 'secret');
    expect(page.text).toContain('by alice: reindex &lt;b&gt;tonight&lt;/b&gt;');
    // A new note on a paused routine reaches the other replica too.
    await cluster.pause('cluster-sweep', { note: 'until Monday', by: 'bob' });
    await waitUntil(() => two.get('cluster-sweep').paused?.note === 'until Monday');
    expect(two.get('cluster-sweep').paused?.by).toBe('bob');

    // A routine built again (restart) comes back paused, before any tick.
    await two.restart('cluster-sweep');
    expect(two.get('cluster-sweep').state).toBe('paused');

    await cluster.setInterval('cluster-sweep', '30m');
    await waitUntil(() => two.get('cluster-sweep').schedule === 'every 30m');
    await two.restart('cluster-sweep');
    await waitUntil(() => two.get('cluster-sweep').schedule === 'every 30m');

    await cluster.resume('cluster-sweep');
    await waitUntil(() => two.get('cluster-sweep').state === 'running');
    expect(one.get('cluster-sweep').state).toBe('running');
    expect(two.get('cluster-sweep').paused).toBeUndefined();

    // The second app answers 404 on control (control: false from its factory), and lists both.
    await request(apps[1].getHttpServer())
      .post('/ops/api/routines/cluster-sweep/pause')
      .set('x-token', 'secret')
      .expect(404);
    await waitUntil(
      async () => (await apps[1].get(RoutinesCluster).replicas()).replicas.length === 2,
    );
    const list = await request(apps[1].getHttpServer())
      .get('/ops/api/routines')
      .set('x-token', 'secret')
      .expect(200);
    expect(list.body.shared).toBe(true);
    expect(list.body.routines[0].replicas).toHaveLength(2);
    expect(list.body.routines[0].controls.interval.interval).toBe('30m');
  });

  it('leaves the interval as it was when the coordinator refuses to store it (503)', async () => {
    const coordinator = sharedCoordinator();
    apps = [await bootShared(coordinator, true)];
    const registry = apps[0].get(RoutinesRegistry);
    coordinator.controls.set = () => Promise.reject(new Error('engine down'));
    const refused = await request(apps[0].getHttpServer())
      .post('/ops/api/routines/cluster-sweep/interval')
      .set('x-token', 'secret')
      .send({ interval: '5m' })
      .expect(503);
    expect(refused.body.message).toContain('engine down');
    expect(registry.get('cluster-sweep').schedule).toBe('every 1h');
    await request(apps[0].getHttpServer())
      .post('/ops/api/routines/cluster-sweep/pause')
      .set('x-token', 'secret')
      .expect(503);
    expect(registry.get('cluster-sweep').state).toBe('running');
  });

  it("shows a hostile replica's snapshot with the expected values only, and warns once about it", async () => {
    const coordinator = sharedCoordinator();
    const logger = new CapturingLogger();
    apps = [await bootShared(coordinator, false, logger)];
    const hostile = {
      id: 'evil:1:1',
      host: 'evil',
      pid: '<img src=x onerror=alert(1)>',
      startedAt: Date.now(),
      publishedAt: Date.now(),
      publishEvery: 60_000,
      routines: [
        {
          name: 'planted',
          kind: 'periodic',
          scope: 'instance',
          state: 'running',
          counters: { runs: '5' },
          health: { consecutiveFailures: { $gt: 0 } },
        },
      ],
    };
    await coordinator.replicas.publish(hostile.id, JSON.stringify(hostile), 60_000);
    const get = () =>
      request(apps[0].getHttpServer())
        .get('/ops/api/routines')
        .set('x-token', 'secret')
        .expect(200);
    const { body } = await get();
    await get();
    expect(body.replicas.find((r: { id: string }) => r.id === hostile.id).pid).toBe(0);
    const planted = body.routines.find((r: { name: string }) => r.name === 'planted');
    expect(planted).toMatchObject({ here: false, health: { consecutiveFailures: 0 } });
    expect(planted.counters.runs).toBe(0);
    const warned = logger
      .at('warn')
      .map((entry) => entry.message)
      .filter((message) => message.includes('invalid entries'));
    expect(warned).toEqual([
      '3 invalid entries from replica evil:1:1 left out of the page (another version, or a corrupt snapshot)',
    ]);
    const page = await request(apps[0].getHttpServer()).get('/ops').set('x-token', 'secret');
    expect(page.text).not.toContain('<img src=x');
  });

  it('withdraws a replica on close: the other stops listing it at once', async () => {
    const coordinator = sharedCoordinator();
    apps = [await bootShared(coordinator, false), await bootShared(coordinator, false)];
    await waitUntil(
      async () => (await apps[0].get(RoutinesCluster).replicas()).replicas.length === 2,
    );
    await apps.pop()!.close();
    expect((await apps[0].get(RoutinesCluster).replicas()).replicas).toHaveLength(1);
  });
});

/** Polls `check`; `timeoutMs` only guards against a hang (3 s did not always do on a busy machine). */
async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms: ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('RoutinesDashboardModule when the coordinator is down at bootstrap', () => {
  it('boots anyway, warns, and shows this replica with the reason', async () => {
    const coordinator = new InMemoryCoordinator();
    Object.defineProperty(coordinator, 'kind', { value: 'shared-for-test' });
    const down = () => Promise.reject(new Error('connection refused'));
    Object.assign(coordinator.replicas, { list: down, listExpiring: down, publish: down });
    Object.assign(coordinator.controls, { all: down });
    const logger = new CapturingLogger();
    @Module({
      imports: [RoutinesModule.forRoot({ coordinator }), RoutinesDashboardModule.forRoot()],
      providers: [Jobs],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger, abortOnError: false });
    await app.init();
    try {
      const warnings = logger.at('warn').map((entry) => entry.message);
      expect(warnings.join('\n')).toContain('could not read the routine controls');
      const list = await request(app.getHttpServer()).get('/routines/api/routines').expect(200);
      expect(list.body.replicas).toHaveLength(1);
      expect(list.body.replicasProblem).toContain('connection refused');
      expect(app.get(RoutinesRegistry).get('hard-deleter').state).toBe('running');
    } finally {
      await app.close();
    }
  });
});
