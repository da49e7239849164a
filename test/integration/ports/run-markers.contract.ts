import type { BeginAnswer, RunMarkers } from '../../../lib/core';
import { sleep, unique } from '../support';
import { useHarness, type PortSetup } from './port-harness';

/**
 * The behaviour every {@link RunMarkers} must have, through the engine's coordinator; run
 * against each engine. The transitions case by case are in run-marker-protocol.spec.ts.
 */
export function describeRunMarkersContract(name: string, setup: PortSetup<RunMarkers>): void {
  describe(`${name}: the RunMarkers contract`, () => {
    const engine = useHarness(setup);
    const request = (token: string, ttlMs = 60_000) => ({
      token,
      ttlMs,
      limit: 1,
      queue: 0,
      cancel: false,
    });

    it('lets one run at a time hold a marker, with an epoch that grows from run to run', async () => {
      const a = engine.harness.port();
      const b = engine.harness.port();
      const routine = unique('single');
      const first = await a.begin(routine, request('first'));
      expect(first).toMatchObject({ state: 'running', epoch: expect.any(Number) });
      expect(await b.begin(routine, request('second'))).toEqual({ state: 'busy' });
      expect(await b.renew(routine, 'first', 60_000)).toBe('running');
      await b.end(routine, 'first');
      expect(await a.renew(routine, 'first', 60_000)).toBe('lost');
      const second = await b.begin(routine, request('second'));
      expect(second.state).toBe('running');
      expect((second as { epoch: number }).epoch).toBeGreaterThan(
        (first as { epoch: number }).epoch,
      );
      await a.end(routine, 'second');
    });

    // `ctx.previous` is fenced by the run marker: a run whose marker had expired (a newer run
    // began and ended since) does not overwrite the newer run's outcome, on every engine.
    it("stores a run's outcome only while it holds its marker: a stale end leaves the newer one", async () => {
      const runs: RunMarkers = engine.harness.port();
      const routine = unique('cursor');
      const begin = (token: string, ttlMs: number): Promise<BeginAnswer> =>
        runs.begin(routine, { token, ttlMs, limit: 1, queue: 0, cancel: false });
      const previousOf = (answer: BeginAnswer) =>
        answer.state === 'running' ? answer.previous : `(${answer.state})`;

      expect((await begin('old', 200)).state).toBe('running');
      await sleep(600); // the old run's marker expires (a paused process)
      expect((await begin('new', 60_000)).state).toBe('running');
      await runs.end(routine, 'new', '{"cursor":2}');
      await runs.end(routine, 'old', '{"cursor":1}'); // the stale run ends after it
      expect(previousOf(await begin('next', 60_000))).toBe('{"cursor":2}');
      await runs.end(routine, 'next', '{"cursor":3}'); // a run that held its marker: stored
      expect(previousOf(await begin('last', 60_000))).toBe('{"cursor":3}');
      await runs.end(routine, 'last');
    }, 20_000);
  });
}
