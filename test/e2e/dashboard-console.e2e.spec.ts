import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Periodic, RoutinesModule, RoutinesRegistry } from 'nestjs-routines';
import { RoutinesDashboardModule } from 'nestjs-routines/dashboard';
import { CapturingLogger } from './support/e2e';

const HOSTILE = `<script>alert(1)</script>`;

@Injectable()
class Jobs {
  @Periodic('1h', { name: 'hard-deleter', runOnStart: false, description: HOSTILE })
  sweep(): void {
    throw new Error('db down');
  }
  @Periodic({ cron: '0 3 * * *' }, { name: 'nightly-report', runOnStart: false })
  report(): void {}
}

const adapters = ['express', 'fastify'] as const;

async function boot(adapter: (typeof adapters)[number]): Promise<INestApplication> {
  @Module({
    imports: [RoutinesModule.forRoot(), RoutinesDashboardModule.forRoot({ path: '/ops' })],
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

/** The raw bytes of an answer, not decoded by the client. */
function raw(app: INestApplication, path: string, headers: Record<string, string> = {}) {
  const call = request(app.getHttpServer()).get(path);
  for (const [name, value] of Object.entries(headers)) call.set(name, value);
  return call.buffer(true).parse((response, done) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => done(null, Buffer.concat(chunks)));
  });
}

describe.each(adapters)("the console's HTTP side on %s", (adapter) => {
  let app: INestApplication;
  beforeEach(async () => {
    app = await boot(adapter);
    for (let i = 0; i < 3; i++) await app.get(RoutinesRegistry).trigger('hard-deleter');
  });
  afterEach(() => app.close());

  it('serves one page of rows, problems first, with an ETag; 304 when unchanged, 200 when a run changed it', async () => {
    const first = await request(app.getHttpServer()).get('/ops/api/view?size=1').expect(200);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect(first.body.rows.map((row: { name: string }) => row.name)).toEqual(['hard-deleter']);
    expect(first.body).toMatchObject({ page: 1, pages: 2, summary: { routines: 2, shown: 2 } });
    expect(Number(first.headers['x-routines-now'])).toBeGreaterThan(0);
    const tag = first.headers.etag;
    expect(tag).toMatch(/^W\/"/);
    const same = await request(app.getHttpServer())
      .get('/ops/api/view?size=1')
      .set('if-none-match', tag)
      .expect(304);
    expect(same.text ?? '').toBe('');
    await app.get(RoutinesRegistry).trigger('hard-deleter');
    const changed = await request(app.getHttpServer())
      .get('/ops/api/view?size=1')
      .set('if-none-match', tag)
      .expect(200);
    expect(changed.headers.etag).not.toBe(tag);
    expect(changed.body.rows[0].runs).toBe(4);
  });

  it('gzips JSON and HTML for a client that takes gzip, and only then', async () => {
    const registry = app.get(RoutinesRegistry);
    for (let i = 0; i < 20; i++)
      registry.add(`tenant-${i}`, () => undefined, { interval: '1h', runOnStart: false });
    for (const path of ['/ops/api/view', '/ops/api/routines', '/ops', '/ops/assets/dashboard.js']) {
      const zipped = await raw(app, path, { 'accept-encoding': 'gzip' }).expect(200);
      expect({ path, encoding: zipped.headers['content-encoding'] }).toEqual({
        path,
        encoding: 'gzip',
      });
      expect(zipped.headers.vary).toMatch(/Accept-Encoding/i);
      // The client unzipped it (a body that was not gzip would have failed here).
      const text = (zipped.body as Buffer).toString('utf8');
      const plain = await raw(app, path, { 'accept-encoding': 'identity' }).expect(200);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect((plain.body as Buffer).toString('utf8').length).toBeGreaterThan(0);
      // The same body either way (the JSON carries the time it was made, so the script is compared).
      if (path.endsWith('.js')) expect(text).toBe((plain.body as Buffer).toString('utf8'));
      else expect(text).toContain('hard-deleter');
    }
  });

  it("serves a routine's own page (escaped, one script, strict CSP), 404 for a name it does not know", async () => {
    const page = await request(app.getHttpServer()).get('/ops/routines/hard-deleter').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('data-view="detail"');
    expect(page.text).toContain('data-name="hard-deleter"');
    expect(page.text).not.toContain(HOSTILE);
    expect(page.text.match(/<script/g)).toHaveLength(1);
    expect(page.text).not.toMatch(/<[^>]+\s(style|on[a-z]+)=/);
    const missing = await request(app.getHttpServer()).get('/ops/routines/nope').expect(404);
    expect(missing.body.message).toContain("'nope'");
  });

  it("tags a routine's JSON too: 304 while nothing changed (times in whole ms, so reading them again does not change it)", async () => {
    const first = await request(app.getHttpServer())
      .get('/ops/api/routines/hard-deleter')
      .expect(200);
    expect(Number.isInteger(first.body.lastRun.startedAt)).toBe(true);
    for (let i = 0; i < 5; i++)
      await request(app.getHttpServer())
        .get('/ops/api/routines/hard-deleter')
        .set('if-none-match', first.headers.etag)
        .expect(304);
  });

  it("adds a periodic routine's next 10 due times to its JSON", async () => {
    const detail = await request(app.getHttpServer())
      .get('/ops/api/routines/nightly-report')
      .expect(200);
    expect(detail.body.nextRuns).toHaveLength(10);
    expect(detail.body.nextRuns).toEqual(app.get(RoutinesRegistry).nextRuns('nightly-report', 10));
  });
});
