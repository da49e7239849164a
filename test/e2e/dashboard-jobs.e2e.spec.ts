import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import { RoutinesModule } from 'nestjs-routines';
import { RoutinesDashboardModule, type RoutinesDashboardOptions } from 'nestjs-routines/dashboard';
import { CapturingLogger } from './support/e2e';

// The routes of a worker's jobs without a database: what is refused before any worker is
// asked (control off, cross-site, a bad body, an unknown worker). The routes over real rows
// are in test/integration/dashboard-jobs.spec.ts.

const adapters = ['express', 'fastify'] as const;

async function boot(
  adapter: (typeof adapters)[number],
  dashboard: RoutinesDashboardOptions,
): Promise<INestApplication> {
  @Module({ imports: [RoutinesModule.forRoot(), RoutinesDashboardModule.forRoot(dashboard)] })
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

describe.each(adapters)("a worker's jobs on the dashboard, %s", (adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  const http = () => request(app!.getHttpServer());

  it('answers 404 to every action while control is off, and 404 to an unknown worker', async () => {
    app = await boot(adapter, { path: 'ops' });
    for (const action of ['retry', 'discard', 'cancel']) {
      await http()
        .post(`/ops/api/workers/emails/jobs/${action}`)
        .send({ state: 'failed' })
        .expect(404);
    }
    const missing = await http().get('/ops/api/workers/nope/jobs').expect(404);
    expect(missing.body.message).toContain("'nope'");
  });

  it('refuses cross-site actions (403), bad bodies (400) and unknown workers (404)', async () => {
    app = await boot(adapter, { control: true, allowUnguardedControl: true });
    const post = (action: string) => http().post(`/routines/api/workers/emails/jobs/${action}`);
    await post('retry')
      .set('origin', 'https://evil.example')
      .send({ ids: ['1'] })
      .expect(403);
    await post('cancel')
      .set('sec-fetch-site', 'cross-site')
      .send({ ids: ['1'] })
      .expect(403);
    const notObject = await post('retry').send([1, 2]).expect(400);
    expect(notObject.body.message).toContain('{ "ids": ["42"] }');
    const badIds = await post('discard')
      .send({ ids: [1] })
      .expect(400);
    expect(badIds.body.message).toBe('ids must be an array of strings');
    const extra = await post('discard').send({ state: 'failed', everything: true }).expect(400);
    expect(extra.body.message).toContain('everything');
    const missing = await post('retry').send({ state: 'failed' }).expect(404);
    expect(missing.body.message).toContain("'emails'");
  });
});
