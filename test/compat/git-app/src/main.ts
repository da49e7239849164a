// The README's quick start as a new CommonJS app writes it (nest new's default), installed from
// the repository's git URL by .ci/install-smoke.sh: it ticks, then stops gracefully on SIGTERM.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackgroundRoutine, Periodic, RoutinesModule } from 'nestjs-routines';

@Injectable()
export class Janitor {
  private sweeps = 0;

  @Periodic('200ms', { name: 'janitor' })
  async sweep(signal: AbortSignal) {
    this.sweeps++;
    console.log(`sweep ${this.sweeps}; aborted? ${signal.aborted}`);
  }

  @BackgroundRoutine({ name: 'consumer' })
  async consume(signal: AbortSignal) {
    while (!signal.aborted) {
      await sleep(1000, undefined, { signal }).catch(() => undefined);
    }
    console.log('consumer drained');
  }
}

@Module({ imports: [RoutinesModule.forRoot()], providers: [Janitor] })
export class AppModule {}

async function bootstrap() {
  const app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'] });
  app.enableShutdownHooks();
  await app.listen(0);
}
void bootstrap();
