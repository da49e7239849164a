import {
  InMemoryCoordinator,
  ManualClock,
  PeriodicRoutine,
  type Coordinator,
  type Lease,
} from '../../../lib/core';

describe('InMemoryCoordinator slots', () => {
  it('the first claim of a (routine, slot) wins and every later one loses within the ttl', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    expect(coordinator.kind).toBe('memory');
    await expect(coordinator.claimSlot('janitor', 1000, 5000)).resolves.toBe(true);
    await expect(coordinator.claimSlot('janitor', 1000, 5000)).resolves.toBe(false);
    await clock.advance(4999);
    await expect(coordinator.claimSlot('janitor', 1000, 5000)).resolves.toBe(false);
  });

  it('slots and routines are independent', async () => {
    const coordinator = new InMemoryCoordinator(new ManualClock(0));
    await expect(coordinator.claimSlot('janitor', 1000, 5000)).resolves.toBe(true);
    await expect(coordinator.claimSlot('janitor', 2000, 5000)).resolves.toBe(true);
    await expect(coordinator.claimSlot('warmer', 1000, 5000)).resolves.toBe(true);
  });

  it('routine names cannot collide with slot numbers through the key', async () => {
    const coordinator = new InMemoryCoordinator(new ManualClock(0));
    await expect(coordinator.claimSlot('a:1', 2, 5000)).resolves.toBe(true);
    await expect(coordinator.claimSlot('a', 12, 5000)).resolves.toBe(true);
    await expect(coordinator.claimSlot('a:', 12, 5000)).resolves.toBe(true);
  });

  it('many concurrent claims of one slot have exactly one winner', async () => {
    const coordinator = new InMemoryCoordinator(new ManualClock(0));
    const results = await Promise.all(
      Array.from({ length: 50 }, () => coordinator.claimSlot('janitor', 60_000, 1000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('a claim expires after its ttl', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    await coordinator.claimSlot('janitor', 1000, 5000);
    await clock.advance(5000);
    await expect(coordinator.claimSlot('janitor', 1000, 5000)).resolves.toBe(true);
  });

  it('sweeping expired claims keeps live ones', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    await coordinator.claimSlot('live', 0, 1_000_000);
    for (let slot = 1; slot <= 2100; slot++) await coordinator.claimSlot('short', slot, 1);
    await clock.advance(10);
    for (let slot = 1; slot <= 1100; slot++) await coordinator.claimSlot('other', slot, 1);
    await expect(coordinator.claimSlot('live', 0, 1_000_000)).resolves.toBe(false);
  });

  it('a release deletes only the claim made with its token: a stale one leaves the new claim', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    await expect(coordinator.claimSlot('janitor', 1000, 5000, 'a')).resolves.toBe(true);
    await clock.advance(5000); // a's claim expired
    await expect(coordinator.claimSlot('janitor', 1000, 5000, 'b')).resolves.toBe(true);
    await coordinator.releaseSlot('janitor', 1000, 'a'); // a hands back late
    await expect(coordinator.claimSlot('janitor', 1000, 5000, 'c')).resolves.toBe(false);
    await coordinator.releaseSlot('janitor', 1000, 'b');
    await expect(coordinator.claimSlot('janitor', 1000, 5000, 'c')).resolves.toBe(true);
  });
});

describe('a routine hands back only its own claim', () => {
  it('a claim won too late is released with its token: the claim another replica made since stays', async () => {
    const T0 = Date.UTC(2026, 0, 1);
    const clock = new ManualClock(T0);
    const shared = new InMemoryCoordinator(clock);
    let answer!: (won: boolean) => void;
    let asked = 0;
    // This replica's claim reaches the engine at once but its answer is held up past the slot's
    // window, the claim's ttl and another replica's claim of the same slot.
    const slow: Coordinator = {
      kind: 'memory',
      claimSlot: async (routine, slot, ttlMs, token) => {
        const won = await shared.claimSlot(routine, slot, ttlMs, token);
        if (++asked > 1) return won;
        return new Promise<boolean>((resolve) => (answer = resolve));
      },
      releaseSlot: (routine, slot, token) => shared.releaseSlot(routine, slot, token),
      acquireLease: (routine, ttlMs) => shared.acquireLease(routine, ttlMs),
      renewLease: (lease, ttlMs) => shared.renewLease(lease, ttlMs),
      releaseLease: (lease) => shared.releaseLease(lease),
    };
    const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
    const routine = new PeriodicRoutine(() => undefined, {
      name: 'nightly',
      interval: '1h',
      scope: 'cluster',
      coordinator: slow,
      logger: quiet,
      clock,
    });
    routine.start();
    await clock.advance(60 * 60_000); // the first slot is due: its claim is asked
    expect(asked).toBe(1);
    const slot = T0 + 60 * 60_000;
    await clock.advance(3 * 60 * 60_000); // past the window and the claim's ttl (3 intervals)
    await expect(shared.claimSlot('nightly', slot, 60_000, 'other')).resolves.toBe(true);
    answer(true); // won, too late: handed back
    await clock.advance(1);
    await expect(shared.claimSlot('nightly', slot, 60_000, 'third')).resolves.toBe(false);
    await routine.stop();
  });
});

describe('InMemoryCoordinator leases', () => {
  it('one holder at a time; the epoch only grows across holders', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    const first = (await coordinator.acquireLease('consumer', 3000)) as Lease | null;
    expect(first).toMatchObject({ routine: 'consumer', epoch: 1 });
    await expect(coordinator.acquireLease('consumer', 3000)).resolves.toBeNull();
    await coordinator.releaseLease(first!);
    const second = (await coordinator.acquireLease('consumer', 3000)) as Lease | null;
    expect(second?.epoch).toBe(2);
    expect(second?.token).not.toBe(first?.token);
    await clock.advance(3000); // expired
    const third = (await coordinator.acquireLease('consumer', 3000)) as Lease | null;
    expect(third?.epoch).toBe(3);
  });

  it('leases of different routines are independent', async () => {
    const coordinator = new InMemoryCoordinator(new ManualClock(0));
    await expect(coordinator.acquireLease('a', 1000)).resolves.toMatchObject({ epoch: 1 });
    await expect(coordinator.acquireLease('b', 1000)).resolves.toMatchObject({ epoch: 1 });
  });

  it('renewing extends the lease from now; it fails for a stale token or an expired lease', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    const lease = (await coordinator.acquireLease('consumer', 3000)) as Lease;
    await clock.advance(2000);
    await expect(coordinator.renewLease(lease, 3000)).resolves.toBe(true); // now until 5000
    await clock.advance(2999);
    await expect(coordinator.acquireLease('consumer', 3000)).resolves.toBeNull();
    await expect(coordinator.renewLease({ ...lease, token: 'someone-else' }, 3000)).resolves.toBe(
      false,
    );
    await clock.advance(1);
    await expect(coordinator.renewLease(lease, 3000)).resolves.toBe(false);
  });

  it('a holder whose lease expired and was taken cannot renew or release the new one', async () => {
    const clock = new ManualClock(0);
    const coordinator = new InMemoryCoordinator(clock);
    const old = (await coordinator.acquireLease('consumer', 1000)) as Lease;
    await clock.advance(1000);
    const current = (await coordinator.acquireLease('consumer', 1000)) as Lease;
    await expect(coordinator.renewLease(old, 1000)).resolves.toBe(false);
    await coordinator.releaseLease(old);
    await expect(coordinator.acquireLease('consumer', 1000)).resolves.toBeNull();
    await expect(coordinator.renewLease(current, 1000)).resolves.toBe(true);
  });
});
