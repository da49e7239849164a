import { timingSafeEqual, randomBytes } from 'node:crypto';
import {
  Injectable,
  Logger,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * Lets operators in with the token from DASHBOARD_TOKEN: as the password of HTTP Basic auth
 * (any user name; the browser asks for it) or as `Authorization: Bearer <token>` (curl). With no
 * DASHBOARD_TOKEN, a random token is made at startup and logged, so the page is never open.
 * The Basic user name becomes `request.user`: the dashboard records it as the operator of every
 * action (the audit trail, a pause's "by"), as it would a Passport user.
 */
@Injectable()
export class DashboardTokenGuard implements CanActivate {
  private readonly token: Buffer;

  constructor(
    config: ConfigService,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    const configured = config.get<string>('DASHBOARD_TOKEN');
    const token = configured || randomBytes(12).toString('base64url');
    if (!configured) {
      new Logger('Dashboard').warn(
        `DASHBOARD_TOKEN is not set: use the token ${token} (any user name) for /dashboard`,
      );
    }
    this.token = Buffer.from(token);
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<{ headers: Record<string, unknown>; user?: unknown }>();
    const header = String(request.headers.authorization ?? '');
    if (this.matches(tokenOf(header))) {
      request.user = { username: userOf(header) ?? 'token holder' };
      return true;
    }
    this.adapterHost.httpAdapter.setHeader(
      http.getResponse(),
      'WWW-Authenticate',
      'Basic realm="routines", charset="UTF-8"',
    );
    throw new UnauthorizedException('the dashboard needs the DASHBOARD_TOKEN');
  }

  private matches(given: string): boolean {
    const candidate = Buffer.from(given);
    return candidate.length === this.token.length && timingSafeEqual(candidate, this.token);
  }
}

function tokenOf(header: string): string {
  const [scheme, value = ''] = header.split(' ');
  if (scheme === 'Bearer') return value;
  if (scheme !== 'Basic') return '';
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

/** The user name of Basic auth (what the operator typed in the browser's prompt), if any. */
function userOf(header: string): string | undefined {
  const [scheme, value = ''] = header.split(' ');
  if (scheme !== 'Basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const user = decoded.slice(0, Math.max(0, decoded.indexOf(':'))).trim();
  return user === '' ? undefined : user;
}
