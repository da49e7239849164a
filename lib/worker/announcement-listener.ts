// Type-only: an app that never constructs a PostgresWorkerStore never loads pg.
import type { Pool, PoolClient } from 'pg';
import type { Clock } from '../core/clock';
import { listenSql } from '../postgres/sql/worker/listen.sql';
import { MESSAGES } from './worker.messages';

/** The channel a new row is announced on: the worker that reads that table or queue looks at once. */
export { WORKER_CHANNEL } from './worker-channel';
import { WORKER_CHANNEL } from './worker-channel';

/** How long the listener waits before connecting again after its connection failed or ended. */
const RETRY_MS = 1000;

/**
 * One LISTEN connection per store, held while anyone listens: each notification names a table
 * or a queue, and calls that name's listeners. A connection that fails or ends is made again
 * after a second, on the store's clock; `close()` ends the connection, or the wait, at once.
 */
export class AnnouncementListener {
  /** Ends the current connection's wait, or the wait before the next connection. */
  private hangUp: (() => void) | undefined;
  private readonly listeners = new Map<string, Set<() => void>>();
  private listening: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly clock: Clock,
  ) {}

  /** Calls `onRow` for every notification naming `tableOrQueue`; answers how to stop. */
  on(tableOrQueue: string, onRow: () => void): () => void {
    const set = this.listeners.get(tableOrQueue) ?? new Set();
    set.add(onRow);
    this.listeners.set(tableOrQueue, set);
    this.listening ??= this.listen();
    return () => set.delete(onRow);
  }

  /** Releases the connection and stops connecting again. */
  async close(): Promise<void> {
    this.closed = true;
    this.hangUp?.();
    await this.listening?.catch(() => undefined);
    this.listening = undefined;
  }

  private async listen(): Promise<void> {
    while (!this.closed) {
      await this.session();
      if (!this.closed) await this.pause();
    }
  }

  /** One connection: LISTEN, then wait until it ends (an error, its end, or `close()`). */
  private async session(): Promise<void> {
    let client: PoolClient | undefined;
    try {
      let ended!: Promise<void>;
      client = await new Promise<PoolClient>((resolve, reject) => {
        // The callback form: its listeners are on the client in the same tick as the pool
        // hands it over. With `await pool.connect()` they would come a microtask later, and
        // an 'error' read in the same socket chunk as the connection's readiness (a
        // pg_terminate_backend, a failover) would have no listener and end the process.
        this.pool.connect((error, connected) => {
          if (error || !connected) return reject(error ?? new Error(MESSAGES.noClient));
          ended = new Promise<void>((done) => {
            this.hangUp = done;
            connected.on('error', () => done());
            connected.on('end', () => done());
          });
          resolve(connected);
        });
      });
      client.on('notification', (message) => {
        for (const onRow of this.listeners.get(message.payload ?? '') ?? []) onRow();
      });
      if (!this.closed) {
        await Promise.race([client.query(listenSql(WORKER_CHANNEL)), ended]);
        await ended;
      }
    } catch {
      // Unreachable for now: the workers poll meanwhile; try again shortly.
    } finally {
      this.hangUp = undefined;
      client?.release(true); // never back to the pool: it may still be listening
    }
  }

  /** The wait before connecting again: `RETRY_MS` on the clock, or until `close()`. */
  private pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.clock.setTimer(this.clock.now() + RETRY_MS, () => {
        this.hangUp = undefined;
        resolve();
      });
      this.hangUp = () => {
        this.clock.clearTimer(timer);
        this.hangUp = undefined;
        resolve();
      };
    });
  }
}
