/**
 * @jest-environment ./test/e2e/support/host-process-environment.js
 */
import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { BackgroundRoutine, Periodic, RoutinesModule, type PeriodicHandler } from 'nestjs-routines';
import { closeAll, createTestingApp, nextEvent, waitFor } from './support/e2e';

declare const hostProcess: NodeJS.Process;

@Injectable()
class Flaky {
  crashAttempts = 0;
  healthyRuns = 0;

  @Periodic(20, { name: 'throws-sync' })
  throwsSynchronously(): void {
    throw new Error('sync boom');
  }

  @Periodic(20, { name: 'rejects' })
  async rejects(): Promise<void> {
    await Promise.resolve();
    throw new Error('async boom');
  }

  @Periodic(20, { name: 'throws-string' })
  async throwsNonError(): Promise<void> {
    throw 'not even an Error';
  }

  @BackgroundRoutine({
    name: 'crashing-worker',
    restart: { maxRestarts: 2, within: '1m', initialDelay: 10, maxDelay: 20 },
  })
  async crash(): Promise<void> {
    this.crashAttempts++;
    throw new Error('worker boom');
  }

  @Periodic(20, { name: 'healthy' })
  healthy(): void {
    this.healthyRuns++;
  }
}

/** A handler whose error and shutdown hooks fail too. */
@Periodic(20, { name: 'bad-hooks' })
@Injectable()
class BadHooks implements PeriodicHandler {
  handle(): Promise<void> {
    return Promise.reject(new Error('handle failed'));
  }
  handleError(): Promise<void> {
    return Promise.reject(new Error('handleError failed too'));
  }
  onShutdown(): void {
    throw new Error('onShutdown failed');
  }
}

afterEach(closeAll);

describe('a failing routine', () => {
  const unhandled: unknown[] = [];
  const uncaught: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const onUncaught = (error: unknown) => uncaught.push(error);

  beforeEach(() => {
    unhandled.length = 0;
    uncaught.length = 0;
    hostProcess.on('unhandledRejection', onUnhandled);
    hostProcess.on('uncaughtException', onUncaught);
  });

  afterEach(() => {
    hostProcess.off('unhandledRejection', onUnhandled);
    hostProcess.off('uncaughtException', onUncaught);
  });

  it('sees unhandled rejections through the host process listener (self-check)', async () => {
    // The listener is on the real process: a rejection nobody handles reaches it. Jest also
    // listens there, so the rejection is handled late instead of failing this test.
    const rejected = Promise.reject(new Error('deliberately unhandled'));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    rejected.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve)); // lets Jest see 'rejectionHandled'
    expect(unhandled).toEqual([expect.objectContaining({ message: 'deliberately unhandled' })]);
  });

  it('never takes down the app or another routine; a background routine past its policy is marked failed', async () => {
    const { app, registry, logger, close } = await createTestingApp({
      imports: [RoutinesModule.forRoot()],
      providers: [Flaky, BadHooks],
    });
    const failed = nextEvent(registry, (e) => e.type === 'failed');
    await app.init();
    const flaky = app.get(Flaky);

    const event = await failed;
    expect(event).toMatchObject({
      routine: 'crashing-worker',
      error: expect.objectContaining({ message: 'worker boom' }),
    });
    expect(flaky.crashAttempts).toBe(3); // the first start and two restarts
    expect(registry.get('crashing-worker')).toMatchObject({
      state: 'failed',
      counters: { failures: 3, restarts: 2 },
      lastError: { message: 'worker boom' },
    });

    // Everything else keeps going after the worker gave up.
    const healthyRuns = flaky.healthyRuns;
    await waitFor(
      () => flaky.healthyRuns >= healthyRuns + 3,
      'the healthy routine to keep running',
    );
    for (const name of ['throws-sync', 'rejects', 'throws-string', 'bad-hooks']) {
      await waitFor(
        () => registry.get(name).counters.failures >= 3,
        `${name} to keep running after failures`,
      );
      expect(registry.get(name).state).toBe('running');
    }
    expect(registry.get('throws-sync').lastError).toMatchObject({ message: 'sync boom' });
    expect(registry.get('rejects').lastError).toMatchObject({ message: 'async boom' });
    expect(registry.get('throws-string').lastError).toMatchObject({
      message: 'not even an Error',
    });
    expect(registry.get('throws-string').lastRun?.error).toEqual({
      name: 'NonError',
      message: 'not even an Error',
    });
    expect(registry.get('healthy')).toMatchObject({ state: 'running', counters: { failures: 0 } });
    await expect(registry.trigger('healthy')).resolves.toMatchObject({ status: 'succeeded' });
    await expect(registry.trigger('throws-sync')).resolves.toMatchObject({ status: 'failed' });

    // Failures are logged by Nest's Logger under the routine's name, with the error.
    const errorFor = (routine: string, text: string) =>
      logger.at('error').some((e) => e.context === routine && e.message.includes(text));
    expect(errorFor('throws-sync', 'sync boom')).toBe(true);
    expect(errorFor('rejects', 'async boom')).toBe(true);
    expect(errorFor('crashing-worker', 'worker boom')).toBe(true);
    expect(errorFor('bad-hooks', 'handleError failed too')).toBe(true);
    // A thrown string is in the message once, with no stack line repeating it.
    const stringFailure = logger
      .at('error')
      .find((e) => e.context === 'throws-string' && e.message.includes('not even an Error'))!;
    expect(stringFailure.params.filter((param) => param.includes('not even'))).toEqual([]);
    const errorFailure = logger
      .at('error')
      .find((e) => e.context === 'throws-sync' && e.message.includes('sync boom'))!;
    expect(errorFailure.params[0]).toMatch(/^Error: sync boom\n\s+at /); // the stack

    await close();
    expect(errorFor('bad-hooks', 'onShutdown failed')).toBe(true);
    for (const info of registry.list()) expect(info.state).toBe('stopped');
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    expect(uncaught).toEqual([]);
  });
});
