import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { RedisCoordinator } from '../../lib/redis';
import { PeriodicRoutine, SupervisedRoutine, type Lease } from '../../lib/core';
import { describeLeasesContract } from './ports/leases.contract';
import { describeMigrationStateContract } from './ports/migration-state.contract';
import type { PortHarness, PortSetup } from './ports/port-harness';
import { describeReplicaDirectoryContract } from './ports/replica-directory.contract';
import { describeRunMarkersContract } from './ports/run-markers.contract';
import { describeSlotClaimsContract } from './ports/slot-claims.contract';
import { describeStoredControlsContract } from './ports/stored-controls.contract';
import { freePort, killAll, primeRedisRoutine, sleep, ThrowawayRedis, unique } from './support';

const run = promisify(execFile);

/**
 * A three-master Redis Cluster on loopback ports, started by the test. A routine's keys share
 * a hash tag (`{routine}`), so each script touches one hash slot; different routines spread
 * over the masters.
 */
async function startCluster(): Promise<{
  cluster: Cluster;
  ports: number[];
  stop(): Promise<void>;
}> {
  const dir = mkdtempSync(path.join(tmpdir(), 'routines-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const servers = ports.map(
    (port) =>
      new ThrowawayRedis(port, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--dir',
        dir,
      ]),
  );
  await Promise.all(servers.map((server) => server.start()));
  await run('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((port) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  for (let i = 0; i < 100; i++) {
    const { stdout } = await run('redis-cli', ['-p', String(ports[0]), 'cluster', 'info']);
    if (stdout.includes('cluster_state:ok')) break;
    await sleep(100);
  }
  const cluster = new Cluster(
    ports.map((port) => ({ host: '127.0.0.1', port })),
    { enableOfflineQueue: true },
  );
  cluster.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    cluster.once('ready', () => resolve());
    cluster.once('error', reject);
  });
  return {
    cluster,
    ports,
    async stop() {
      cluster.disconnect();
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let starting: ReturnType<typeof startCluster> | undefined;
const started = () => (starting ??= startCluster());

afterAll(async () => {
  await (await starting)?.stop();
  await killAll();
});

/** A RedisCoordinator on the cluster, for the ports' contracts: a key prefix of its own each. */
async function onCluster(): Promise<PortHarness<RedisCoordinator>> {
  const { cluster } = await started();
  const keyPrefix = `${unique('it')}:`;
  return {
    port: () => new RedisCoordinator(cluster, { keyPrefix }),
    prime: (routine) => primeRedisRoutine(cluster, keyPrefix, routine),
  };
}

const ON_CLUSTER = 'RedisCoordinator on a three-master Redis Cluster';
// No engine mark on a Cluster (one node can lose its keys alone): a routine new to it fails
// closed as after a loss, so the new-routine cases are skipped there.
describeSlotClaimsContract(ON_CLUSTER, onCluster, { tellsNewRoutines: false });
describeLeasesContract(ON_CLUSTER, onCluster, { tellsNewRoutines: false });
// The other ports keep their keys under one hash tag each ({replicas}, {controls}, {migrations},
// the routine's): on a Cluster too, each script touches one slot.
describeRunMarkersContract(
  ON_CLUSTER,
  portOn((coordinator) => coordinator.runs),
);
describeMigrationStateContract(
  ON_CLUSTER,
  portOn((coordinator) => coordinator.migrations),
);
describeReplicaDirectoryContract(
  ON_CLUSTER,
  portOn((coordinator) => coordinator.replicas),
);
describeStoredControlsContract(
  ON_CLUSTER,
  portOn((coordinator) => coordinator.controls),
);

/** One of the other ports of a coordinator on the cluster, for its contract. */
function portOn<Port>(pick: (coordinator: RedisCoordinator) => Port): PortSetup<Port> {
  return async () => {
    const { port } = await onCluster();
    return { port: () => pick(port()) };
  };
}

describe('RedisCoordinator on a Redis Cluster', () => {
  it('keeps each routine on one hash slot, spreads routines over the masters, and runs cluster routines', async () => {
    const { cluster, ports } = await started();
    const keyPrefix = `${unique('routines')}:`;
    const coordinator = new RedisCoordinator(cluster, { keyPrefix });
    const names = Array.from({ length: 12 }, (_, i) => `routine-${i}`);
    for (const name of names) {
      await primeRedisRoutine(cluster, keyPrefix, name);
      const lease = (await coordinator.acquireLease(name, 5_000)) as Lease;
      expect(lease.epoch).toBeGreaterThan(0);
      expect(await coordinator.claimSlot(name, Date.now() + 60_000, 60_000)).toBe(true);
      await coordinator.completeLease(lease, 'v1');
    }
    const slots = await Promise.all(
      names.map(
        (name) => cluster.cluster('KEYSLOT', `${keyPrefix}{${name}}:lease`) as Promise<number>,
      ),
    );
    for (const [i, name] of names.entries()) {
      for (const what of ['epoch', 'alive', 'completed', 'slot:1']) {
        expect(await cluster.cluster('KEYSLOT', `${keyPrefix}{${name}}:${what}`)).toBe(slots[i]);
      }
    }
    const owners = new Set<number>();
    const shards = (await cluster.cluster('SLOTS')) as unknown as Array<
      [number, number, [string, number]]
    >;
    for (const slot of slots) {
      const shard = shards.find(([from, to]) => slot >= from && slot <= to)!;
      owners.add(shard[2][1]);
    }
    expect(owners.size).toBeGreaterThan(1);
    expect([...owners].every((port) => ports.includes(port))).toBe(true);

    // Routines on it, end to end: a cluster periodic routine and a cluster background one.
    await primeRedisRoutine(cluster, keyPrefix, 'ticker');
    await primeRedisRoutine(cluster, keyPrefix, 'holder');
    const ran: number[] = [];
    const quiet = { log() {}, warn() {}, error() {} };
    const ticker = new PeriodicRoutine(() => void ran.push(Date.now()), {
      name: 'ticker',
      interval: 100,
      scope: 'cluster',
      coordinator,
      logger: quiet,
    });
    let epoch: number | undefined;
    const holder = new SupervisedRoutine(
      (signal, context) => {
        epoch = context.epoch;
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
      { name: 'holder', scope: 'cluster', coordinator, logger: quiet, lease: { ttl: '2s' } },
    );
    ticker.start();
    holder.start();
    await sleep(700);
    await Promise.all([ticker.stop(), holder.stop()]);
    expect(ran.length).toBeGreaterThanOrEqual(4);
    expect(epoch).toBeGreaterThan(0);
    // Names whose plain `{name}` tag would be empty or cut: each still works on one slot.
    for (const name of ['}x', 'a}b', '{', '}']) {
      await primeRedisRoutine(cluster, keyPrefix, name);
      const lease = (await coordinator.acquireLease(name, 5_000)) as Lease;
      expect(lease.epoch).toBeGreaterThan(0);
      expect(await coordinator.renewLease(lease, 5_000)).toBe(true);
      expect(await coordinator.completeLease(lease, 'v1')).toBe(true);
      const slot = Date.now() + 60_000;
      expect(await coordinator.claimSlot(name, slot, 60_000)).toBe(true);
      expect(await coordinator.claimSlot(name, slot, 60_000)).toBe(false);
      await coordinator.releaseSlot(name, slot);
      const runs = coordinator.runs!;
      const begun = await runs.begin(name, {
        token: 't',
        ttlMs: 5_000,
        limit: 1,
        queue: 0,
        cancel: false,
      });
      expect(begun.state).toBe('running');
      await runs.end(name, 't', JSON.stringify({ status: 'succeeded', finishedAt: 1 }));
    }
    const odd: number[] = [];
    const curly = new PeriodicRoutine(() => void odd.push(Date.now()), {
      name: '}curly',
      interval: 100,
      scope: 'cluster',
      coordinator,
      logger: quiet,
    });
    await primeRedisRoutine(cluster, keyPrefix, '}curly');
    curly.start();
    await sleep(700);
    await curly.stop();
    expect(odd.length).toBeGreaterThanOrEqual(4);
    expect(curly.info().counters.skipped).toBe(0);

    process.stdout.write(
      `[redis cluster] 3 masters on ports ${ports.join(', ')}: 12 routines over ${owners.size} masters, ` +
        `every key of a routine on one hash slot; contract suite passed; a cluster periodic routine ran ${ran.length} times in 700 ms, a lease holder got epoch ${epoch}\n`,
    );
  }, 30_000);
});
