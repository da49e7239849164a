/**
 * What the framework-free runtime says: option problems (completed by the option's owner, name
 * and value; see `describeProblem`) and log lines (prefixed by the routine's logger with its
 * name). Kept in one place so their wording stays consistent and tests can refer to them.
 */
export const MESSAGES = {
  // Option problems: each completes "Class.method (routine 'x'): option 'o' = value ...".
  periodicHandler: 'must be a function or an object with a handle(signal) method',
  backgroundHandler: 'must be a function or an object with a start(signal) method',
  badConcurrency: 'must be a whole number of at least 1 (or a function returning one)',
  notBoolean: 'must be true or false',
  badScope: `must be 'instance' or 'cluster'`,
  badMissed: `must be 'skip' or 'once'`,
  runMarkerNotEnded: (reason: string) =>
    `could not end its run marker (${reason}); it expires after its ttl, and the next slot waits until then`,
  noRunMarkers: (kind: string, policy: string) =>
    `cannot hold across replicas: the '${kind}' coordinator has no run markers (Coordinator.runs), so overlap '${policy}' is not available in cluster scope with it`,
  leaseOnlyInCluster:
    'applies to cluster scope only (the run marker that holds overlap across replicas)',
  missedWithCatchUp: `is the shorthand of catchup ('once' is catchup: { window: Infinity, max: 1 }): give one of the two`,
  badCatchUp: `must be { window, max? }: window a duration or Infinity, max a whole number (default 1)`,
  unknownCatchUpKey: 'is not a catchup option; the known ones are window and max',
  catchUpWindowMissing: `is required: how late a due time may start and still run ('1h', or Infinity)`,
  badCatchUpMax: `must be a whole number from 1 to 1000 (how many late due times run)`,
  catchUpNeedsDueTimes:
    'needs due times ahead: an interval function is read after each run, so no tick is ever missed',
  previousTooLarge: (bytes: number, max: number) =>
    `the handler returned ${bytes} bytes of JSON; ctx.previous keeps at most ${max}: the value is not kept (return a cursor, not the data)`,
  previousNotJson: (reason: string) =>
    `the handler returned a value that is not JSON (${reason}); ctx.previous does not keep it`,
  startedCallbackFailed: "trigger()'s started callback threw (the run goes on)",
  recorderFailed:
    'the run recorder threw (the routine goes on; said again only if it fails after working)',
  backfillRefused: (name: string, why: string) => `backfill of '${name}' refused: ${why}`,
  backfillBadTime: (option: 'from' | 'to', value: unknown) =>
    `${option} must be a Date or epoch milliseconds, not ${String(value)}`,
  backfillReversed: 'to is before from',
  backfillInFuture: 'to is in the future: backfill runs past due times',
  backfillIntervalFunction: 'an interval function has no due times to backfill',
  backfillTooLong: (max: number) =>
    `the range holds more than ${max} due times; backfill a shorter one at a time`,
  backfillClaimFailed: (slot: string) =>
    `could not claim backfill slot ${slot} (not run here; another replica may run it)`,
  badOverlap: `must be 'skip', 'buffer-one', 'buffer-all', 'cancel-other' or 'allow'`,
  overlapOneAtATime: (policy: string) =>
    `must be 1 (left out) with overlap: '${policy}', which runs one at a time; use overlap: 'allow' for runs side by side`,
  allowNeedsConcurrency: `'allow' runs several at once: give concurrency (above 1) too, or leave overlap out to skip`,
  overlapNotInCluster: (policy: string) =>
    `'${policy}' is not available in cluster scope yet (runs of one slot could not wait for another replica's); use 'skip' there`,
  badMaxBuffered: 'must be a whole number, at least 1',
  alignNeedsInterval: 'applies to a fixed interval (cron times are on the wall clock already)',
  phaseNeedsInterval: 'applies to a fixed interval (a cron expression says its own minute)',
  phaseNotBelowInterval: (interval: string) => `must be below the interval (${interval})`,
  phaseNeedsGrid:
    "places ticks on the shared wall-clock grid: use scope: 'cluster', or align: true for an instance routine",
  badTime: 'must be a Date, epoch milliseconds, or an ISO 8601 time such as 2026-12-24T00:00:00Z',
  endBeforeStart: 'must be after startAt',
  badMaxRuns: 'must be a whole number, at least 1',
  maxRunsNotInCluster:
    'is not available in cluster scope yet (it would count the runs of one replica); use endAt there',
  maxBufferedWithout: (policy: string) =>
    `applies to overlap: 'buffer-all' only (this routine's overlap is '${policy}')`,
  badBackoff: 'must be true, false or { initialDelay, maxDelay, factor }',
  badFactor: 'must be a number of at least 1',
  jitterNotShorterThanInterval: (interval: string) =>
    `must be shorter than the interval (${interval})`,
  intervalNotLongerThanJitter: (jitter: string) => `must be longer than the jitter (${jitter})`,
  setIntervalFunction: 'must be a duration or a cron spec',
  cronWhereDuration: (text: string) =>
    `looks like a cron expression, but a string here is a duration ('90s', '2m'); for a cron schedule write { cron: '${text}' }`,
  badRestart: 'must be false or { maxRestarts, within, initialDelay, maxDelay }',
  badMaxRestarts: 'must be a whole number of at least 0',
  badLease: 'must be { ttl, renewEvery, retryEvery }',
  leaseTooShort: (min: string) =>
    `must be at least ${min}: a shorter lease cannot be renewed in time over a network (it would be taken and lost over and over)`,
  renewTooSlow: (deadline: string) =>
    `must be shorter than two thirds of the lease ttl (${deadline}), the deadline past which the holder gives the lease up`,
  clusterCronRunOnStart:
    'is not supported for cron schedules in cluster scope: replicas could not agree on the slot',

  // Periodic runs.
  runFailed: 'run failed',
  handleErrorThrew: 'handleError threw',
  onShutdownFailed: 'onShutdown failed',
  listenerThrew: 'event listener threw',
  runTimedOut: (timeout: string) => `run exceeded its timeout of ${timeout}; aborting its signal`,
  tooManyReinvocations: (max: number) =>
    `asked to be reinvoked ${max} times in a row; waiting for the next tick`,
  badConcurrencyValue: (value: string, kept: number) =>
    `concurrency function returned ${value}; keeping ${kept}`,
  setIntervalRefused: (routine: string, value: string, problem: string) =>
    `${routine}: setInterval(${value}) ${problem}`,
  badNextRunsCount: (routine: string, count: unknown, max: number) =>
    `${routine}: nextRuns(${String(count)}) needs a whole number from 0 to ${max}`,

  // Background routines.
  restartingIn: (delay: string) => `restarting in ${delay}`,
  gaveUp: (failures: number) =>
    `gave up: failed ${failures} times within its restart window; marked failed`,
  attemptFailed: 'failed',
  stopFailed: 'stop() failed',
  failedWhileStopping: (message: string) => `failed while stopping: ${message}`,
  failedAfterLeaseLost: (message: string) =>
    `ended with an error after losing its lease: ${message}`,
  completed: 'start() returned; the routine has completed and will not be restarted',
  returnedAtOnce:
    'start() returned at once, without a promise, and the routine has no stop(): it is completed now, and nothing will stop what it left running (a timer, a listener) on shutdown. Make start() return a promise that settles when its signal aborts (await a loop), or give the handler a stop() method',
  completedElsewhere: 'completed on another replica under this version; not running it here',

  // Leases.
  leaseTaken: (epoch: number, kind: string) =>
    `took the cluster lease (epoch ${epoch}) on the ${kind} coordinator`,
  leaseLost: (error: string, cause: string) => `${error}: ${cause}; aborting its signal`,
  completionNotRecorded: (reason: string) =>
    `could not record its completion (another replica may run it again once the lease expires): ${reason}`,
  leaseNotReleased: (reason: string) =>
    `could not release its lease (it expires on its own): ${reason}`,

  // Coordinator outages.
  outageBegan: (kind: string, what: string, reason: string) =>
    `the ${kind} coordinator failed (${what}): ${reason}. ` +
    'Until it answers again, cluster slots are skipped (counted as claim-error) and no replica ' +
    'takes a lease; further failures are counted, not logged',
  outageEnded: (kind: string, failures: number, over: string) =>
    `the ${kind} coordinator answers again, after ${failures} failed call(s) over ${over}`,
  heldBack: (kind: string, what: string, reason: string) =>
    `the ${kind} coordinator refused (${what}): ${reason}. Said once: the same refusals after it are not logged`,

  // The monitor and stop groups.
  signalReceived: (signal: string, count: number) =>
    `received ${signal}; stopping ${count} routine(s)`,
  stopRoutine: (routine: string, reason: string) => `stop routine "${routine}": ${reason}`,
  stopRoutineFailed: (routine: string) => `stop routine "${routine}" failed`,
  routineFailed: (routine: string) => `routine "${routine}" failed`,
  didNotStop: (timeout: string, routines: string[]) =>
    `${routines.length} routine(s) did not stop within ${timeout}: ${routines.join(', ')}`,

  // Cluster slots.
  slotNotHandedBack: (slot: string, reason: string) =>
    `could not hand back slot ${slot}; no replica will run it: ${reason}`,
} as const;
