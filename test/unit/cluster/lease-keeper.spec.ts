import {
  InMemoryCoordinator,
  LeaseKeeper,
  LeaseLostError,
  ManualClock,
  SupervisedRoutine,
  type Coordinator,
  type Lease,
  type LeaseOptions,
} from '../../../lib/core';
import { deferred, eventRecorder, recordingLogger } from '../core/helpers';

type RenewMode = 'ok' | 'refuse' | 'reject' | 'hang';

/** An InMemoryCoordinator whose renewals (and acquisitions) can be made to misbehave. */
function controllableCoordinator(clock: ManualClock) {
  const inner = new InMemoryCoordinator(clock);
  const state = { renew: 'ok' as RenewMode, acquireFails: false };
  const calls = { acquire: [] as number[], renew: [] as number[], release: [] as Lease[] };
  const coordinator: Coordinator = {
    kind: 'test',
    claimSlot: (routine, slot, ttl) => inner.claimSlot(routine, slot, ttl),
    acquireLease: (routine, ttl) => {
      calls.acquire.push(clock.now());
      return state.acquireFails
        ? Promise.reject(new Error('ECONNREFUSED'))
        : inner.acquireLease(routine, ttl);
    },
    renewLease: (lease, ttl) => {
      calls.renew.push(clock.now());
      switch (state.renew) {
        case 'refuse':
          return Promise.resolve(false);
        case 'reject':
          return Promise.reject(new Error('ETIMEDOUT'));
        case 'hang':
          return new Promise<boolean>(() => undefined);
        default:
          return inner.renewLease(lease, ttl);
      }
    },
    releaseLease: (lease) => {
      calls.release.push(lease);
      return inner.releaseLease(lease);
    },
  };
  return { coordinator, inner, state, calls };
}

function keeper(clock: ManualClock, coordinator: Coordinator, options?: LeaseOptions) {
  const onAcquired = jest.fn();
  const onLost = jest.fn();
  const logger = recordingLogger();
  const lease = new LeaseKeeper({
    routine: 'consumer',
    coordinator,
    clock,
    logger,
    options,
    onAcquired,
    onLost,
  });
  return { lease, onAcquired, onLost, logger };
}

