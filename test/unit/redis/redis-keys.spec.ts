/**
 * Redis keys are hash-tag-safe for any routine name: every key of one routine has the same
 * non-empty hash tag, as Redis Cluster computes it, so each script touches one slot.
 */
import { RedisCoordinator } from '../../../lib/redis';
import { redisRoutineKey } from '../../../lib/redis/redis-keys';
import { RoutinesConfigurationError } from '../../../lib/core';

/** The Cluster spec: the text between the first `{` and the next `}`, if not empty; else the whole key. */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

const AWKWARD = ['}x', 'a}b', '{', '}', '}}', '', '{}', '}{', '%', '%7Dx', '~', 'x}', '{x}'];
const WHATS = ['slot:1767225600000', 'alive', 'lease', 'epoch', 'completed', 'runs', 'previous'];

/**
 * An ioredis stand-in: records the keys of every script call and `del`, and answers as a
 * server that grants everything.
 */
function recordingClient(isCluster = false) {
  const keys: string[] = [];
  const client: Record<string, unknown> = {
    isCluster,
    set: async () => 'OK',
    evalsha: async () => null,
    del: async (...args: string[]) => {
      keys.push(...args);
      return 1;
    },
    defineCommand(name: string, { numberOfKeys }: { numberOfKeys?: number }) {
      client[name] = async (...args: unknown[]) => {
        const count = numberOfKeys ?? Number(args.shift());
        keys.push(...(args.slice(0, count) as string[]));
        // Claims: the engine's mark (or, on a Cluster, a key of the routine), then two per claim.
        if (/ClaimSlots/.test(name))
          return Array.from({ length: (count - 1) / 2 }, () => [1, 0, 1, 1]).flat();
        if (/AcquireLease/.test(name)) return [1, 7, 1];
        if (/BeginRun/.test(name)) return ['running', '1', null];
        if (/RenewRun/.test(name)) return 'running';
        return 1;
      };
    },
  };
  return { client, keys };
}

describe('Redis keys for any routine name', () => {
  it('keep their key for ordinary names, so existing state is found', () => {
    expect(redisRoutineKey('routines:', 'nightly-report', 'lease')).toBe(
      'routines:{nightly-report}:lease',
    );
    expect(redisRoutineKey('routines:', 'a}b', 'alive')).toBe('routines:{a}b}:alive');
    expect(redisRoutineKey('routines:', '{', 'alive')).toBe('routines:{{}:alive');
  });

  it.each(AWKWARD)('%j: every key of the routine has one non-empty hash tag', (name) => {
    const tags = new Set(WHATS.map((what) => hashedPart(redisRoutineKey('p:', name, what))));
    expect(tags.size).toBe(1);
    const [tag] = tags;
    // Not the whole key: a real tag, the same for all of them.
    expect(WHATS.some((what) => redisRoutineKey('p:', name, what) === tag)).toBe(false);
    expect(tag.length).toBeGreaterThan(0);
  });

  it('never gives two routines the same key', () => {
    const names = [...AWKWARD, ...AWKWARD.map((name) => `~{%${name}`), '~', '~{%}', '%25'];
    for (const what of WHATS) {
      const keys = names.map((name) => redisRoutineKey('p:', name, what));
      expect(new Set(keys).size).toBe(new Set(names).size);
    }
  });

  it.each([
    ...['}x', 'a}b', '{', ''].map((name) => [name, 'a Cluster'] as const),
    ...['}x', ''].map((name) => [name, 'a standalone server'] as const),
  ])(
    "%j: every call of the coordinator and its run markers uses the routine's one hash tag, on %s",
    async (name, on) => {
      // On a standalone server (or Sentinel), claims and acquires also read the engine's mark:
      // scripts may reach any key there. On a Cluster they do not: no engine mark.
      const cluster = on === 'a Cluster';
      const { client, keys: all } = recordingClient(cluster);
      const coordinator = new RedisCoordinator(client as never, { keyPrefix: 'p:' });
      const lease = await coordinator.acquireLease(name, 1000);
      expect(lease).toMatchObject({ epoch: 7 });
      await coordinator.renewLease(lease as never, 1000);
      await coordinator.completeLease(lease as never, 'v1');
      await coordinator.releaseLease(lease as never);
      await coordinator.resetCompletion(name);
      expect(await coordinator.claimSlot(name, 1_767_225_600_000, 1000)).toBe(true);
      await coordinator.releaseSlot(name, 1_767_225_600_000);
      const runs = coordinator.runs;
      await runs.begin(name, { token: 't', ttlMs: 1000, limit: 1, queue: 0, cancel: false });
      await runs.renew(name, 't', 1000);
      await runs.end(name, 't', '{"status":"succeeded"}');
      const keys = all.filter((key) => key !== 'p:~engine');
      expect(all.length - keys.length).toBe(cluster ? 0 : 2); // the acquire and the claim
      expect(keys.length).toBeGreaterThanOrEqual(14);
      const tags = new Set(keys.map(hashedPart));
      expect([...tags]).toEqual([hashedPart(redisRoutineKey('p:', name, 'lease'))]);
      expect(keys.every((key) => key !== [...tags][0])).toBe(true);
    },
  );

  it('refuses, on a Cluster client, a key prefix whose own hash tag is empty', () => {
    const construct = (keyPrefix: string, isCluster: boolean) => () =>
      new RedisCoordinator(recordingClient(isCluster).client as never, { keyPrefix });
    expect(construct('app{}:', true)).toThrow(RoutinesConfigurationError);
    expect(construct('app{}:', true)).toThrow(/empty hash tag/);
    expect(construct('app{}:', false)).not.toThrow();
    expect(construct('app{tenant}:', true)).not.toThrow();
    expect(construct('app{', true)).not.toThrow();
  });
});
