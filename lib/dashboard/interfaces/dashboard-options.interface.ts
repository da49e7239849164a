import type { CanActivate, ModuleMetadata, Type } from '@nestjs/common';
import type { Duration } from '../../core';

/** A guard as `@UseGuards()` takes it: a class (built by Nest, with its dependencies) or an instance. */
export type DashboardGuard = CanActivate | Type<CanActivate>;

/** How replicas share what they run (needs a coordinator with a replica directory: Redis, PostgreSQL). */
export interface DashboardReplicaOptions {
  /** How often this replica publishes its snapshot. Default: '5s'. */
  publishEvery?: Duration;
  /**
   * Unused since a replica that stops publishing is shown as lost (after twice its
   * `publishEvery`) and forgotten after `forgetAfter`; still accepted, and it must be longer
   * than `publishEvery`.
   *
   * @deprecated Use `forgetAfter`; a silent replica is shown lost after twice `publishEvery`.
   */
  expireAfter?: Duration;
  /**
   * How long a replica that stopped publishing (killed, cut off) stays on the page as lost
   * before it is forgotten; a replica that shuts down cleanly leaves at once. Default: '10m'.
   */
  forgetAfter?: Duration;
  /** How often this replica reads the controls set from any replica (a cluster-wide pause). Default: '500ms'. */
  pollControls?: Duration;
}

/** The options of the dashboard that a factory may build (`forRootAsync`). */
export interface RoutinesDashboardSettings {
  /**
   * Adds the control endpoints (trigger, pause, resume, interval) and their buttons. Default:
   * false. Refused at bootstrap unless `guards` has at least one guard, or
   * `allowUnguardedControl` says an open control plane is meant.
   */
  control?: boolean;
  /** Control with no guard, deliberately (a private network, a sidecar that authenticates). Default: false. */
  allowUnguardedControl?: boolean;
  /** Shows error stacks (the last run's) in the JSON and on the page. Default: false: messages only. */
  exposeStacks?: boolean;
  /**
   * Origins, besides the request's own host, from which control requests are accepted (a
   * reverse proxy that rewrites Host): `['https://ops.example.com']`.
   */
  trustedOrigins?: string[];
  /** How often the page refreshes itself; 0 turns it off. Default: '5s'. */
  refresh?: Duration;
  /** The page's title. Default: 'Routines'. */
  title?: string;
  /** Every replica on one page: publishing and control polling (`false` shows this replica only). */
  replicas?: DashboardReplicaOptions | false;

  // Who the request is for: forwarded headers and the Host check (DNS rebinding).
  /**
   * Believes `X-Forwarded-Host` (set by a reverse proxy in front of the app) as the host the
   * browser addressed, in the same-origin and Host checks. Default: false: only `Host` counts,
   * since any client can send `X-Forwarded-Host` when no proxy strips it.
   *
   * @example
   * RoutinesDashboardModule.forRoot({ guards: [AdminGuard], control: true, trustProxy: true });
   */
  trustProxy?: boolean;
  /**
   * Host names (any port, or `name:port` for one) the control endpoints answer for, besides the
   * loopback ones (`localhost`, `127.0.0.1`, `[::1]`); a leading dot takes the subdomains too
   * (`.example.com`). Checked when control has no guard (`allowUnguardedControl`), and always
   * once given: a request for another host is refused with 421, which stops a DNS-rebinding
   * page from reaching an unguarded console. Default: [] (loopback only).
   *
   * @example
   * RoutinesDashboardModule.forRoot({
   *   control: true,
   *   allowUnguardedControl: true,
   *   allowedHosts: ['ops.internal', '.ops.example.com'],
   * });
   */
  allowedHosts?: string[];
  // --- Actions, guardrails and audit ---------------------------------------------------------
  /**
   * The shortest interval (or cron gap) the control endpoints accept: a typo such as '1ms' is
   * refused with a 400, not applied to every replica. `0` or `false` turns the check off.
   * Default: '1s'.
   */
  minInterval?: Duration | false;
  /**
   * Who did an action, from its request: recorded in the audit trail and the log, and a
   * pause's `by`. Default: the request's `user` as the app's guard set it (a string, or its
   * `username`, `name`, `email`, `id` or `sub`).
   *
   * @example
   * operator: (request) => (request as { headers: Record<string, string> }).headers['x-forwarded-user'],
   */
  operator?: (request: unknown) => string | undefined;
}

/**
 * The dashboard's options. `path` and `guards` are fixed when the routes are declared, so they
 * are given directly, also to `forRootAsync`.
 */
export interface RoutinesDashboardOptions extends RoutinesDashboardSettings {
  /** Where the page and its JSON are served. Default: '/routines'. */
  path?: string;
  /** Guards on every route of the dashboard (page, JSON, control), as `@UseGuards()` takes them. */
  guards?: DashboardGuard[];
}

/** `forRootAsync`: the path and guards, and a factory for the rest (e.g. from ConfigService). */
export interface RoutinesDashboardAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  path?: string;
  guards?: DashboardGuard[];
  inject?: Array<string | symbol | Type<unknown>>;
  useFactory: (...args: never[]) => RoutinesDashboardSettings | Promise<RoutinesDashboardSettings>;
}
