import {
  beginRun,
  emptyRunMarkers,
  endRun,
  renewRun,
  type BeginAnswer,
  type BeginRun,
  type RenewAnswer,
  type RunMarkerState,
  type RunMarkers,
} from '../core/run-markers';

type Query = (
  text: string,
  values: unknown[],
) => Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;

/** Writes lost to another replica's, in a row, before a call gives up (and the runtime fails closed). */
const MAX_ATTEMPTS = 20;

/** The run markers' table: one row per routine, its state as JSON, a version for compare-and-set. */
export function runTableSql(table: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${table} (routine text PRIMARY KEY, state text NOT NULL, ` +
    `version bigint NOT NULL DEFAULT 0, previous text, updated_at timestamptz NOT NULL DEFAULT now());`
  );
}

/**
 * Run markers in PostgreSQL: the transitions of core/run-markers.ts on the routine's row, read
 * with the database clock and written back only if no other replica wrote it meanwhile (a
 * version compare-and-set, retried): two single statements per call, no transaction held
 * open, no advisory lock, so it works behind PgBouncer in transaction mode too.
 *
 * Epochs start from the database clock in µs, so they keep growing when the table is
 * dropped and created again.
 */
export class PostgresRunMarkers implements RunMarkers {
  constructor(
    private readonly query: Query,
    private readonly table: string,
  ) {}

  async begin(routine: string, request: BeginRun): Promise<BeginAnswer> {
    let previous: string | undefined;
    const answer = await this.update(routine, (state, now, row) => {
      state.epoch = Math.max(state.epoch, Math.floor(now * 1000));
      previous = typeof row.previous === 'string' ? row.previous : undefined;
      return beginRun(state, request, now);
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
      const written = await this.query(
        `UPDATE ${this.table} SET state = $2, version = version + 1, updated_at = now()` +
          (previous === undefined ? '' : ', previous = $4') +
          ` WHERE routine = $1 AND version = $3`,
        previous === undefined
          ? [routine, JSON.stringify(state), row.version]
          : [routine, JSON.stringify(state), row.version, previous],
      );
      if (written.rowCount === 1) return result;
      if (attempt === MAX_ATTEMPTS)
        throw new Error(`run markers of '${routine}': too much contention`);
    }
  }

  private async read(routine: string): Promise<Record<string, unknown>> {
    const select =
      `SELECT state, version::text AS version, previous, ` +
      `extract(epoch from clock_timestamp()) * 1000 AS now FROM ${this.table} WHERE routine = $1`;
    let result = await this.query(select, [routine]);
    if (result.rows.length === 0) {
      await this.query(
        `INSERT INTO ${this.table} (routine, state) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [routine, JSON.stringify(emptyRunMarkers())],
      );
      result = await this.query(select, [routine]);
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