describe('LeaseKeeper losing the lease aborts the holder', () => {
  function holder(renewMode?: RenewMode) {
    const clock = new ManualClock(0);
    const control = controllableCoordinator(clock);
    if (renewMode) control.state.renew = renewMode;
    const logger = recordingLogger();
    const recorder = eventRecorder();
    const signals: AbortSignal[] = [];
    const epochs: Array<number | undefined> = [];
    const handler = {
      start: jest.fn(
        (signal: AbortSignal, context: { epoch?: number }) =>
          new Promise<void>((resolve) => {
            signals.push(signal);
            epochs.push(context.epoch);
            signal.addEventListener('abort', () => resolve());
          }),
      ),
      stop: jest.fn(),
    };
    const routine = new SupervisedRoutine(handler, {
      name: 'consumer',
      scope: 'cluster',
      lease: { ttl: '3s', renewEvery: '1s', retryEvery: '1s' },
      clock,
      coordinator: control.coordinator,
      logger,
      onEvent: recorder.onEvent,
    });
    return { clock, control, logger, recorder, signals, epochs, handler, routine };
  }

  it.each([
    ['returns false', 'refuse' as const, 'the lease was taken over or had expired'],
    ['rejects', 'reject' as const, 'ETIMEDOUT'],
  ])(
    'a renewal that %s aborts the signal with a LeaseLostError at once, within one renew period',
    async (_label, mode, cause) => {
      const { clock, control, logger, recorder, signals, handler, routine } = holder();
      routine.start();
      await clock.advance(1500); // renewed at 1000
      expect(routine.state).toBe('running');
      control.state.renew = mode;
      await clock.advance(499);
      expect(signals[0].aborted).toBe(false);
      await clock.advance(1); // renewal at 2000 fails
      expect(signals[0].aborted).toBe(true);
      const reason = signals[0].reason as LeaseLostError;
      expect(reason).toBeInstanceOf(LeaseLostError);
      expect(reason.name).toBe('AbortError');
      expect(reason.routine).toBe('consumer');
      expect((reason.cause as Error).message).toBe(cause);
      expect(routine.state).toBe('standby');
      expect(routine.info().cluster).toEqual({ role: 'standby' });
      expect(handler.stop).toHaveBeenCalledTimes(1);
      expect(recorder.ofType('lease-lost')).toHaveLength(1);
      expect(logger.messages('warn')).toContain(
        `routine 'consumer' lost its cluster lease: ${cause}; aborting its signal`,
      );
      expect(routine.info().counters.failures).toBe(0);
      control.state.renew = 'ok';
      await routine.stop();
      expect(clock.pendingTimers).toBe(0);
    },
  );

  it('a renewal that hangs forever aborts the signal at the renew deadline, two thirds into the ttl', async () => {
    const { clock, control, signals, routine } = holder();
    routine.start();
    await clock.advance(1500); // renewed at 1000: the lease is ours until 4000, the deadline is 3000
    control.state.renew = 'hang';
    await clock.advance(1499); // 2999; the renewal at 2000 never answered
    expect(control.calls.renew).toEqual([1000, 2000]);
    expect(signals[0].aborted).toBe(false);
    await clock.advance(1);
    expect(signals[0].aborted).toBe(true);
    expect(signals[0].reason).toBeInstanceOf(LeaseLostError);
    expect(((signals[0].reason as LeaseLostError).cause as Error).message).toBe(
      'no successful renewal within the renew deadline (2s of a 3s ttl)',
    );
    expect(routine.state).toBe('standby');
  });

  it('a hung first renewal is caught by the deadline armed at acquisition, before the ttl ends', async () => {
    const { clock, signals, routine } = holder('hang');
    routine.start();
    await clock.advance(1999);
    expect(signals[0].aborted).toBe(false);
    await clock.advance(1);
    expect(signals[0].aborted).toBe(true);
  });

  it('after losing the lease the replica takes it again once free, with a larger epoch', async () => {
    const { clock, control, epochs, handler, routine } = holder();
    routine.start();
    await clock.advance(1500);
    control.state.renew = 'refuse';
    await clock.advance(500); // lost at 2000; the store still holds it until 4000
    control.state.renew = 'ok';
    await clock.advance(1999);
    expect(handler.start).toHaveBeenCalledTimes(1);
    await clock.advance(1); // retry at 4000 finds it expired
    expect(routine.state).toBe('running');
    expect(epochs).toEqual([1, 2]);
    expect(routine.info().cluster).toEqual({ role: 'leader', epoch: 2 });
    await routine.stop();
  });
});

