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
  badBackoff: 'must be true, false or { initialDelay, maxDelay, factor }',
  badFactor: 'must be a number of at least 1',
  jitterNotShorterThanInterval: (interval: string) =>
    `must be shorter than the interval (${interval})`,
  intervalNotLongerThanJitter: (jitter: string) => `must be longer than the jitter (${jitter})`,
  setIntervalFunction: 'must be a duration or a cron spec',
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
  completedElsewhere: 'completed on another replica under this version; not running it here',

  // Cluster slots.
  slotNotHandedBack: (slot: string, reason: string) =>
    `could not hand back slot ${slot}; no replica will run it: ${reason}`,
} as const;
