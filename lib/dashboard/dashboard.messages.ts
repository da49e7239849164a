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
  expiryTooShort: 'must be longer than publishEvery, or replicas drop out between two snapshots',
  directoryFailed: (message: string) =>
    `the coordinator did not answer (${message}): this replica only`,
  publishFailed: (message: string) =>
    `could not publish this replica to the coordinator (${message}); the page elsewhere will drop it after the expiry. Retrying`,
  publishBack: 'the coordinator answers again (publishing)',
  crossSite: (origin: string) =>
    `control request refused: it comes from another site (${origin}); add the origin to trustedOrigins if it is yours`,
  badInterval: "give the interval as { interval: '5m' } (or a cron as { cron: '0 3 * * *' })",
  // The jobs of a worker (jobs.controller.ts).
  notJobsBody:
    'give a JSON object { "ids": ["42"] } or { "state": "failed", "q": "to=a@example.com" }',
  notJobsField: (field: string, what: string) => `${field} must be ${what}`,
  notLimit: (value: string) => `limit must be a whole number, not ${JSON.stringify(value)}`,
  jobAction: (action: string, worker: string, count: number, filter: string) =>
    `jobs ${action} on worker '${worker}': ${count} row(s) (filter ${filter})`,
};
