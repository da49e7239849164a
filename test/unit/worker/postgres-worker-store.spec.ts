/**
 * PostgresWorkerStore without a server: the payload limit, the stored message cap, and the
 * LISTEN connection's error listener in place before any await.
 */
import { EventEmitter } from 'node:events';
import { RoutinesConfigurationError } from '../../../lib/core/errors';
import { ManualClock } from '../../../lib/core/manual-clock';
import { PostgresWorkerStore } from '../../../lib/worker/postgres-worker-store';
import { PayloadTooLargeError } from '../../../lib/worker/worker.errors';
import { storedMessage } from '../../../lib/worker/stored-message';

/** A pool whose `query` records calls and answers nothing. */
function recordingPool() {
  const queries: string[] = [];
  return {
    queries,
    pool: {
      totalCount: 0,
      idleCount: 0,
      on: () => undefined,
      listenerCount: () => 1,
      query: async (text: string) => {
        queries.push(text);
        return { rows: [{ id: '1' }] };
      },
    },
  };
}

describe('PostgresWorkerStore.enqueue: the payload limit', () => {
  it('refuses a payload over maxPayloadBytes (default 1 MiB) before any query, naming the queue, the option and the size', async () => {
    const { pool, queries } = recordingPool();
    const store = new PostgresWorkerStore(pool);
    const big = { data: 'x'.repeat(2 * 1024 * 1024) };
    const error = (await store.enqueue('emails', big).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error.message).toContain("queue 'emails'");
    expect(error.message).toContain('maxPayloadBytes (1048576)');
    expect(error.message).toContain(`${JSON.stringify(big).length} bytes`);
    expect(queries).toEqual([]);
    // Multi-byte characters count as bytes, not characters.
    const small = new PostgresWorkerStore(pool, { maxPayloadBytes: 100 });
    await expect(small.enqueue('emails', 'é'.repeat(60))).rejects.toThrow(/122 bytes/);
    await expect(small.enqueue('emails', 'é'.repeat(40))).resolves.toBe('1');
  });

  it('refuses a maxPayloadBytes that is not a whole positive number', () => {
    const { pool } = recordingPool();
    expect(() => new PostgresWorkerStore(pool, { maxPayloadBytes: 0 })).toThrow(
      RoutinesConfigurationError,
    );
    expect(() => new PostgresWorkerStore(pool, { maxPayloadBytes: Number.NaN })).toThrow(
      /maxPayloadBytes/,
    );
  });
});

describe('storedMessage: failure_message capped at 8 KB', () => {
  it('keeps short messages as they are', () => {
    expect(storedMessage('boom')).toBe('boom');
    expect(storedMessage('x'.repeat(8192))).toBe('x'.repeat(8192));
  });

  it('cuts a long one on a character boundary, marked with the bytes cut', () => {
    const cut = storedMessage('€'.repeat(5000)); // 15,000 bytes
    expect(cut).toMatch(/^€+… \[cut: \d+ bytes\]$/);
    const kept = cut.slice(0, cut.indexOf('…'));
    expect(Buffer.byteLength(kept)).toBe(8190); // 2730 whole characters
    expect(cut).toContain(`[cut: ${15_000 - 8190} bytes]`);
  });

  it('writes NUL characters, which PostgreSQL text refuses, as \\0', () => {
    expect(storedMessage('a\u0000b')).toBe('a\\0b');
  });
});

describe('PostgresWorkerStore: the LISTEN connection', () => {
  /**
   * A pool that hands over a client and, in the same tick (as when the connection's readiness
   * and a termination arrive in one socket read), makes it emit 'error'.
   */
  function terminatingPool() {
    const clients: EventEmitter[] = [];
    const make = () => {
      const client = Object.assign(new EventEmitter(), {
        query: () => new Promise(() => undefined),
        release: () => undefined,
      });
      clients.push(client);
      return client;
    };
    const terminated: EventEmitter[] = [];
    const terminate = (client: EventEmitter) => {
      terminated.push(client);
      client.emit('error', new Error('terminating connection due to administrator command'));
    };
    const pool = {
      ...recordingPool().pool,
      connect(callback?: (error: Error | undefined, client: unknown, release: () => void) => void) {
        const client = make();
        if (callback) {
          setImmediate(() => {
            callback(undefined, client, () => undefined);
            terminate(client);
          });
          return undefined;
        }
        return new Promise((resolve) =>
          setImmediate(() => {
            resolve(client);
            terminate(client);
          }),
        );
      },
    };
    return { pool, clients, terminated };
  }

  it("has its 'error' listener before the pool's connect returns to any await", async () => {
    const { pool, clients, terminated } = terminatingPool();
    const store = new PostgresWorkerStore(pool);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onUncaught);
    try {
      store.onAnnounced('emails', () => undefined);
      // Until a client has emitted its 'error' (an unheard one throws then and there), not a
      // fixed 50 ms: on a busy machine that timer could fire before the pool's setImmediate,
      // and the test pass without the error ever being emitted. 10 s is only a hang guard.
      const deadline = Date.now() + 10_000;
      while (terminated.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(terminated.length).toBeGreaterThanOrEqual(1);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      for (const listener of listeners) process.on('uncaughtException', listener);
      await store.close();
    }
    expect(uncaught).toEqual([]);
    expect(clients.length).toBeGreaterThanOrEqual(1);
  });

  it('waits a second on its clock before connecting again, and close() ends that wait at once', async () => {
    const clock = new ManualClock(1_000_000);
    let connects = 0;
    const pool = {
      ...recordingPool().pool,
      connect(callback: (error: Error | undefined, client: unknown) => void) {
        connects++;
        callback(new Error('connect ECONNREFUSED'), undefined);
      },
    };
    const store = new PostgresWorkerStore(pool, { clock });
    store.onAnnounced('emails', () => undefined);
    await clock.flush();
    expect(connects).toBe(1);
    await clock.advance(999);
    expect(connects).toBe(1);
    await clock.advance(1);
    expect(connects).toBe(2);
    let closed = false;
    void store.close().then(() => (closed = true));
    await clock.flush(); // no time passes
    expect(closed).toBe(true);
    await clock.advance(5000);
    expect(connects).toBe(2);
  });
});