describe('LeaseKeeper', () => {
  it('acquires the lease, reports it, and renews it every renewEvery', async () => {
    const clock = new ManualClock(0);
    const { coordinator, calls } = controllableCoordinator(clock);
    const { lease, onAcquired, onLost, logger } = keeper(clock, coordinator, {
      ttl: '3s',
      renewEvery: '1s',
    });
    lease.start();
    await clock.advance(0);
    expect(onAcquired).toHaveBeenCalledTimes(1);
    expect(onAcquired.mock.calls[0][0]).toMatchObject({ routine: 'consumer', epoch: 1 });
    expect(lease.lease?.epoch).toBe(1);
    expect(logger.messages('log')).toEqual([
      'took the cluster lease (epoch 1) on the test coordinator',
    ]);
    await clock.advance(10_000);
    expect(calls.renew).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((s) => s * 1000));
    expect(onLost).not.toHaveBeenCalled();
    await lease.stop();
  });

  it('defaults follow Kubernetes: ttl 15 s, renew every 5 s, standby retries every 2 s', async () => {
    const clock = new ManualClock(0);
    const { coordinator, calls } = controllableCoordinator(clock);
    const holder = keeper(clock, coordinator);
    const standby = keeper(clock, coordinator);
    holder.lease.start();
    await clock.advance(0);
    standby.lease.start();
    await clock.advance(10_000);
    expect(holder.lease.ttl).toBe(15_000);
    expect(calls.renew).toEqual([5000, 10_000]);
    expect(calls.acquire).toEqual([0, 0, 2000, 4000, 6000, 8000, 10_000]);
    expect(standby.onAcquired).not.toHaveBeenCalled();
    await Promise.all([holder.lease.stop(), standby.lease.stop()]);
  });

  it('a standby keeps retrying and takes the lease once the holder lets it expire', async () => {
    const clock = new ManualClock(0);
    const { coordinator, inner } = controllableCoordinator(clock);
    const taken = await inner.acquireLease('consumer', 5000); // held elsewhere until 5000
    expect(taken).toMatchObject({ epoch: 1 });
    const { lease, onAcquired } = keeper(clock, coordinator, { ttl: '5s', retryEvery: '1s' });
    lease.start();
    await clock.advance(4999);
    expect(onAcquired).not.toHaveBeenCalled();
    await clock.advance(1);
    expect(onAcquired).toHaveBeenCalledTimes(1);
    expect(lease.lease?.epoch).toBe(2);
    await lease.stop();
  });

  it('an acquisition that rejects is logged and retried', async () => {
    const clock = new ManualClock(0);
    const { coordinator, state, calls } = controllableCoordinator(clock);
    state.acquireFails = true;
    const { lease, onAcquired, logger } = keeper(clock, coordinator, { retryEvery: '1s' });
    lease.start();
    await clock.advance(2000);
    expect(calls.acquire).toEqual([0, 1000, 2000]);
    expect(logger.messages('warn')).toHaveLength(1);
    expect(logger.messages('warn')[0]).toContain(
      "the test coordinator failed (lease acquire for 'consumer'): ECONNREFUSED",
    );
    state.acquireFails = false;
    await clock.advance(1000);
    expect(onAcquired).toHaveBeenCalledTimes(1);
    await lease.stop();
  });

  it('reports a lost lease once, with a LeaseLostError, then tries to acquire again', async () => {
    const clock = new ManualClock(0);
    const { coordinator, state, calls } = controllableCoordinator(clock);
    const { lease, onLost } = keeper(clock, coordinator, {
      ttl: '3s',
      renewEvery: '1s',
      retryEvery: '500ms',
    });
    lease.start();
    await clock.advance(0);
    state.renew = 'reject';
    await clock.advance(1000);
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(onLost.mock.calls[0][0]).toBeInstanceOf(LeaseLostError);
    expect(lease.lease).toBeUndefined();
    state.renew = 'ok';
    await clock.advance(500);
    expect(calls.acquire).toEqual([0, 1500]); // still held in the store until 3000
    await clock.advance(1500);
    expect(calls.acquire).toEqual([0, 1500, 2000, 2500, 3000]);
    expect(lease.lease?.epoch).toBe(2);
    await clock.advance(5000);
    expect(onLost).toHaveBeenCalledTimes(1);
    await lease.stop();
  });

  it('stop releases the lease, stops renewing and leaves no timer; a second stop does nothing', async () => {
    const clock = new ManualClock(0);
    const { coordinator, inner, calls } = controllableCoordinator(clock);
    const { lease } = keeper(clock, coordinator, { ttl: '30s' });
    lease.start();
    await clock.advance(0);
    const held = lease.lease!;
    await lease.stop();
    await lease.stop();
    expect(calls.release).toEqual([held]);
    expect(lease.lease).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
    await expect(inner.acquireLease('consumer', 1000)).resolves.toMatchObject({ epoch: 2 });
  });

  it('a lease granted after stop is released at once and not reported', async () => {
    const clock = new ManualClock(0);
    const pending = deferred<Lease | null>();
    const release = jest.fn(async () => undefined);
    const coordinator: Coordinator = {
      kind: 'slow',
      claimSlot: async () => false,
      acquireLease: () => pending.promise,
      renewLease: async () => true,
      releaseLease: release,
    };
    const { lease, onAcquired } = keeper(clock, coordinator);
    lease.start();
    await lease.stop();
    const late: Lease = { routine: 'consumer', token: 't', epoch: 7 };
    pending.resolve(late);
    await clock.flush();
    expect(onAcquired).not.toHaveBeenCalled();
    expect(release).toHaveBeenCalledWith(late);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a release that fails is logged; the lease expires on its own', async () => {
    const clock = new ManualClock(0);
    const { coordinator } = controllableCoordinator(clock);
    coordinator.releaseLease = () => Promise.reject(new Error('gone away'));
    const { lease, logger } = keeper(clock, coordinator);
    lease.start();
    await clock.advance(0);
    await expect(lease.stop()).resolves.toBeUndefined();
    expect(logger.messages('warn')).toEqual([
      'could not release its lease (it expires on its own): gone away',
    ]);
  });
});
