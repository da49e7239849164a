import type { ReplicaDirectory } from '../../../lib/core';
import { sleep, unique } from '../support';
import { useHarness, type PortSetup } from './port-harness';

/**
 * The behaviour every {@link ReplicaDirectory} must have; run against each engine. Each case
 * publishes replicas of its own (snapshots that name their id) and reads only those back: the
 * directory is shared by every case of the engine.
 */
export function describeReplicaDirectoryContract(
  name: string,
  setup: PortSetup<ReplicaDirectory>,
): void {
  describe(`${name}: the ReplicaDirectory contract`, () => {
    const engine = useHarness(setup);
    const TTL = 60_000;
    const listed = async (directory: ReplicaDirectory, ids: string[]): Promise<string[]> =>
      (await directory.list())
        .filter((snapshot) => ids.some((id) => snapshot.startsWith(`${id}:`)))
        .sort();

    it('lists what every replica published, to every replica', async () => {
      const a = engine.harness.port();
      const b = engine.harness.port();
      const [first, second] = [unique('replica'), unique('replica')];
      await a.publish(first, `${first}:a`, TTL);
      await b.publish(second, `${second}:b`, TTL);
      const both = [`${first}:a`, `${second}:b`].sort();
      expect(await listed(a, [first, second])).toEqual(both);
      expect(await listed(b, [first, second])).toEqual(both);
    });

    it("keeps one snapshot per replica: publishing again replaces the replica's last", async () => {
      const directory = engine.harness.port();
      const id = unique('replica');
      await directory.publish(id, `${id}:1`, TTL);
      await directory.publish(id, `${id}:2`, TTL);
      expect(await listed(engine.harness.port(), [id])).toEqual([`${id}:2`]);
    });

    it('removes a withdrawn replica at once, and leaves the others', async () => {
      const directory = engine.harness.port();
      const [gone, kept] = [unique('replica'), unique('replica')];
      await directory.publish(gone, `${gone}:x`, TTL);
      await directory.publish(kept, `${kept}:x`, TTL);
      await engine.harness.port().withdraw(gone);
      expect(await listed(directory, [gone, kept])).toEqual([`${kept}:x`]);
      await directory.withdraw(unique('never-published')); // a no-op
    });

    it("tells how long each live snapshot has left, on the engine's clock", async () => {
      const directory = engine.harness.port();
      if (!directory.listExpiring) return; // optional
      const [long, short, gone] = [unique('replica'), unique('replica'), unique('replica')];
      await directory.publish(long, `${long}:x`, TTL);
      await directory.publish(short, `${short}:x`, 10_000);
      await directory.publish(gone, `${gone}:x`, 10_000);
      await directory.withdraw(gone);
      const listed = (await directory.listExpiring())
        .filter(({ snapshot }) => [long, short, gone].some((id) => snapshot.startsWith(`${id}:`)))
        .sort((a, b) => a.expiresInMs - b.expiresInMs);
      expect(listed.map(({ snapshot }) => snapshot)).toEqual([`${short}:x`, `${long}:x`]);
      // Time has passed since publishing (the engine's clock only moves on), but not much.
      expect(listed[0].expiresInMs).toBeLessThanOrEqual(10_000);
      expect(listed[0].expiresInMs).toBeGreaterThan(5_000);
      expect(listed[1].expiresInMs).toBeLessThanOrEqual(TTL);
      expect(listed[1].expiresInMs).toBeGreaterThan(TTL - 5_000);
    });

    it('drops a replica whose snapshot was not published again within its ttl', async () => {
      const directory = engine.harness.port();
      const [stale, fresh] = [unique('replica'), unique('replica')];
      await directory.publish(stale, `${stale}:x`, 200);
      await directory.publish(fresh, `${fresh}:x`, 200);
      await sleep(100);
      await directory.publish(fresh, `${fresh}:y`, TTL);
      await sleep(300); // the stale one expired; the fresh one was published again
      expect(await listed(directory, [stale, fresh])).toEqual([`${fresh}:y`]);
    });
  });
}
