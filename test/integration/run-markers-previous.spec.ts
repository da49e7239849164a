import { PostgresCoordinator } from '../../lib/postgres';
import { RedisCoordinator } from '../../lib/redis';
import { InMemoryCoordinator, type Coordinator } from '../../lib/core';
import type { BeginAnswer, RunMarkers } from '../../lib/core';
import { sleep, unique, useSharedEngines } from './support';

/**
 * `ctx.previous` is fenced by the run marker: a run whose marker had expired (a newer run
 * began and ended since) does not overwrite the newer run's outcome, on every engine.
 */
describe.each(['memory', 'redis', 'postgres'] as const)('run markers on %s', (engine) => {
  const shared = useSharedEngines();
  const memory = new InMemoryCoordinator();
  const coordinator = (): Coordinator =>
    engine === 'redis'
      ? new RedisCoordinator(shared.redis, { keyPrefix: shared.keyPrefix })
      : engine === 'postgres'
        ? new PostgresCoordinator(shared.pool, { schema: shared.schema })
        : memory;

  it("stores a run's outcome only while it holds its marker: a stale end leaves the newer one", async () => {
    const runs: RunMarkers = coordinator().runs!;
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
