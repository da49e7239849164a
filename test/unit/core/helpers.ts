import * as vm from 'vm';
import type { Clock, RoutineEvent, RoutineLogger } from '../../../lib/core';
import { flushPromises } from '../../../lib/core';

/** A logger whose every method is a jest.fn(), so tests stay quiet and can assert on what was logged. */
export type RecordingLogger = {
  [K in keyof Required<RoutineLogger>]: jest.Mock;
} & {
  /** Every message passed to `level`, in order. */
  messages(level: 'log' | 'warn' | 'error' | 'debug'): string[];
};

export function recordingLogger(): RecordingLogger {
  const logger = {
    log: jest.fn(),
    warn: jest.fn(),
    error: jest.fn(),
    debug: jest.fn(),
    messages(level: 'log' | 'warn' | 'error' | 'debug'): string[] {
      return logger[level].mock.calls.map((call: unknown[]) => String(call[0]));
    },
  };
  return logger;
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * The Jest timeout of an async property test (fast-check's 100 to 200 runs on the manual
 * clock). Such a test takes 0.3 to 2 s on a quiet machine and many times that while other
 * processes keep the cores busy: one took more than Jest's default 5 s at a load average of
 * 9, and the overlap property took 35 s in a full run at a load average of 10 to 12 on two
 * cores. Its time is CPU work (no real-time wait), so three minutes only fail a test that
 * hangs.
 */
export const PROPERTY_TEST_TIMEOUT_MS = 180_000;

/**
 * The CPU time, in milliseconds, this process spends while `work` runs and settles. Unlike
 * elapsed real time it does not grow when other processes take the cores, so a test can
 * bound the work a call does ("plans a month of ticks at once, not one by one") and still
 * hold on a busy machine.
 */
export async function cpuMsOf(work: () => unknown): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** Resolves once `ms` of the given clock's time has passed (a ManualClock needs `advance`). */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(clock.now() + ms, resolve));
}

/** Records the events a routine emits through `onEvent`. */
export function eventRecorder(): {
  onEvent: (event: RoutineEvent) => void;
  events: RoutineEvent[];
  ofType(type: RoutineEvent['type']): RoutineEvent[];
} {
  const events: RoutineEvent[] = [];
  return {
    events,
    onEvent: (event) => events.push(event),
    ofType: (type) => events.filter((event) => event.type === type),
  };
}

/**
 * Listens for 'unhandledRejection' on the real Node.js process. Jest gives each test file a
 * copy of `process` whose listeners Node never calls, so the real one is fetched from the
 * main context.
 */
export function watchUnhandledRejections(): {
  readonly reasons: unknown[];
  /** Lets Node report pending rejections, then detaches the listener. */
  stop(): Promise<void>;
} {
  const realProcess = vm.runInThisContext('process') as NodeJS.Process;
  const reasons: unknown[] = [];
  const listener = (reason: unknown): void => {
    reasons.push(reason);
  };
  realProcess.on('unhandledRejection', listener);
  return {
    reasons,
    async stop() {
      await flushPromises();
      await flushPromises();
      realProcess.off('unhandledRejection', listener);
    },
  };
}
