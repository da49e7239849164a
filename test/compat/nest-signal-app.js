// A plain CommonJS Nest app whose runs take RUN_MS, with shutdown hooks on: the subject of
// nest-signal.js, which sends it SIGTERM twice while it drains (as `npm start` does when the
// process group gets a signal: the app gets the group's copy and the one npm forwards).
require('reflect-metadata');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Periodic, RoutinesModule } = require('nestjs-routines');

const RUN_MS = Number(process.env.RUN_MS ?? 1500);
const print = (line) => void process.stdout.write(`${line}\n`);

class SlowTicker {
  constructor() {
    this.runs = 0;
  }
  async tick(signal) {
    const run = ++this.runs;
    print(`run-start ${run}`);
    await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    print(`run-end ${run} aborted=${signal.aborted}`);
  }
}
const tick = Object.getOwnPropertyDescriptor(SlowTicker.prototype, 'tick');
Periodic(100, { name: 'slow-ticker' })(SlowTicker.prototype, 'tick', tick);
Injectable()(SlowTicker);

class SignalAppModule {}
Module({
  imports: [RoutinesModule.forRoot({ shutdownTimeout: '10s' })],
  providers: [SlowTicker],
})(SignalAppModule);

async function main() {
  const app = await NestFactory.createApplicationContext(SignalAppModule, {
    logger: ['log', 'warn', 'error'],
  });
  app.enableShutdownHooks();
  print('ready');
}
void main();
