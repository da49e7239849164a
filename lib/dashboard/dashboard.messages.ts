export const MESSAGES = {
  unguardedControl:
    'control: true opens endpoints that trigger and pause routines; give at least one guard (guards: [AuthGuard]), or set allowUnguardedControl: true if that is meant',
  notGuard: 'must be a guard class or an object with canActivate()',
  notPath: "must be a path such as '/routines' (letters, digits, '-', '_', '.', '/')",
  notStringArray: 'must be an array of origins such as https://ops.example.com',
  notBoolean: 'must be true or false',
  notFromFactory:
    'is given to forRootAsync itself, next to useFactory (routes are declared before any factory runs)',
  notString: 'must be a string',
  notObject: 'must be an object or false',
  notFunction: 'must be a function (request) => string | undefined',
  expiryTooShort: 'must be longer than publishEvery, or replicas drop out between two snapshots',
  directoryFailed: (message: string) =>
    `the coordinator did not answer (${message}): this replica only`,
  publishFailed: (message: string) =>
    `could not publish this replica to the coordinator (${message}); the page elsewhere will drop it after the expiry. Retrying`,
  publishBack: 'the coordinator answers again (publishing)',
  crossSite: (origin: string) =>
    `control request refused: it comes from another site (${origin}); add the origin to trustedOrigins if it is yours`,
  // Who the request is for (forwarded headers, the Host check).
  notHostArray:
    "must be an array of host names such as 'ops.example.com', 'ops.example.com:8080' or '.example.com' (no scheme, no path)",
  forgetTooShort:
    'must be longer than twice publishEvery: a replica that stops publishing is shown as lost after twice publishEvery, and forgotten after forgetAfter',
  hostRefused: (host: string) =>
    `control request refused: it is addressed to host '${host}', which this console does not answer for (a DNS-rebinding page, or a missing name); add the host to allowedHosts if it is yours`,
  invalidEntries: (count: number, replica: string) =>
    `${count} invalid entries from replica ${replica} left out of the page (another version, or a corrupt snapshot)`,
  intervalUnderMinInterval: (interval: string, min: string) =>
    `interval '${interval}' is under the dashboard's minInterval '${min}'; give a longer one, or lower minInterval in RoutinesDashboardModule.forRoot`,
  cronUnderMinInterval: (cron: string, gap: string, min: string) =>
    `cron '${cron}' fires ${gap} apart, under the dashboard's minInterval '${min}'; give a longer one, or lower minInterval in RoutinesDashboardModule.forRoot`,
  audited: (entry: {
    action: string;
    target: string;
    scope: string;
    operator?: string;
    note?: string;
    outcome: string;
  }) =>
    `${entry.action} '${entry.target}' (${entry.scope}) by ${entry.operator ?? 'an unknown operator'}: ${entry.outcome}` +
    (entry.note === undefined ? '' : ` [${entry.note}]`),
  auditUnreadable: (message: string) => `the audit trail could not be read (${message})`,
  badOverlap: (value: unknown) =>
    `overlap must be 'skip', 'buffer-one', 'buffer-all', 'cancel-other' or 'allow', not ${JSON.stringify(value)}`,
  badBackfillTime: (key: string, value: unknown) =>
    `${key} must be an ISO time such as '2026-12-01T00:00:00Z' or epoch milliseconds, not ${JSON.stringify(value) ?? 'nothing'}`,
  badRunId: (id: string) => `a run id is a whole number, not '${id}'`,
  unknownRun: (name: string, id: string) =>
    `routine '${name}' has no run ${id} on this replica (not started here, or no longer kept in its history)`,
  badQuery: (name: string, value: string, max: number) =>
    `${name} must be a whole number from 1${Number.isFinite(max) ? ` to ${max}` : ''}, not '${value}'`,
  badInterval: "give the interval as { interval: '5m' } (or a cron as { cron: '0 3 * * *' })",
  // The jobs of a worker (jobs.controller.ts).
  notJobsBody:
    'give a JSON object { "ids": ["42"] } or { "state": "failed", "q": "to=a@example.com" }',
  notJobsField: (field: string, what: string) => `${field} must be ${what}`,
  notLimit: (value: string) => `limit must be a whole number, not ${JSON.stringify(value)}`,
};
