/**
 * What the Nest adapter says: configuration problems (completed by the class, method, option
 * and value; see `RoutinesConfigurationError`), registry errors and log lines.
 */
export const MESSAGES = {
  // Configuration problems.
  notBoolean: 'must be true or false',
  missingInterval: (routine: string) =>
    `is missing: give it in @Periodic('2m') or in the module options under routines['${routine}']`,
  duplicateName: 'is used by more than one routine; names must be unique per app',
  unknownRoutine: (known: string) => `names no routine (known routines: ${known})`,
  overridesNotObject: 'must be an object of routine options',
  unknownOption: (options: string) => `is not a routine option (options: ${options})`,
  optionOfOtherKind: (kind: string, routine: string, actual: string) =>
    `applies to ${kind} routines only, and '${routine}' is a ${actual} routine`,
  notSingleton: (scope: string) =>
    `is a ${scope} provider; routines need a singleton (default-scoped) provider whose dependencies are singletons too`,
  missingMethod: (decorator: string, method: string) =>
    `is decorated with ${decorator} on the class but has no ${method}() method; add ${method}(signal) or decorate a method instead`,
  badVersion: 'must be a string (a deploy id or a git sha)',
  notCoordinator:
    'must implement the Coordinator contract (claimSlot, acquireLease, renewLease, releaseLease)',
  notClock:
    'must implement the Clock interface (now, wallNow, wallOf, setTimer, clearTimer), e.g. a ManualClock',
  importedTwice:
    'is used more than once in this app (forRoot/forRootAsync imported twice), which would run every routine twice; import RoutinesModule once, in the root module (it is global)',

  // Registry errors.
  noSuchRoutine: (name: string, known: string) =>
    `RoutinesRegistry: no routine named '${name}' (known routines: ${known})`,
  periodicOnly: (operation: string, name: string, kind: string) =>
    `RoutinesRegistry.${operation}('${name}'): '${name}' is a ${kind} routine; ${operation}() applies to periodic routines`,
  notClusterBackground: (name: string) =>
    `RoutinesRegistry.resetCompletion('${name}'): '${name}' is not a cluster background routine; only those record a completion`,

  // Log lines.
  clusterOnMemory: (routines: string) =>
    `Cluster-scoped routine(s) ${routines} run on the in-memory coordinator: exclusive within this process only. ` +
    'Pass a RedisCoordinator or PostgresCoordinator as `coordinator` when running several replicas.',
  started: (count: number, list: string) => `Started ${count} routine(s): ${list}`,
  stopping: (count: number, inFlight: number, timeout: string) =>
    `Stopping ${count} routine(s), ${inFlight} run(s) in flight; waiting up to ${timeout}`,
  stopped: (ms: number) => `All routines stopped in ${ms} ms`,
} as const;
