import type {
  BeginAnswer,
  BeginRun,
  RenewAnswer,
  RunMarkerState,
  RunMarkers,
} from '../cluster/ports';
import { beginRun, emptyRunMarkers, endRun, renewRun } from '../cluster/run-marker-transitions';
import { insertRunMarkersSql } from './sql/insert-run-markers.sql';
import { readRunMarkersSql } from './sql/read-run-markers.sql';
import { writeRunMarkersSql } from './sql/write-run-markers.sql';

type Query = (
  text: string,
  values: unknown[],
) => Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;

/** Writes lost to another replica's, in a row, before a call gives up (and the runtime fails closed). */
const MAX_ATTEMPTS = 20;

/**
 * Run markers in PostgreSQL: the transitions of ../cluster/run-marker-transitions.ts on the
 * routine's row, read with the database clock and written back only if no other replica
 * wrote it meanwhile (a version compare-and-set, retried): two single statements per call, no transaction held
 * open, no advisory lock, so it works behind PgBouncer in transaction mode too.
 *
 * A run's epoch is at least the database clock in µs (the larger of the last epoch plus one
 * and the clock, when a run begins: as the Lua of the Redis coordinator), so epochs keep growing
 * when the table is dropped and created again. test/integration/run-marker-protocol.spec.ts runs
 * the same cases through these, the TypeScript transitions alone and the Lua.
 */
export class PostgresRunMarkers implements RunMarkers {
  private readonly sql: Record<'read' | 'insert' | 'write', string>;

  constructor(
    private readonly query: Query,
    table: string,
  ) {
    this.sql = {
      read: readRunMarkersSql(table),
      insert: insertRunMarkersSql(table),
      write: writeRunMarkersSql(table),
    };
  }

  async begin(routine: string, request: BeginRun): Promise<BeginAnswer> {
    let previous: string | undefined;
    const answer = await this.update(routine, (state, now, row): BeginAnswer => {
      previous = typeof row.previous === 'string' ? row.previous : undefined;
      const given = state.epoch;
      const answer = beginRun(state, request, now);
      if (answer.state !== 'running' || state.epoch === given) return answer;
      // A run began: its epoch is at least the database's clock in µs, as the Lua's is
      // (max(epoch, micros) + 1). Only then: the stored epoch stays the last one given to a
      // run, and a retried begin of a running run answers that run's own epoch.
      state.epoch = Math.max(given, Math.floor(now * 1000)) + 1;
      return { state: 'running', epoch: state.epoch };
    });
    return answer.state === 'running' && previous !== undefined ? { ...answer, previous } : answer;
  }

  renew(routine: string, token: string, ttlMs: number): Promise<RenewAnswer> {
    return this.update(routine, (state, now) => renewRun(state, token, ttlMs, now));
  }

  /** `previous` is written only if the run still held its marker (see `endRun`). */
  async end(routine: string, token: string, previous?: string): Promise<void> {
    await this.update(
      routine,
      (state, now) => endRun(state, token, now),
      (held) => (held ? previous : undefined),
    );
  }

  /** Reads the row, applies `step`, writes it back if unchanged meanwhile; else again. */
  private async update<T>(
    routine: string,
    step: (state: RunMarkerState, now: number, row: Record<string, unknown>) => T,
    /** The `previous` to write with the step's result, if any. */
    previousOf?: (result: T) => string | undefined,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const row = await this.read(routine);
      const state = parseState(row.state);
      const result = step(state, Number(row.now), row);
      const previous = previousOf?.(result);
      const written = await this.query(this.sql.write, [
        routine,
        JSON.stringify(state),
        row.version,
        previous ?? null,
      ]);
      if (written.rowCount === 1) return result;
      if (attempt === MAX_ATTEMPTS)
        throw new Error(`run markers of '${routine}': too much contention`);
    }
  }

  private async read(routine: string): Promise<Record<string, unknown>> {
    let result = await this.query(this.sql.read, [routine]);
    if (result.rows.length === 0) {
      await this.query(this.sql.insert, [routine, JSON.stringify(emptyRunMarkers())]);
      result = await this.query(this.sql.read, [routine]);
    }
    return result.rows[0];
  }
}

function parseState(raw: unknown): RunMarkerState {
  try {
    const state = JSON.parse(String(raw)) as Partial<RunMarkerState>;
    return {
      running: Array.isArray(state.running) ? state.running : [],
      waiting: Array.isArray(state.waiting) ? state.waiting : [],
      epoch: Number(state.epoch) || 0,
    };
  } catch {
    return emptyRunMarkers();
  }
}
