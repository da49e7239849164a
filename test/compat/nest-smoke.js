// Boots the built package in a plain CommonJS app against whichever @nestjs/* is installed
// next to it (the CI installs Nest 11 in a temporary folder): decorators, module, registry,
// a real tick, trigger, and a graceful close. Plain JS so that no compiler is needed there.
require('reflect-metadata');
const assert = require('node:assert/strict');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const {
  Periodic,
  BackgroundRoutine,
  RoutinesModule,
  RoutinesRegistry,
} = require('nestjs-routines');

class Janitor {
  constructor() {
    this.runs = 0;
    this.consumerAborted = false;
  }
  async clean() {
    this.runs++;
  }
  async consume(signal) {
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.consumerAborted = true;
    this.consumerStoppedWhileClientOpen = !client.closed;
  }
}

/** Closes its client in onModuleDestroy, as Prisma's Nest recipe does. */
class Client {
  constructor() {
    this.closed = false;
  }
  onModuleDestroy() {
    this.closed = true;
  }
}
const client = new Client();
const method = (name) => Object.getOwnPropertyDescriptor(Janitor.prototype, name);
Periodic('50ms', { name: 'janitor' })(Janitor.prototype, 'clean', method('clean'));
BackgroundRoutine({ name: 'consumer' })(Janitor.prototype, 'consume', method('consume'));
Injectable()(Janitor);

class AppModule {}
Module({
  // This app stops itself with app.close(): no shutdown hooks, and no warning about them.
  imports: [
    RoutinesModule.forRoot({
      routines: { janitor: { interval: '40ms' } },
      warnings: { shutdownHooks: false },
    }),
  ],
  providers: [Janitor, { provide: Client, useValue: client }],
})(AppModule);

async function main() {
  const { version } = require('@nestjs/core/package.json');
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error', 'warn'] });
  const registry = app.get(RoutinesRegistry);
  const janitor = app.get(Janitor);
  const checks = [];
  const check = async (name, fn) => {
    try {
      await fn();
      checks.push(true);
      console.log(`  ok   ${name}`);
    } catch (error) {
      checks.push(false);
      console.log(`  FAIL ${name}: ${error.message}`);
    }
  };
  console.log(`nestjs-routines on @nestjs/core ${version}`);
  await check('routines are listed with module options applied', () => {
    assert.deepEqual(
      registry.list().map((r) => r.name),
      ['janitor', 'consumer'],
    );
    assert.equal(registry.get('janitor').intervalMs, 40);
  });
  await check('a periodic routine ticks', async () => {
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.ok(janitor.runs >= 2, `runs=${janitor.runs}`);
  });
  await check('trigger resolves with the outcome', async () => {
    assert.equal((await registry.trigger('janitor')).status, 'succeeded');
  });
  await check('close drains every routine before other onModuleDestroy hooks', async () => {
    await app.close();
    assert.equal(janitor.consumerAborted, true);
    assert.equal(janitor.consumerStoppedWhileClientOpen, true, 'routines drain first');
    assert.deepEqual(
      registry.list().map((r) => r.state),
      ['stopped', 'stopped'],
    );
  });
  await check('every entry point resolves from the packed package', () => {
    const entries = {
      'nestjs-routines/redis': 'RedisCoordinator',
      'nestjs-routines/postgres': 'PostgresWorkerStore',
      'nestjs-routines/dashboard': 'RoutinesDashboardModule',
      'nestjs-routines/testing': 'ManualClock',
    };
    for (const [entry, name] of Object.entries(entries)) {
      assert.equal(typeof require(entry)[name], 'function', `${entry} exports ${name}`);
    }
  });
  const failed = checks.filter((ok) => !ok).length;
  console.log(`nest-smoke: ${checks.length - failed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
