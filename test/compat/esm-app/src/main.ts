// A Nest 12 app written as ES modules, as `nest new` users who set "type": "module" have it.
// CI compiles it with skipLibCheck off and without pg or ioredis installed (the package's
// types must not need them), then runs it with --no-experimental-require-module: nothing in
// the package may require() an ES module.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BackgroundRoutine, Periodic, RoutinesModule, RoutinesRegistry } from 'nestjs-routines';
import { RoutinesDashboardModule } from 'nestjs-routines/dashboard';
import { PostgresCoordinator, PostgresWorkerStore, workerTableSql } from 'nestjs-routines/postgres';
import { RedisCoordinator } from 'nestjs-routines/redis';
import { ManualClock } from 'nestjs-routines/testing';

@Injectable()
class Janitor {
  runs = 0;
  consumerStopped = false;

  @Periodic('50ms', { name: 'janitor' })
  clean(): void {
    this.runs++;
  }

  @BackgroundRoutine({ name: 'consumer' })
  async consume(signal: AbortSignal): Promise<void> {
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    this.consumerStopped = true;
  }
}

// This app stops itself with app.close(): no shutdown hooks, and no warning about them.
@Module({
  imports: [RoutinesModule.forRoot({ shutdownTimeout: '2s', warnings: { shutdownHooks: false } })],
  providers: [Janitor],
})
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
const registry = app.get(RoutinesRegistry);
const janitor = app.get(Janitor);
const deadline = Date.now() + 5000;
while (janitor.runs < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
assert.ok(janitor.runs >= 2, `janitor ran ${janitor.runs} times in 5 s`);
assert.equal(registry.get('consumer').state, 'running');
assert.equal((await registry.trigger('janitor')).status, 'succeeded');
await app.close();
assert.ok(janitor.consumerStopped, 'the consumer saw its signal abort on close');
assert.equal(typeof new ManualClock().advance, 'function');
// Every entry point loads as an ES module without pg or ioredis installed.
for (const value of [
  RoutinesDashboardModule,
  PostgresCoordinator,
  PostgresWorkerStore,
  RedisCoordinator,
]) {
  assert.equal(typeof value, 'function');
}
assert.match(workerTableSql('uploads'), /uploads/);

// Metrics and tracing need their optional peers, which this app does not have: asking for
// them fails at bootstrap, naming the package to install.
for (const [option, pkg] of [
  ['metrics', 'prom-client'],
  ['tracing', '@opentelemetry/api'],
] as const) {
  @Module({ imports: [RoutinesModule.forRoot({ [option]: true })], providers: [Janitor] })
  class WithFeature {}
  await assert.rejects(
    NestFactory.createApplicationContext(WithFeature, { logger: false, abortOnError: false }),
    (error: Error) =>
      error.name === 'RoutinesConfigurationError' &&
      error.message.includes(`option '${option}' = true needs the package '${pkg}'`) &&
      error.message.includes(`npm install ${pkg}`),
  );
}
console.log(`ESM app: ok (janitor ran ${janitor.runs} times; node ${process.version})`);
