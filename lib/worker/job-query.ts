import { JOB_STATES, type JobState } from './worker-table';
import type { JobFilter, JobQuery } from './interfaces/job-list.interface';
import { MESSAGES } from './worker.messages';

/** Rows in a page unless the query says. */
export const DEFAULT_JOB_PAGE = 50;
/** The most rows a page holds: a page is read at once, payloads included. */
export const MAX_JOB_PAGE = 500;
/** The most ids one action names. */
export const MAX_ACTION_IDS = 1000;

/** The parameters of `jobFilterSql`: ids, states, a search text, payloads to contain. */
export type FilterParameters = [string[] | null, string[] | null, string | null, string[] | null];

/** What the list and the actions need of a table to read a query. */
export interface QueryTarget {
  /** How errors name the call: `PostgresWorkerTable(uploads).jobs`. */
  readonly call: string;
  /** Whether rows have a dedupe key and a payload (the library's job table). */
  readonly byQueue: boolean;
  /** The id column's type, to refuse an id of another type with a clear message. */
  readonly idType: string;
  /** The table, as errors name it. */
  readonly table: string;
}

/** A bad argument of a list or an action, naming the call, the option and the value. */
function bad(target: QueryTarget, option: string, value: unknown, message: string): RangeError {
  return new RangeError(MESSAGES.badJobArgument(target.call, option, shown(value), message));
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The states asked for, each checked; null for every state. */
function statesOf(target: QueryTarget, state: unknown): string[] | null {
  if (state === undefined) return null;
  const states = Array.isArray(state) ? (state as unknown[]) : [state];
  for (const one of states) {
    if (!JOB_STATES.includes(one as JobState)) {
      throw bad(target, 'state', one, MESSAGES.notJobState(JOB_STATES));
    }
  }
  return states.length === 0 ? null : [...new Set(states as string[])];
}

/**
 * A search as the filter's parameters: a JSON object or `field=value` searches payloads (by
 * containment), anything else ids and keys. An empty search searches nothing.
 */
function searchOf(target: QueryTarget, search: unknown): [string | null, string[] | null] {
  if (search === undefined || search === null) return [null, null];
  if (typeof search !== 'string') throw bad(target, 'search', search, MESSAGES.notSearch);
  const text = search.trim();
  if (text === '') return [null, null];
  const field = /^([^=\s{"]+)=(.*)$/s.exec(text);
  if (!text.startsWith('{') && !field) return [text, null];
  if (!target.byQueue) throw bad(target, 'search', search, MESSAGES.noPayloadSearch(target.table));
  if (field) return [null, fieldContainments(field[1], field[2])];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw bad(target, 'search', search, MESSAGES.notPayloadJson);
  }
  return [null, [JSON.stringify(parsed)]];
}

/** `to=a@b` matches `{"to":"a@b"}`; `n=42` matches `{"n":"42"}` and `{"n":42}`. */
function fieldContainments(name: string, value: string): string[] {
  const containments = [JSON.stringify({ [name]: value })];
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'string') containments.push(JSON.stringify({ [name]: parsed }));
  } catch {
    // Not JSON: the text only.
  }
  return containments;
}

const INTEGER_TYPES = ['bigint', 'integer', 'smallint'];
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Whether `id` reads as a value of the id column's type (PostgreSQL would fail the statement). */
export function idFitsType(id: string, idType: string): boolean {
  if (INTEGER_TYPES.includes(idType)) return /^-?\d{1,18}$/.test(id);
  if (idType === 'uuid') return UUID.test(id);
  return true;
}

function idsOf(target: QueryTarget, ids: unknown): string[] {
  const valid =
    Array.isArray(ids) &&
    ids.length > 0 &&
    ids.length <= MAX_ACTION_IDS &&
    ids.every(
      (id) => typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)),
    );
  if (!valid) throw bad(target, 'ids', ids, MESSAGES.notIds(MAX_ACTION_IDS));
  const strings = (ids as unknown[]).map(String);
  const wrong = strings.find((id) => !idFitsType(id, target.idType));
  if (wrong !== undefined) throw bad(target, 'ids', wrong, MESSAGES.notIdOfType(target.idType));
  return [...new Set(strings)];
}

/**
 * An action's filter as `jobFilterSql`'s parameters: ids, or states (and a search). Refuses a
 * filter with nothing in it (it never means every row), both ids and a state, and a search
 * without a state.
 */
export function actionFilter(target: QueryTarget, filter: JobFilter | undefined): FilterParameters {
  const given = (filter ?? {}) as Partial<Record<'ids' | 'state' | 'search', unknown>>;
  const hasSearch = typeof given.search === 'string' && given.search.trim() !== '';
  if (given.ids !== undefined) {
    if (given.state !== undefined || hasSearch) {
      throw bad(target, 'filter', filter, MESSAGES.idsAndState);
    }
    return [idsOf(target, given.ids), null, null, null];
  }
  const states = statesOf(target, given.state);
  if (!states) {
    throw bad(
      target,
      'filter',
      filter,
      hasSearch ? MESSAGES.searchWithoutState : MESSAGES.emptyFilter,
    );
  }
  const [search, contains] = searchOf(target, given.search);
  return [null, states, search, contains];
}

/** A list's query as `listJobsSql`'s parameters, but the queue: the filter, the cursor, the limit. */
export function listParameters(target: QueryTarget, query: JobQuery = {}): unknown[] {
  const limit = query.limit ?? DEFAULT_JOB_PAGE;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_JOB_PAGE) {
    throw bad(target, 'limit', limit, MESSAGES.notLimit(MAX_JOB_PAGE));
  }
  const [search, contains] = searchOf(target, query.search);
  const [micros, id] = query.before === undefined ? [null, null] : cursorOf(target, query.before);
  // One row more than the page: whether there is a next page, without counting.
  return [null, statesOf(target, query.state), search, contains, micros, id, limit + 1];
}

/** The cursor after a row: its `queued_at` in microseconds and its id, opaque (base64url JSON). */
export function jobCursor(micros: string, id: string): string {
  return Buffer.from(JSON.stringify([micros, id])).toString('base64url');
}

function cursorOf(target: QueryTarget, cursor: unknown): [string, string] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const valid =
    typeof cursor === 'string' &&
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'string' &&
    /^-?\d{1,19}$/.test(parsed[0]) &&
    typeof parsed[1] === 'string' &&
    idFitsType(parsed[1], target.idType);
  if (!valid) throw bad(target, 'before', cursor, MESSAGES.notCursor);
  return parsed as [string, string];
}
