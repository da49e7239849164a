import type { SlotClaims } from '../../../lib/core';
import { unique } from '../support';
import { useHarness, type ContractOptions, type PortSetup } from './port-harness';

/** The behaviour every {@link SlotClaims} must have; run against each engine. */
export function describeSlotClaimsContract(
  name: string,
  setup: PortSetup<SlotClaims>,
  { tellsNewRoutines = true }: ContractOptions = {},
): void {
  describe(`${name}: the SlotClaims contract`, () => {
    const engine = useHarness(setup);
    let a: SlotClaims;
    let b: SlotClaims;
    const TTL = 60_000;
    const fresh = (prefix: string) => engine.fresh(prefix);

    beforeAll(() => {
      a = engine.harness.port();
      b = engine.harness.port();
    });

    describe('claimSlot', () => {
      it('lets the first claim of a slot win and every later one lose', async () => {
        const routine = await fresh('claim');
        expect(await a.claimSlot(routine, 1_000, TTL)).toBe(true);
        expect(await b.claimSlot(routine, 1_000, TTL)).toBe(false);
        expect(await a.claimSlot(routine, 1_000, TTL)).toBe(false);
      });

      it('keeps distinct slots of a routine independent', async () => {
        const routine = await fresh('slots');
        expect(await a.claimSlot(routine, 1_000, TTL)).toBe(true);
        expect(await b.claimSlot(routine, 2_000, TTL)).toBe(true);
        expect(await a.claimSlot(routine, 3_000, TTL)).toBe(true);
        expect(await b.claimSlot(routine, 2_000, TTL)).toBe(false);
      });

      it('keeps distinct routines independent', async () => {
        const first = await fresh('first');
        const second = await fresh('second');
        expect(await a.claimSlot(first, 1_000, TTL)).toBe(true);
        expect(await b.claimSlot(second, 1_000, TTL)).toBe(true);
      });

      (tellsNewRoutines ? it : it.skip)(
        'lets a routine new to a known engine claim its first slot, due now',
        async () => {
          await engine.harness.primeEngine?.();
          const routine = unique('new'); // never primed: the engine has never seen it
          const slot = Date.now();
          expect(await a.claimSlot(routine, slot, TTL)).toBe(true);
          expect(await b.claimSlot(routine, slot, TTL)).toBe(false);
          // And a second new routine on the same grid point, in the same batch or not.
          const other = unique('new');
          const [won, lost] = await Promise.all([
            a.claimSlot(other, slot, TTL),
            b.claimSlot(other, slot, TTL),
          ]);
          expect([won, lost].filter(Boolean)).toHaveLength(1);
        },
      );

      it('lets exactly one of 10 concurrent claims win', async () => {
        const routine = await fresh('race');
        const slot = Date.now();
        const claimants = Array.from({ length: 10 }, (_, i) =>
          i < 2 ? [a, b][i] : engine.harness.port(),
        );
        const results = await Promise.all(claimants.map((c) => c.claimSlot(routine, slot, TTL)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('releaseSlot', () => {
      it('hands a won slot back, so that another replica can claim it', async () => {
        const routine = await fresh('handback');
        const slot = Date.now() + 60_000;
        expect(await a.claimSlot(routine, slot, TTL)).toBe(true);
        expect(await b.claimSlot(routine, slot, TTL)).toBe(false);
        await a.releaseSlot!(routine, slot);
        expect(await b.claimSlot(routine, slot, TTL)).toBe(true);
        expect(await a.claimSlot(routine, slot, TTL)).toBe(false);
      });

      it("deletes a claim only for the token it was made with, never another replica's", async () => {
        const routine = await fresh('handback-token');
        const slot = Date.now() + 60_000;
        expect(await a.claimSlot(routine, slot, TTL, 'token-a')).toBe(true);
        // A stale release (its own claim expired and another replica's took its place).
        await b.releaseSlot!(routine, slot, 'token-b');
        expect(await b.claimSlot(routine, slot, TTL, 'token-b')).toBe(false);
        await a.releaseSlot!(routine, slot, 'token-a');
        expect(await b.claimSlot(routine, slot, TTL, 'token-b')).toBe(true);
        await a.releaseSlot!(routine, slot, 'token-a'); // no longer a's: kept
        expect(await a.claimSlot(routine, slot, TTL, 'token-a')).toBe(false);
      });
    });
  });
}
