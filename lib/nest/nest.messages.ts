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
  registeredTwice: (className: string, registrations: readonly string[]) =>
    `is used ${registrations.length === 2 ? 'twice' : `${registrations.length} times`} because ${className} is registered ${registrations.length === 2 ? 'twice' : `${registrations.length} times`}, as ${registrations.join(' and as ')}; each registration makes an instance that would run the routine: remove one registration, or register the second with useExisting: ${className} (one instance, one routine)`,
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
  badFeature: (option: string) => `must be true, false or an object of ${option} settings`,
  notPromRegistry: 'must be a prom-client Registry (new Registry(), or the default register)',
  badMetricPrefix: 'must be a valid Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)',
  notTracer: "must be an OpenTelemetry Tracer (trace.getTracer('my-app'))",
  badHistory: (max: number) =>
    `must be a whole number of runs kept per routine, from 0 (none) to ${max}`,
  badHistoryOption: (max: number) =>
    `must be a whole number of runs kept per routine, from 0 (none) to ${max}, or an object of history settings (limit, engine, keepFor, keepRuns)`,
  noEngineHistory: (kind: string) =>
    `asks for the coordinator's run history, and the ${kind} coordinator has none (Coordinator.history)`,
  badKeepRuns: (max: number) => `must be a whole number of runs kept per routine, from 1 to ${max}`,
  badKeepFor:
    "must be a duration from one minute to 366 days (a number of milliseconds, or a string such as '7d' or '12h')",
  notCoordinator:
    'must implement the Coordinator contract (claimSlot, acquireLease, renewLease, releaseLease)',
  notClock:
    'must implement the Clock interface (now, wallNow, wallOf, setTimer, clearTimer), e.g. a ManualClock',
  warningsObject: 'must be an object: { shutdownHooks: false, unprovidedClasses: false }',
  unprovidedSwitch:
    'must be true, false, or { except: [SomeClass] } naming the classes left out of the providers on purpose',
  importedTwice:
    'is used more than once in this app (forRoot/forRootAsync imported twice), which would run every routine twice; import RoutinesModule once, in the root module (it is global)',

  // Registry errors: RoutineNotFoundError's and RoutineActionError's messages.
  routineNotFound: (routine: string, known: readonly string[]) =>
    `RoutinesRegistry: no routine named '${routine}' (known routines: ${known.join(', ') || 'none'})`,
  actionRefused: (routine: string, action: string, reason: string) =>
    `RoutinesRegistry.${action}('${routine}'): ${reason}`,

  // RoutineActionError's reasons (the error names the method and routine).
  periodicOnly: (action: string, name: string) =>
    `'${name}' is a background routine, and ${action}() applies to periodic routines; steer a background routine with stop('${name}'), start('${name}') or restart('${name}')`,
  notTicking: (name: string, state: string) =>
    state === 'idle'
      ? `'${name}' is not started (disabled, or the app has not bootstrapped); start('${name}') starts it`
      : `'${name}' is ${state}; start('${name}') starts it again`,
  cronAsDuration: (name: string, expression: string) =>
    `'${name}' runs on a cron expression, and a string here is a duration; write the expression as { cron: '${expression}' }`,
  otherScheduleForm: (name: string, isCron: boolean) =>
    isCron
      ? `'${name}' runs on a cron expression; give it another one ({ cron: '0 * * * *' }), or declare it with an interval`
      : `'${name}' runs on an interval; give it another one ('5m'), or declare it with a cron expression`,
  notClusterBackground: (name: string) =>
    `'${name}' is not a cluster background routine; only those record a completion`,
  notRemovable: (name: string, source: string) =>
    `'${name}' is declared on ${source}; only routines added with add() can be removed. stop('${name}') stops it`,
  shuttingDown: 'the app is shutting down',
  badPauseOption: (name: string, option: string, value: unknown, message: string) =>
    `pause('${name}'): option '${option}' = ${typeof value === 'string' ? `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'` : String(value)} ${message}`,
  pauseOptionsShape: 'must be { note?, by? }',
  pauseTextTooLong: (max: number) => `must be a string of at most ${max} characters`,
  notWorkerStore: 'must be a PostgresWorkerStore: new PostgresWorkerStore(pool)',
  notAQueue: (name: string) =>
    `'${name}' reads an app table: insert rows into it (enqueue is for workers declared without table)`,
  workerWithoutHandle: '@Worker classes must implement handle(row, job)',
  migrationWithout: (missing: readonly string[]) =>
    `@OutOfBandMigration classes must implement ${missing.map((m) => `${m}()`).join(', ')} (down() may be left out only with nonDestructive: true)`,
  unknownMigrationsOption: 'is not an option of migrations (options: require, wait)',
  migrationsObject: "must be an object: { require: ['id'], wait: '10m' }",
  requireList: "must be an array of migration ids, e.g. ['backfill-upload-size']",
  pluginFailed: (message: string) =>
    `an integration failed while routines started (they run regardless): ${message}`,
  notInitialised:
    'RoutinesModule has not initialised yet; add routines from onModuleInit or later (Nest initialises RoutinesModule before your modules)',
  nameTaken: 'is already the name of a routine; names must be unique per app',
  badName: 'must be a non-empty string',
  addOptions:
    "must be an object: { interval: '5m' } for a periodic routine, { kind: 'background' } for a background one",
  badKind: "must be 'periodic' (the default) or 'background'",
  badHandler: (kind: string, entryPoint: string) =>
    `must be a function (signal, context) or an object with a ${entryPoint}(signal, context) method, for a ${kind} routine`,

  // Log lines.
  clusterOnMemory: (routines: string) =>
    `Cluster-scoped routine(s) ${routines} run on the in-memory coordinator: exclusive within this process only. ` +
    'Pass a RedisCoordinator or PostgresCoordinator as `coordinator` when running several replicas.',
  tinyShutdownTimeout: (value: unknown, ms: number) =>
    `shutdownTimeout is ${JSON.stringify(value)}, that is ${ms} ms: runs in flight at shutdown get ${ms} ms to finish. A bare number is milliseconds; write '${ms}s' for seconds (an environment variable SHUTDOWN_TIMEOUT=${ms} means ${ms} ms)`,
  unprovidedClass: (className: string, routines: readonly string[]) =>
    `class ${className} declares routines (${routines.join(', ')}) but is not a provider of any module in this app, so they never run: add it to the providers of the module that owns it (if it is left out on purpose, say so with warnings: { unprovidedClasses: { except: [${className}] } } in the RoutinesModule options)`,
  noShutdownHooks:
    'Shutdown hooks are not enabled: on SIGTERM the process exits at once without stopping routines, and runs in flight are cut off. ' +
    'Call app.enableShutdownHooks() in main.ts (or set warnings: { shutdownHooks: false } in the RoutinesModule options if the app stops itself with app.close())',
  started: (count: number, list: string) => `Started ${count} routine(s): ${list}`,
  stopping: (count: number, inFlight: number, timeout: string) =>
    `Stopping ${count} routine(s), ${inFlight} run(s) in flight; waiting up to ${timeout}`,
  stopped: (ms: number) => `All routines stopped in ${ms} ms`,
  drainOrderUnavailable:
    "This Nest version does not let routines drain before other providers' onModuleDestroy: " +
    'they drain at the end of that phase instead, before beforeApplicationShutdown and onApplicationShutdown. ' +
    'Close clients the routines use in onApplicationShutdown.',
} as const;
