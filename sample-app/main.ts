import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { traceToConsoleIfAsked } from './observability/tracing';

async function bootstrap(): Promise<void> {
  traceToConsoleIfAsked();
  const app = await NestFactory.create(AppModule);
  // On SIGTERM/SIGINT, run the lifecycle hooks: RoutinesModule stops every routine and waits
  // for in-flight runs (up to SHUTDOWN_TIMEOUT) before the HTTP server closes.
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000));
  Logger.log(`Listening on ${await app.getUrl()}`, 'Bootstrap');
}

void bootstrap();
