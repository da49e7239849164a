import { InMemoryCoordinator, ManualClock, type Lease } from '../../../lib/core';

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
