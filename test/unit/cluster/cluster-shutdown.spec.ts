import {
  InMemoryCoordinator,
  ManualClock,
  PeriodicRoutine,
  RoutinesConfigurationError,
  stopRoutines,
  SupervisedRoutine,
  type Coordinator,
} from '../../../lib/core';
import { recordingLogger } from '../core/helpers';

/** A coordinator that counts calls, so a test can prove that nothing talks to it any more. */
function countingCoordinator(clock: ManualClock) {
  const inner = new InMemoryCoordinator(clock);
  const calls = { acquire: 0, renew: 0, release: 0 };
  const coordinator: Coordinator = {
    kind: 'test',
    claimSlot: (routine, slot, ttl) => inner.claimSlot(routine, slot, ttl),
    acquireLease: (routine, ttl) => (calls.acquire++, inner.acquireLease(routine, ttl)),
    renewLease: (lease, ttl) => (calls.renew++, inner.renewLease(lease, ttl)),
    releaseLease: (lease) => (calls.release++, inner.releaseLease(lease)),
  };
  return { coordinator, calls };
}

const lease = { ttl: 3000, renewEvery: 1000, retryEvery: 500 };

describe('cluster background routines at shutdown', () => {
  it('a holder that ignores its signal is abandoned at the deadline: no renewals, no release, no timers left', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const clock = new ManualClock();
      const { coordinator, calls } = countingCoordinator(clock);
      const stuck = new SupervisedRoutine(() => new Promise(() => undefined), {
        name: 'stuck',
        scope: 'cluster',
        lease,
        clock,
        coordinator,
        logger: recordingLogger(),
      });
      stuck.start();
      await clock.advance(1000);
      expect(stuck.info().cluster?.role).toBe('leader');
      const report = stopRoutines([stuck], { timeout: 50, logger: recordingLogger() });
      await jest.advanceTimersByTimeAsync(50);
      expect((await report).timedOut).toEqual(['stuck']);
      const renewals = calls.renew;
      await clock.advance(60_000);
      expect(calls.renew).toBe(renewals);
      expect(calls.release).toBe(0); // the work may still run: the lease must expire, not be handed over
      expect(clock.pendingTimers).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a standby stops trying to take the lease as soon as stop begins', async () => {
    const clock = new ManualClock();
    const { coordinator, calls } = countingCoordinator(clock);
    const options = {
      name: 'relay',
      scope: 'cluster' as const,
      lease,
      clock,
      coordinator,
      logger: recordingLogger(),
    };
    const leader = new SupervisedRoutine(
      (signal) => new Promise((resolve) => signal.addEventListener('abort', resolve)),
      options,
    );
    let standbyRan = false;
    const standby = new SupervisedRoutine(() => void (standbyRan = true), options);
    leader.start();
    await clock.advance(10);
    standby.start();
    await clock.advance(1000);
    expect(standby.state).toBe('standby');
    const stopping = standby.stop();
    const attempts = calls.acquire;
    await leader.stop(); // releases the lease: a standby still trying would take it now
    await clock.advance(5000);
    await stopping;
    expect(calls.acquire).toBe(attempts);
    expect(standbyRan).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('an error thrown while winding down after a lost lease is not a failure and never exhausts the policy', async () => {
    const clock = new ManualClock();
    const inner = new InMemoryCoordinator(clock);
    const coordinator: Coordinator = {
      ...bind(inner),
      kind: 'test',
      renewLease: async () => false,
    };
    const logger = recordingLogger();
    const routine = new SupervisedRoutine(
      (signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('write refused: stale epoch'))),
        ),
      {
        name: 'fenced',
        scope: 'cluster',
        lease,
        clock,
        coordinator,
        logger,
        restart: { maxRestarts: 1 },
      },
    );
    routine.start();
    await clock.advance(20_000); // the lease is lost at every renewal, and taken again each time
    expect(routine.info().counters.failures).toBe(0);
    expect(routine.state).not.toBe('failed');
    expect(logger.messages('warn')).toContain(
      'ended with an error after losing its lease: write refused: stale epoch',
    );
    await routine.stop();
  });
});

describe('configuration refused up front', () => {
  it('a cron expression that never fires', () => {
    expect(
      () =>
        new PeriodicRoutine(() => undefined, { name: 'feb30', interval: { cron: '0 0 30 2 *' } }),
    ).toThrow(
      /option 'interval' = \{"cron":"0 0 30 2 \*"\} has an invalid cron expression '0 0 30 2 \*' \(it never fires\)/,
    );
  });

  it('a lease that is not an object', () => {
    expect(() => new SupervisedRoutine(() => undefined, { name: 'x', lease: 5 as never })).toThrow(
      RoutinesConfigurationError,
    );
  });

  it('zero restart delays are allowed and mean "restart at once"', () => {
    expect(
      () =>
        new SupervisedRoutine(() => undefined, {
          name: 'x',
          restart: { initialDelay: '0s', maxDelay: 0 },
        }),
    ).not.toThrow();
  });
});

function bind(coordinator: Coordinator): Coordinator {
  return {
    kind: coordinator.kind,
    claimSlot: coordinator.claimSlot.bind(coordinator),
    acquireLease: coordinator.acquireLease.bind(coordinator),
    renewLease: coordinator.renewLease.bind(coordinator),
    releaseLease: coordinator.releaseLease.bind(coordinator),
  };
}
