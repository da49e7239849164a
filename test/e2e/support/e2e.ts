import 'reflect-metadata';
import {
  Module,
  type INestApplicationContext,
  type LoggerService,
  type ModuleMetadata,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { RoutinesRegistry, type RoutineEvent } from 'nestjs-routines';

export type LogLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

export interface LogEntry {
  level: LogLevel;
  message: string;
  /** The Nest Logger context: the routine's name, or 'RoutinesModule'. */
  context: string | undefined;
  /** Everything after the message (stack, context), as strings. */
  params: string[];
}

/** A Nest LoggerService that keeps every entry, so tests stay quiet and can assert on logs. */
export class CapturingLogger implements LoggerService {
  readonly entries: LogEntry[] = [];

  log(message: unknown, ...params: unknown[]): void {
    this.push('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.push('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.push('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.push('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.push('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.push('fatal', message, params);
  }

  /** Entries at `level` (all levels when omitted). */
  at(level?: LogLevel): LogEntry[] {
    return level ? this.entries.filter((entry) => entry.level === level) : this.entries;
  }

  private push(level: LogLevel, message: unknown, params: unknown[]): void {
    const strings = params.map((param) =>
      param instanceof Error ? (param.stack ?? param.message) : String(param),
    );
    const last = params[params.length - 1];
    this.entries.push({
      level,
      message: message instanceof Error ? message.message : String(message),
      context: typeof last === 'string' ? last : undefined,
      params: strings,
    });
  }
}

export interface Booted {
  app: INestApplicationContext;
  registry: RoutinesRegistry;
  logger: CapturingLogger;
  /** Every event of registry.events$ since before bootstrap (Testing bootstrap only). */
  events: RoutineEvent[];
  /** Closes the app once; later calls return the same promise. */
  close(): Promise<void>;
}

export type Bootstrap = (metadata: ModuleMetadata) => Promise<Booted>;

const open = new Set<Booted>();

/** Closes every app a test left open, so a failing test does not leak timers into the next. */
export async function closeAll(): Promise<void> {
  const apps = [...open];
  open.clear();
  await Promise.all(apps.map((booted) => booted.close().catch(() => undefined)));
}

function track(
  app: INestApplicationContext,
  logger: CapturingLogger,
  events: RoutineEvent[],
): Booted {
  let closing: Promise<void> | undefined;
  const booted: Booted = {
    app,
    registry: app.get(RoutinesRegistry),
    logger,
    events,
    close: () => {
      open.delete(booted);
      closing ??= app.close();
      return closing;
    },
  };
  open.add(booted);
  return booted;
}

/** `Test.createTestingModule(...).compile()`, `createNestApplication()`, `init()`. */
export const bootTesting: Bootstrap = async (metadata) => {
  const booted = await createTestingApp(metadata);
  await booted.app.init();
  return booted;
};

/**
 * The app before `init()`: for tests that expect bootstrap to fail, or that subscribe to
 * `events$` before routines start. Closed by {@link closeAll} if the test does not.
 */
export async function createTestingApp(metadata: ModuleMetadata): Promise<Booted> {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule(metadata).setLogger(logger).compile();
  const app = moduleRef.createNestApplication({ logger });
  const events: RoutineEvent[] = [];
  app.get(RoutinesRegistry).events$.subscribe((event) => events.push(event));
  return track(app, logger, events);
}

/** `NestFactory.createApplicationContext(AppModule)`: a standalone worker app, no HTTP. */
export const bootStandalone: Bootstrap = async (metadata) => {
  @Module(metadata)
  class WorkerModule {}
  const logger = new CapturingLogger();
  const app = await NestFactory.createApplicationContext(WorkerModule, {
    logger,
    abortOnError: false,
  });
  return track(app, logger, []);
};

export const bootstraps: ReadonlyArray<[string, Bootstrap]> = [
  ['Test.createTestingModule().createNestApplication()', bootTesting],
  ['NestFactory.createApplicationContext()', bootStandalone],
];

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * How long a wait for something that happens in real time gets before it fails: only a
 * guard against a hang. It takes milliseconds on a quiet machine; while other processes keep
 * the cores busy, a 2 s limit did not always hold.
 */
export const WAIT_MS = 10_000;

/** Polls `condition` every few ms; rejects after `within` ms with `what` in the message. */
export async function waitFor(
  condition: () => boolean,
  what = 'condition',
  within = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + within;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${within} ms waiting for ${what}`);
    await sleep(2);
  }
}

/** The next event on `registry.events$` that matches; subscribe before causing it. */
export function nextEvent(
  registry: RoutinesRegistry,
  predicate: (event: RoutineEvent) => boolean,
  within = WAIT_MS,
): Promise<RoutineEvent> {
  return firstValueFrom(registry.events$.pipe(filter(predicate), timeout(within)));
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves once `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

/** Number of Node.js `Timeout` handles alive right now. */
export function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

/** Runs `body` as if outside any test runner (no JEST_WORKER_ID, no NODE_ENV=test). */
export async function outsideTestRunner(body: () => Promise<void>): Promise<void> {
  const saved = { JEST_WORKER_ID: process.env.JEST_WORKER_ID, NODE_ENV: process.env.NODE_ENV };
  delete process.env.JEST_WORKER_ID;
  delete process.env.NODE_ENV;
  try {
    await body();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
