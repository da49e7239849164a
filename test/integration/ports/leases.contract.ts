import type { Lease, Leases } from '../../../lib/core';
import { sleep, unique } from '../support';
import { useHarness, type ContractOptions, type PortSetup } from './port-harness';

/** The behaviour every {@link Leases} must have; run against each engine. */
export function describeLeasesContract(
  name: string,
  setup: PortSetup<Leases>,
  { tellsNewRoutines = true }: ContractOptions = {},
): void {
  describe(`${name}: the Leases contract`, () => {
    const engine = useHarness(setup);
    let a: Leases;
    let b: Leases;
    const TTL = 60_000;
    const fresh = (prefix: string) => engine.fresh(prefix);

    beforeAll(() => {
      a = engine.harness.port();
      b = engine.harness.port();
    });

    describe('leases', () => {
      it('gives the lease to one holder at a time', async () => {
        const routine = await fresh('lease');
        const lease = (await a.acquireLease(routine, TTL)) as Lease;
        expect(lease).toEqual({ routine, token: expect.any(String), epoch: expect.any(Number) });
        expect(lease!.epoch).toBeGreaterThanOrEqual(1);
        expect(await b.acquireLease(routine, TTL)).toBeNull();
        expect(await a.acquireLease(routine, TTL)).toBeNull();
      });

      (tellsNewRoutines ? it : it.skip)(
        'gives a routine new to a known engine its lease at once',
        async () => {
          await engine.harness.primeEngine?.();
          const routine = unique('new-lease'); // never primed: the engine has never seen it
          const lease = (await a.acquireLease(routine, TTL)) as Lease;
          expect(lease).toEqual({ routine, token: expect.any(String), epoch: expect.any(Number) });
          expect(await b.acquireLease(routine, TTL)).toBeNull();
          await a.releaseLease(lease);
        },
      );

      it('lets exactly one of 10 concurrent acquires win', async () => {
        const routine = await fresh('lease-race');
        const holders = Array.from({ length: 10 }, () => engine.harness.port());
        const leases = await Promise.all(holders.map((c) => c.acquireLease(routine, TTL)));
        expect(leases.filter((lease) => lease !== null)).toHaveLength(1);
      });

      it('renews only with the right token', async () => {
        const routine = await fresh('renew');
        const lease = (await a.acquireLease(routine, TTL)) as Lease;
        expect(await a.renewLease(lease, TTL)).toBe(true);
        expect(await b.renewLease({ ...lease, token: 'someone-else' }, TTL)).toBe(false);
        expect(await b.renewLease({ ...lease, routine: await fresh('other') }, TTL)).toBe(false);
        expect(await a.renewLease(lease, TTL)).toBe(true);
      });

      it('hands the lease over on release, with a greater epoch', async () => {
        const routine = await fresh('release');
        const first = (await a.acquireLease(routine, TTL)) as Lease;
        await a.releaseLease(first);
        expect(await a.renewLease(first, TTL)).toBe(false);
        const second = (await b.acquireLease(routine, TTL)) as Lease;
        expect(second).not.toBeNull();
        expect(second.epoch).toBeGreaterThan(first.epoch);
        expect(second.token).not.toBe(first.token);
        // A stale holder's release is a no-op.
        await a.releaseLease(first);
        expect(await a.acquireLease(routine, TTL)).toBeNull();
        expect(await b.renewLease(second, TTL)).toBe(true);
        await b.releaseLease(second);
        const third = (await a.acquireLease(routine, TTL)) as Lease;
        expect(third.epoch).toBeGreaterThan(second.epoch);
      });

      it('lets another take an expired lease, with a greater epoch, and refuses the old holder', async () => {
        const routine = await fresh('expiry');
        const old = (await a.acquireLease(routine, 200)) as Lease;
        expect(await b.acquireLease(routine, 200)).toBeNull();
        await sleep(350);
        const next = (await b.acquireLease(routine, TTL)) as Lease;
        expect(next).not.toBeNull();
        expect(next.epoch).toBeGreaterThan(old.epoch);
        expect(await a.renewLease(old, TTL)).toBe(false);
        await a.releaseLease(old); // must not release the new holding
        expect(await a.acquireLease(routine, TTL)).toBeNull();
        expect(await b.renewLease(next, TTL)).toBe(true);
      });

      it('keeps a renewed lease past its first ttl', async () => {
        const routine = await fresh('keep');
        const lease = (await a.acquireLease(routine, 600)) as Lease;
        await sleep(300);
        expect(await a.renewLease(lease, 600)).toBe(true);
        await sleep(400); // 700 ms after the acquire, 400 ms after the renew
        expect(await b.acquireLease(routine, 600)).toBeNull();
        expect(await a.renewLease(lease, 600)).toBe(true);
      });

      it('does not renew an expired lease', async () => {
        const routine = await fresh('late');
        const lease = (await a.acquireLease(routine, 150)) as Lease;
        await sleep(300);
        expect(await a.renewLease(lease, TTL)).toBe(false);
      });

      it('does not renew a released lease, and hands it over at once', async () => {
        const routine = await fresh('released');
        const lease = (await a.acquireLease(routine, TTL)) as Lease;
        await a.releaseLease(lease);
        expect(await a.renewLease(lease, TTL)).toBe(false);
        const next = (await b.acquireLease(routine, TTL)) as Lease;
        expect(next.epoch).toBeGreaterThan(lease.epoch);
      });
    });

    describe('completion', () => {
      it('answers completed to every acquire under the version the holder completed, and only that one', async () => {
        const routine = await fresh('complete');
        const lease = (await a.acquireLease(routine, TTL, { version: 'v1' })) as Lease;
        expect(await a.completeLease!(lease, 'v1')).toBe(true);
        expect(await b.acquireLease(routine, TTL, { version: 'v1' })).toEqual({
          completed: true,
          version: 'v1',
        });
        expect(await a.renewLease(lease, TTL)).toBe(false); // the lease went with the completion
        const next = (await b.acquireLease(routine, TTL, { version: 'v2' })) as Lease;
        expect(next.epoch).toBeGreaterThan(lease.epoch);
        await b.releaseLease(next);
        await a.resetCompletion!(routine);
        expect(await b.acquireLease(routine, TTL, { version: 'v1' })).toMatchObject({ routine });
      });

      it('records no completion for a holder that lost its lease', async () => {
        const routine = await fresh('stale-complete');
        const old = (await a.acquireLease(routine, 150)) as Lease;
        await sleep(300);
        const current = (await b.acquireLease(routine, TTL)) as Lease;
        expect(await a.completeLease!(old, '')).toBe(false);
        expect(await b.renewLease(current, TTL)).toBe(true);
        await b.releaseLease(current);
        expect(await a.acquireLease(routine, TTL)).toMatchObject({ routine });
      });
    });
  });
}
