import { formatDuration } from '../core';

/** How long ago `at` was, seen at `now`: to the second, "just now" below one. */
const ago = (now: number, at: number): string =>
  now - at < 1000 ? 'just now' : `${formatDuration(Math.round((now - at) / 1000) * 1000)} ago`;

/** What a required migration's advice says of its last error (empty when it has none recent). */
const lastError = (error: { message: string; at: number } | undefined, now: number): string =>
  error ? `; last error: ${error.message} (${ago(now, error.at)})` : '';

const waited = (waitMs: number): string =>
  waitMs > 0 ? ` after waiting ${formatDuration(waitMs)}` : '';

export const MESSAGES = {
  // @OutOfBandMigration options, checked at bootstrap.
  migrationIdTaken: 'is the id of another @OutOfBandMigration; ids must be unique',
  migrationId: 'must be a non-empty string, stable across versions (its state is stored under it)',
  migrationDescription: 'must be a string saying what the migration does',
  notBooleanOption: 'must be true or false',
  routineSource: (id: string) => `RoutinesModule (out-of-band migration '${id}')`,
  routineDescription: (id: string) =>
    `runs the out-of-band migration '${id}', one batch per interval, on the one replica that holds its lease among those that declare it`,

  // registry.migrations.
  noDown: (id: string) =>
    `'${id}' has no down() (declared nonDestructive): it cannot run in reverse`,
  migrationsNotReady: 'RoutinesModule has not initialised yet: migrations are known once it has',

  // The runner.
  complete: (id: string, direction: string) =>
    `out-of-band migration '${id}' is complete (${direction})`,
  batchFailed: (id: string, direction: string, message: string, failures: number) =>
    `out-of-band migration '${id}' (${direction}): ${message}; ${failures} failure(s) in a row, retrying`,
  badProgress: (progress: unknown) =>
    `progress() must give a number from 0 to 1, not ${String(progress)}`,
  fenced: (id: string, epoch: number) =>
    `out-of-band migration '${id}': a runner with a newer lease stored its progress; epoch ${epoch} stops`,
  reverseWithoutDown: 'it is set to run in reverse but has no down()',
  timedOut: (what: string, timeoutMs: number) => `${what} ran past its timeout of ${timeoutMs} ms`,

  // The boot gate (module option `migrations`).
  unknownRequired: (known: readonly string[]) =>
    `names no migration declared here or stored by an earlier version${known.length ? ` (known: ${known.join(', ')})` : ''}`,
  waiting: (waitMs: number, required: readonly string[]) =>
    `waiting up to ${formatDuration(waitMs)} for out-of-band migration(s) ${required.map((id) => `'${id}'`).join(', ')}; running them here meanwhile`,
  unreadable: (waitMs: number, message: string) =>
    `RoutinesModule refuses to start${waited(waitMs)}: the state of the required out-of-band migrations could not be read (${message})`,
  notComplete: (waitMs: number, each: readonly string[]) =>
    `RoutinesModule refuses to start${waited(waitMs)}: out-of-band migration(s) not complete: ${each.join('; ')}`,
  pending: (id: string, progress: number, advice: string) =>
    `'${id}' ${Math.floor(progress * 100)}%${advice}`,
};

/** What the gate says holds a required migration back; the situations are told apart by the gate. */
export const ADVICE = {
  reversed: (id: string) => `, set to run in reverse (registry.migrations.forward('${id}'))`,
  eta: (etaMs: number) =>
    `, about ${formatDuration(Math.max(1000, Math.round(etaMs / 1000) * 1000))} left at its recent rate`,
  lastError,
  failing: (error: { message: string; at: number }, now: number) =>
    `; last error: ${error.message} (${ago(now, error.at)}): its batches fail, and the replica that holds its lease retries at its pace; fix the cause`,
  elsewhere: (measured: number, now: number) =>
    `driven by another replica that declares it and holds its lease (measured ${ago(now, measured)})`,
  undeclared: (before: string, elsewhere: string | undefined) =>
    `${before}; this version does not declare it, so only a replica of a version that declares it can run it${elsewhere ? `; ${elsewhere}: let it finish` : ', and none does now'}`,
  drivenHere: (before: string, epoch: number, moving: boolean) =>
    `${before}; driven here (lease epoch ${epoch}): ${moving ? 'give migrations.wait more than that' : 'give migrations.wait more time'}`,
  drivenElsewhere: (before: string, elsewhere: string, moving: boolean) =>
    `${before}; ${elsewhere}: let it finish${moving ? ', or wait longer than that' : ''}`,
  measured: (measured: number | undefined, now: number) =>
    measured === undefined ? 'never measured' : `last measured ${ago(now, measured)}`,
  undrivenAfterWait: (before: string, when: string) =>
    `${before}; no replica drives it (${when}) although this one waited for its lease: another replica that declares it holds the lease and measures nothing (a batch that hangs: give the migration a timeout), or the engine holds leases back (see the log)`,
  undriven: (before: string, when: string) =>
    `${before}; no replica drives it (${when}): no running replica that declares it holds its lease. Give RoutinesModule migrations: { wait: '10m' } to run it here first`,
};
