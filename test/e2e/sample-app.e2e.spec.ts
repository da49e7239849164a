import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CapturingLogger, sleep } from './support/e2e';

// The sample app's HTTP surface over the registry, in process, on the in-memory coordinator.
describe('sample app: steering routines over HTTP', () => {
  let app: INestApplication;
  let url: string;
  const saved = {
    REDIS_URL: process.env.REDIS_URL,
    DATABASE_URL: process.env.DATABASE_URL,
    DASHBOARD_TOKEN: process.env.DASHBOARD_TOKEN,
    DEMO_UPLOADS: process.env.DEMO_UPLOADS,
    MIGRATION_INTERVAL: process.env.MIGRATION_INTERVAL,
  };

  beforeAll(async () => {
    delete process.env.REDIS_URL;
    delete process.env.DATABASE_URL;
    process.env.DASHBOARD_TOKEN = 'ops-token';
    process.env.DEMO_UPLOADS = '450';
    process.env.MIGRATION_INTERVAL = '5ms';
    const { AppModule } = await import('../../sample-app/app.module');
    app = await NestFactory.create(AppModule, { logger: new CapturingLogger() });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  it('serves the dashboard behind DASHBOARD_TOKEN, as Basic auth or a bearer token, with control on', async () => {
    const denied = await fetch(`${url}/dashboard`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toContain('Basic');
    const basic = `Basic ${Buffer.from('ops:ops-token').toString('base64')}`;
    const page = await fetch(`${url}/dashboard`, { headers: { authorization: basic } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-name="hard-deleter"');
    expect(html).toContain('Run now');
    const bearer = { authorization: 'Bearer ops-token' };
    const triggered = await fetch(`${url}/dashboard/api/routines/hard-deleter/trigger`, {
      method: 'POST',
      headers: bearer,
    });
    expect(triggered.status).toBe(202);
    const wrong = await fetch(`${url}/dashboard/api/routines`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
  });

  it("records the Basic user name as the operator of a page action, and refuses an interval under the page's 5 s", async () => {
    const alice = { authorization: `Basic ${Buffer.from('alice:ops-token').toString('base64')}` };
    const post = (action: string, body: object) =>
      fetch(`${url}/dashboard/api/routines/hard-deleter/${action}`, {
        method: 'POST',
        headers: { ...alice, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('pause', { note: 'INC-7' })).status).toBe(200);
    expect((await post('resume', {})).status).toBe(200);
    const tooShort = await post('interval', { interval: '5ms' });
    expect(tooShort.status).toBe(400);
    expect(((await tooShort.json()) as { message: string }).message).toContain('minInterval');
    const audit = await fetch(`${url}/dashboard/api/audit?routine=hard-deleter&limit=10`, {
      headers: alice,
    });
    const { entries } = (await audit.json()) as {
      entries: Array<{ action: string; operator?: string; note?: string; outcome: string }>;
    };
    expect(entries.slice(0, 3)).toEqual([
      expect.objectContaining({ action: 'interval', operator: 'alice' }),
      expect.objectContaining({ action: 'resume', operator: 'alice', outcome: 'ok' }),
      expect.objectContaining({ action: 'pause', operator: 'alice', note: 'INC-7', outcome: 'ok' }),
    ]);
  });

  it('backfills the demo uploads with its out-of-band migration, and runs it back and forth', async () => {
    const until = async (check: (m: { progress: number; complete: boolean }) => boolean) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { body } = await call('GET', '/migrations/backfill-upload-extension');
        if (check(body)) return body;
        if (Date.now() > deadline) throw new Error(JSON.stringify(body));
        await sleep(10);
      }
    };
    const done = await until((m) => m.complete);
    expect(done).toMatchObject({ progress: 1, direction: 'forward', declared: true });
    const { body: uploads } = await call('GET', '/uploads');
    const demo = (uploads as Array<{ name: string; extension?: string | null }>).filter((u) =>
      u.name.startsWith('demo-'),
    );
    expect(demo).toHaveLength(450);
    expect(demo.find((u) => u.name === 'demo-1.PNG')!.extension).toBe('png');
    expect(demo.find((u) => u.name === 'demo-3.tar.gz')!.extension).toBe('gz');
    expect(demo.find((u) => u.name === 'demo-4')!.extension).toBeNull();
    const { body: batches } = await call('GET', '/migrations/backfill-upload-extension/batches');
    expect(batches[0]).toMatchObject({ outcome: 'succeeded', direction: 'forward', progress: 1 });

    expect((await call('POST', '/migrations/backfill-upload-extension/reverse')).status).toBe(202);
    await until((m) => m.progress === 0);
    expect((await call('POST', '/migrations/backfill-upload-extension/forward')).status).toBe(202);
    await until((m) => m.progress === 1);
    expect((await call('GET', '/migrations/nope')).status).toBe(404);
  });

  it('pauses with a note, describes a buffer-one routine, triggers with an override, and backfills a past range', async () => {
    const paused = await call('POST', '/routines/uploads-report/pause', {
      note: 'reporting DB under maintenance',
      by: 'ops',
    });
    expect(paused.body.paused).toMatchObject({ note: 'reporting DB under maintenance', by: 'ops' });
    await call('POST', '/routines/uploads-report/resume');
    const described = await call('GET', '/routines/sitemap-builder/describe');
    expect(described.body).toMatchObject({ overlap: 'buffer-one', schedule: 'every 20s' });
    expect(described.body.nextDueAt).toHaveLength(10);
    const triggered = await call('POST', '/routines/sitemap-builder/trigger?overlap=buffer-one');
    expect(triggered.status).toBe(200);
    const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 1);
    const from = new Date(to.getTime() - 2 * 3_600_000 + 1);
    const backfilled = await call('POST', '/routines/uploads-report/backfill', {
      from: from.toISOString(),
      to: to.toISOString(),
    });
    expect(backfilled.body).toMatchObject({ dueTimes: 2, succeeded: 2 });
    expect(backfilled.body.outcomes.every((o: { backfill?: boolean }) => o.backfill)).toBe(true);
    expect(
      (await call('POST', '/routines/uploads-report/backfill', { from: to, to: from })).status,
    ).toBe(400);
  });

  it('answers 404 for an unknown routine, 409 for an action it cannot take, 400 for a bad value', async () => {
    expect(await call('GET', '/routines/nope')).toMatchObject({
      status: 404,
      body: { message: expect.stringContaining("no routine named 'nope'") },
    });
    expect(await call('POST', '/routines/heartbeat/trigger')).toMatchObject({
      status: 409,
      body: { message: expect.stringContaining("'heartbeat' is a background routine") },
    });
    expect(
      await call('POST', '/routines/uploads-report/interval', { interval: '5m' }),
    ).toMatchObject({
      status: 409,
    });
    expect(
      await call('POST', '/routines/hard-deleter/interval', { interval: 'soon' }),
    ).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('setInterval("soon") is not a duration') },
    });
  });

  it('shows a failed run’s error as { name, message } in JSON', async () => {
    // The cache warmer's upstream fails every third call.
    let outcome: { status: string; error?: unknown } = { status: '' };
    for (let i = 0; i < 10 && outcome.status !== 'failed'; i++) {
      outcome = (await call('POST', '/routines/cache-warmer/trigger')).body;
      if (outcome.status === 'skipped') await sleep(250); // its scheduled run is in flight
    }
    expect(outcome.error).toEqual({
      name: 'Error',
      message: 'upstream answered 503 Service Unavailable',
    });
    const info = (await call('GET', '/routines/cache-warmer')).body;
    expect(info.lastError.message).toBeDefined();
  });

  it('serves the routines’ metrics at /metrics and their health at /health', async () => {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /^routines_runs_total\{routine="cache-warmer",status="succeeded"\} [1-9]/m,
    );
    expect(metrics).toMatch(/^routines_state\{routine="heartbeat",state="running"\} 1$/m);
    expect(metrics).toMatch(/^process_cpu_user_seconds_total /m); // the app's own default metrics
    const health = await call('GET', '/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('keeps a history of runs with stats and health flags', async () => {
    const history = (await call('GET', '/routines/cache-warmer')).body;
    expect(history.stats.runs).toBeGreaterThan(0);
    expect(history.health).toEqual({
      late: false,
      slow: false,
      consecutiveFailures: expect.any(Number),
    });
    const runs = (await call('GET', '/routines/cache-warmer/history?limit=2')).body;
    expect(runs.length).toBeGreaterThan(0);
    expect(runs[0]).toMatchObject({ status: expect.any(String), dueAt: expect.any(Number) });
  });

  it('lists the next runs of a cron routine', async () => {
    const { status, body } = await call('GET', '/routines/uploads-report/next-runs?count=2');
    expect(status).toBe(200);
    expect(body).toHaveLength(2);
    expect(body.every((time: string) => time.endsWith(':00:00.000Z'))).toBe(true);
  });

  it('stops, starts and restarts a routine by name', async () => {
    expect((await call('POST', '/routines/heartbeat/stop')).body.state).toBe('stopped');
    expect((await call('POST', '/routines/heartbeat/start')).body.state).toBe('running');
    expect((await call('POST', '/routines/heartbeat/restart')).body.state).toBe('running');
  });

  it('adds and removes a tenant’s routine at run time', async () => {
    const added = await call('PUT', '/tenants/42/sync?every=1m');
    expect(added).toMatchObject({
      status: 200,
      body: { name: 'tenant-42-sync', kind: 'periodic', removable: true, schedule: 'every 1m' },
    });
    expect((await call('PUT', '/tenants/42/sync')).status).toBe(400); // the name is taken
    expect((await call('PUT', '/tenants/43/sync?every=often')).status).toBe(400);
    expect((await call('DELETE', '/tenants/42/sync')).status).toBe(204);
    expect((await call('GET', '/routines/tenant-42-sync')).status).toBe(404);
  });
});
