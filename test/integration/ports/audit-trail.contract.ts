import type { AuditEntry, AuditTrail } from '../../../lib/cluster/ports';
import { unique } from '../support';
import { useHarness, type PortSetup } from './port-harness';

/** An entry of `target` at `at`, from `replica`. */
function entry(
  target: string,
  at: number,
  replica = 'a',
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  return { at, action: 'pause', target, scope: 'every replica', replica, outcome: 'ok', ...extra };
}

/**
 * The behaviour every {@link AuditTrail} must have; run against each engine. Each case writes
 * entries of targets of its own and reads only those back.
 */
export function describeAuditTrailContract(name: string, setup: PortSetup<AuditTrail>): void {
  describe(`${name}: the AuditTrail contract`, () => {
    const engine = useHarness(setup);

    it("keeps every replica's entries, for every replica to read, newest first", async () => {
      const a = engine.harness.port();
      const b = engine.harness.port();
      const target = unique('routine');
      await a.append(entry(target, 1000, 'a', { operator: 'alice', note: 'billing down' }));
      await b.append(entry(target, 2000, 'b', { action: 'resume', from: 'paused', to: 'running' }));
      const expected = [
        entry(target, 2000, 'b', { action: 'resume', from: 'paused', to: 'running' }),
        entry(target, 1000, 'a', { operator: 'alice', note: 'billing down' }),
      ];
      expect(await a.list({ limit: 10, target })).toEqual(expected);
      expect(await b.list({ limit: 10, target })).toEqual(expected);
    });

    it('reads at most limit entries, of one target, older than before', async () => {
      const trail = engine.harness.port();
      const [mine, other] = [unique('routine'), unique('routine')];
      for (let at = 1; at <= 5; at++) await trail.append(entry(mine, at * 1000));
      await trail.append(entry(other, 6000));
      const newest = await trail.list({ limit: 2, target: mine });
      expect(newest.map((found) => found.at)).toEqual([5000, 4000]);
      const older = await trail.list({ limit: 10, target: mine, before: 4000 });
      expect(older.map((found) => found.at)).toEqual([3000, 2000, 1000]);
      const all = await trail.list({ limit: 2 });
      expect(all.map((found) => found.target)).toEqual([other, mine]);
    });

    it("answers entries that are the caller's own: changing them stores nothing", async () => {
      const trail = engine.harness.port();
      const target = unique('routine');
      await trail.append(entry(target, 1000));
      const [read] = await trail.list({ limit: 1, target });
      read.outcome = 'changed';
      expect((await trail.list({ limit: 1, target }))[0].outcome).toBe('ok');
    });
  });
}
