import { buildList, isLost } from '../../../lib/dashboard/dashboard-model';
import type { ReplicaSnapshot } from '../../../lib/dashboard/replica-snapshot';
import type { RegisteredRoutineInfo } from '../../../lib/nest/interfaces/registered-routine.interface';
import { localRoutine, replicaRoutine, snapshot, T0 } from './replica-fixtures';

const NO_CONTROLS = new Map();

function list(local: RegisteredRoutineInfo[], replicas: ReplicaSnapshot[], now: number) {
  return buildList(local, { replicas }, NO_CONTROLS, true, false, now);
}

describe('isLost: no snapshot for twice the period the replica publishes at', () => {
  it("judges with the writer's period, not the reader's", () => {
    const every5s = snapshot('a', 1, [], { publishedAt: T0, publishEvery: 5_000 });
    expect(isLost(every5s, T0 + 10_000)).toBe(false); // exactly twice
    expect(isLost(every5s, T0 + 10_001)).toBe(true);
    const every30s = snapshot('b', 2, [], { publishedAt: T0, publishEvery: 30_000 });
    expect(isLost(every30s, T0 + 59_000)).toBe(false);
  });
});

describe("lost by the engine's clock, where the directory tells a snapshot's age", () => {
  const here = snapshot('here', 1, [], { publishedAt: T0 });

  it('a writer whose clock is a minute behind is live when the engine says it just published', () => {
    const behind = snapshot('behind', 2, [], { publishedAt: T0 - 60_000 });
    const ages = new Map([[behind.id, 1_000]]);
    expect(isLost(behind, T0)).toBe(true); // wall clocks alone misjudge it
    expect(isLost(behind, T0, ages)).toBe(false);
    const body = buildList(
      [],
      { replicas: [here, behind], ageMs: ages },
      NO_CONTROLS,
      true,
      false,
      T0,
    );
    expect(body.summary.lost).toBe(0);
  });

  it('a writer whose clock is a minute ahead is lost when the engine says it has been silent', () => {
    const ahead = snapshot('ahead', 3, [], { publishedAt: T0 + 60_000 });
    const ages = new Map([[ahead.id, 20_000]]);
    expect(isLost(ahead, T0)).toBe(false);
    const body = buildList(
      [],
      { replicas: [here, ahead], ageMs: ages },
      NO_CONTROLS,
      true,
      false,
      T0,
    );
    // Silent for 20 s, lost after 10 s: since 10 s ago on this replica's clock.
    expect(body.replicas[1]).toMatchObject({ lost: true, lostSince: T0 - 10_000 });
  });
});

describe('buildList with a lost replica', () => {
  // This replica (here) runs 'shared'; a live replica b and a killed replica c run it too. c
  // alone had 'only-on-c', a cluster routine it led, failing; b alone has 'only-on-b'.
  const here = snapshot('here', 1, [replicaRoutine('shared', { scope: 'cluster' })], {
    publishedAt: T0 + 20_000,
  });
  const b = snapshot(
    'b',
    2,
    [
      replicaRoutine('shared', {
        scope: 'cluster',
        cluster: { role: 'standby', lastClaim: { slot: 10, outcome: 'won', at: T0 + 19_000 } },
      }),
      replicaRoutine('only-on-b'),
    ],
    { publishedAt: T0 + 19_000 },
  );
  const c = snapshot(
    'c',
    3,
    [
      replicaRoutine('shared', {
        scope: 'cluster',
        cluster: { role: 'standby', lastClaim: { slot: 11, outcome: 'won', at: T0 + 500 } },
      }),
      replicaRoutine('only-on-c', {
        kind: 'background',
        scope: 'cluster',
        state: 'running',
        cluster: { role: 'leader', epoch: 4 },
        counters: { runs: 3, succeeded: 0, failures: 3, cancelled: 0, skipped: 0, restarts: 2 },
        health: { late: false, slow: false, consecutiveFailures: 3 },
      }),
    ],
    { publishedAt: T0 }, // 20 s ago: more than twice its 5 s
  );
  const body = list([localRoutine('shared', { scope: 'cluster' })], [here, b, c], T0 + 20_000);
  const routine = (name: string) => body.routines.find((r) => r.name === name)!;

  it('keeps the lost replica in the list, flagged, with when it was judged lost', () => {
    expect(body.replicas.map((r) => [r.host, r.lost, r.lostSince])).toEqual([
      ['here', undefined, undefined],
      ['b', undefined, undefined],
      ['c', true, T0 + 10_000],
    ]);
    expect(body.replicas[2].publishedAt).toBe(T0); // last seen
    expect(body.summary.lost).toBe(1);
  });

  it("flags the lost replica's rows, and never makes it the runner", () => {
    const shared = routine('shared');
    expect(shared.replicas.map((r) => [r.host, r.lost])).toEqual([
      ['here', undefined],
      ['b', undefined],
      ['c', true],
    ]);
    // c won a later slot (11) than b (10), but c is lost.
    expect(shared.runner).toEqual({ replica: b.id, host: 'b', pid: 2, slot: 10 });
    expect(routine('only-on-c').runner).toBeUndefined(); // its leader is the lost replica
  });

  it('shows a routine only on the lost replica as lost, not here, without its role as if here', () => {
    const onlyOnC = routine('only-on-c');
    expect(onlyOnC).toMatchObject({ here: false, lost: true });
    expect(onlyOnC.problems).toEqual(['failing', 'lost']);
    expect(onlyOnC.cluster).toBeUndefined(); // the page read it as "here: leader"
    expect(onlyOnC.replicas).toEqual([
      expect.objectContaining({ host: 'c', lost: true, cluster: { role: 'leader', epoch: 4 } }),
    ]);
    expect(routine('only-on-b')).toMatchObject({ here: false });
    expect(routine('only-on-b').lost).toBeUndefined();
    expect(routine('shared').here).toBe(true);
  });

  it("still counts the lost replica's failures", () => {
    expect(body.summary).toEqual({
      routines: 3,
      lost: 1,
      failing: 1,
      late: 0,
      paused: 0,
      problems: 1,
    });
  });

  it('takes a routine on a live and a lost replica from the live one', () => {
    const stale = snapshot('d', 4, [replicaRoutine('both', { state: 'failed' })], {
      publishedAt: T0,
    });
    const live = snapshot('e', 5, [replicaRoutine('both', { state: 'running' })], {
      publishedAt: T0 + 19_000,
    });
    const listed = list([], [here, stale, live], T0 + 20_000);
    const both = listed.routines.find((r) => r.name === 'both')!;
    expect(both).toMatchObject({ state: 'running', problems: [] });
    expect(both.lost).toBeUndefined();
  });

  it('never judges this replica lost, whatever its snapshot says', () => {
    const old = snapshot('here', 1, [], { publishedAt: 0 });
    expect(list([], [old], T0).summary.lost).toBe(0);
  });
});
