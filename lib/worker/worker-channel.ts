/** The channel `enqueue` notifies and idle workers LISTEN on, so a new job starts at once. */
export const WORKER_CHANNEL = 'routines_worker';
