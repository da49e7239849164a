import type { StoredControls } from '../../../lib/core';
import { unique } from '../support';
import { useHarness, type PortSetup } from './port-harness';

/**
 * The behaviour every {@link StoredControls} must have; run against each engine. Each case
 * sets controls of routines of its own and reads only those back.
 */
export function describeStoredControlsContract(
  name: string,
  setup: PortSetup<StoredControls>,
): void {
  describe(`${name}: the StoredControls contract`, () => {
    const engine = useHarness(setup);
    const mine = (all: Map<string, string>, routines: string[]): Array<[string, string]> =>
      [...all].filter(([routine]) => routines.includes(routine)).sort();

    it('keeps the control set on each routine, for every replica to read', async () => {
      const a = engine.harness.port();
      const b = engine.harness.port();
      const [first, second] = [unique('pause'), unique('interval')];
      await a.set(first, '{"paused":true}');
      await b.set(second, '{"interval":"30m"}');
      const expected = [
        [first, '{"paused":true}'],
        [second, '{"interval":"30m"}'],
      ].sort();
      expect(mine(await a.all(), [first, second])).toEqual(expected);
      expect(mine(await b.all(), [first, second])).toEqual(expected);
    });

    it("overwrites a routine's control, and keeps it until then", async () => {
      const controls = engine.harness.port();
      const routine = unique('pause');
      await controls.set(routine, '{"paused":true}');
      await controls.set(routine, '{"paused":false}');
      expect(mine(await engine.harness.port().all(), [routine])).toEqual([
        [routine, '{"paused":false}'],
      ]);
    });

    it("answers a map that is the caller's own: changing it stores nothing", async () => {
      const controls = engine.harness.port();
      const routine = unique('pause');
      await controls.set(routine, '{"paused":true}');
      const all = await controls.all();
      all.set(routine, 'changed');
      all.set(unique('never-set'), 'added');
      expect((await controls.all()).get(routine)).toBe('{"paused":true}');
    });
  });
}
