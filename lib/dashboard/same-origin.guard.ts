import {
  ForbiddenException,
  Inject,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { DASHBOARD_SETTINGS, type ResolvedDashboardSettings } from './dashboard.settings';
import { MESSAGES } from './dashboard.messages';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Refuses control requests that a browser sends on behalf of another site (CSRF): the browser's
 * own verdict (`Sec-Fetch-Site`) when it gives one, else the `Origin` against the request's host.
 * A request with neither comes from a program, not a page, and cannot carry a visitor's cookies
 * or credentials without them: it passes to the app's guards' judgement alone.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  private readonly logger = new Logger('RoutinesDashboard');

  constructor(@Inject(DASHBOARD_SETTINGS) private readonly settings: ResolvedDashboardSettings) {}

  canActivate(context: ExecutionContext): boolean {
    const headers = (context.switchToHttp().getRequest<{ headers: Headers }>().headers ??
      {}) as Headers;
    const origin = first(headers.origin);
    if (origin && this.settings.trustedOrigins.includes(origin.replace(/\/+$/, ''))) return true;
    const site = first(headers['sec-fetch-site']);
    const sameOrigin =
      site !== undefined
        ? site === 'same-origin' || site === 'none'
        : origin === undefined || hostsOf(headers).includes(hostOf(origin));
    if (sameOrigin) return true;
    const from = origin ?? `Sec-Fetch-Site: ${site}`;
    this.logger.warn(MESSAGES.crossSite(from));
    throw new ForbiddenException(MESSAGES.crossSite(from));
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function hostOf(origin: string): string {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return '\u0000'; // 'null' (a sandboxed frame, a file) matches no host
  }
}

/** The host the browser addressed: Host, or the first X-Forwarded-Host a proxy set. */
function hostsOf(headers: Headers): string[] {
  const forwarded = first(headers['x-forwarded-host'])?.split(',')[0]?.trim();
  return [first(headers.host), forwarded]
    .filter((host): host is string => !!host)
    .map((host) => host.toLowerCase());
}
