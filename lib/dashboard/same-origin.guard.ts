import {
  ForbiddenException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { DASHBOARD_SETTINGS, type ResolvedDashboardSettings } from './dashboard.settings';
import { MESSAGES } from './dashboard.messages';
import { capText } from './replica-snapshot';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Refuses control requests that a browser sends on behalf of another site (CSRF): the browser's
 * own verdict (`Sec-Fetch-Site`) when it gives one, else the `Origin` against the request's host.
 * A request with neither comes from a program, not a page, and cannot carry a visitor's cookies
 * or credentials without them: it passes to the app's guards' judgement alone.
 *
 * Where control has no guard (or `allowedHosts` is given), the host the request is addressed to
 * must be a loopback name or an allowed host (421 otherwise): a page on a DNS-rebinding name is
 * same-origin with itself, so only the Host tells it from the operator's own tab.
 * `X-Forwarded-Host` counts only with `trustProxy`: without a proxy any client can set it.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  private readonly logger = new Logger('RoutinesDashboard');

  constructor(@Inject(DASHBOARD_SETTINGS) private readonly settings: ResolvedDashboardSettings) {}

  canActivate(context: ExecutionContext): boolean {
    const headers = (context.switchToHttp().getRequest<{ headers: Headers }>().headers ??
      {}) as Headers;
    const addressed = addressedHost(headers, this.settings.trustProxy);
    if (this.settings.checkHost && !isAllowedHost(addressed, this.settings.allowedHosts)) {
      // The Host is the client's text: cut, so that a refused request cannot fill the log.
      const message = MESSAGES.hostRefused(
        addressed === undefined ? '(none)' : capText(addressed, 100),
      );
      this.logger.warn(message);
      throw new HttpException(message, HttpStatus.MISDIRECTED);
    }
    const origin = first(headers.origin);
    if (origin && this.settings.trustedOrigins.includes(origin.replace(/\/+$/, ''))) return true;
    const site = first(headers['sec-fetch-site']);
    const sameOrigin =
      site !== undefined
        ? site === 'same-origin' || site === 'none'
        : origin === undefined ||
          hostsOf(headers, this.settings.trustProxy).includes(hostOf(origin));
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

/** The first X-Forwarded-Host: the one the proxy nearest the browser set. */
function forwardedHost(headers: Headers): string | undefined {
  return first(headers['x-forwarded-host'])?.split(',')[0]?.trim() || undefined;
}

/** The hosts an Origin may match: Host, and with `trustProxy` the forwarded one. */
function hostsOf(headers: Headers, trustProxy: boolean): string[] {
  return [first(headers.host), trustProxy ? forwardedHost(headers) : undefined]
    .filter((host): host is string => !!host)
    .map((host) => host.toLowerCase());
}

/** The host the browser addressed: the forwarded one behind a trusted proxy, else Host. */
function addressedHost(headers: Headers, trustProxy: boolean): string | undefined {
  const host = (trustProxy && forwardedHost(headers)) || first(headers.host);
  return host?.toLowerCase();
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** 'name:port' apart: ['ops.example.com', '8443'], ['[::1]', undefined]. */
function splitPort(host: string): [name: string, port: string | undefined] {
  const match = /^(.*?)(?::(\d+))?$/.exec(host)!;
  return [match[1], match[2]];
}

/**
 * A loopback name with any port, or one of `allowed`: 'name' (any port), 'name:port' (that
 * port), '.domain' (it and its subdomains, with a port if given).
 */
function isAllowedHost(host: string | undefined, allowed: readonly string[]): boolean {
  if (!host) return false;
  const [name, port] = splitPort(host);
  if (LOOPBACK.has(name)) return true;
  return allowed.some((pattern) => {
    const [allowedName, allowedPort] = splitPort(pattern);
    if (allowedPort !== undefined && allowedPort !== port) return false;
    return allowedName.startsWith('.')
      ? name === allowedName.slice(1) || name.endsWith(allowedName)
      : name === allowedName;
  });
}
