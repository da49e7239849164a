import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { RoutinesRegistry } from '../nest/routines.registry';
import type { RegisteredRoutineInfo } from '../nest/interfaces/registered-routine.interface';

/** What makes a routine count as down. */
export interface RoutinesFailOn {
  /** A background routine past its restart policy. Default: true. */
  failed?: boolean;
  /** A periodic routine that has not started a run for longer than it should (`health.late`). Default: true. */
  late?: boolean;
  /** This many failed runs in a row (0: never). Default: 3. */
  consecutiveFailures?: number;
}

/** Options of {@link RoutinesHealthIndicator.isHealthy}. */
export interface RoutinesHealthOptions {
  /** The routines to look at. Default: every routine. */
  routines?: readonly string[];
  failOn?: RoutinesFailOn;
}

const DEFAULT_FAIL_ON: Required<RoutinesFailOn> = {
  failed: true,
  late: true,
  consecutiveFailures: 3,
};

/**
 * A `@nestjs/terminus` health indicator over the routines (from `nestjs-routines/terminus`;
 * terminus is an optional peer). Down when a chosen routine is `failed`, `late`, or past N
 * failures in a row; the details name each such routine and why.
 *
 * @example
 * @Controller('health')
 * export class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly routines: RoutinesHealthIndicator) {}
 *   @Get() @HealthCheck() check() {
 *     return this.health.check([() => this.routines.isHealthy('routines')]);
 *   }
 * }
 * // in a module that imports TerminusModule: providers: [RoutinesHealthIndicator]
 */
@Injectable()
export class RoutinesHealthIndicator {
  constructor(
    private readonly registry: RoutinesRegistry,
    private readonly indicators: HealthIndicatorService,
  ) {}

  isHealthy<Key extends string>(
    key: Key,
    options: RoutinesHealthOptions = {},
  ): HealthIndicatorResult<Key> {
    const indicator = this.indicators.check(key);
    const failOn = { ...DEFAULT_FAIL_ON, ...options.failOn };
    const chosen = options.routines ?? this.registry.list().map((info) => info.name);
    const down: Record<string, { state: string; reasons: string[] }> = {};
    for (const name of chosen) {
      if (!this.registry.has(name)) {
        down[name] = { state: 'unknown', reasons: ['no routine has this name'] };
        continue;
      }
      const info = this.registry.get(name);
      const reasons = reasonsDown(info, failOn);
      if (reasons.length > 0) down[name] = { state: info.state, reasons };
    }
    const names = Object.keys(down);
    if (names.length > 0) {
      return indicator.down({ message: `routine(s) down: ${names.join(', ')}`, routines: down });
    }
    return indicator.up({ routines: chosen.length });
  }
}

function reasonsDown(info: RegisteredRoutineInfo, failOn: Required<RoutinesFailOn>): string[] {
  const reasons: string[] = [];
  if (failOn.failed && info.state === 'failed') reasons.push('failed: past its restart policy');
  if (failOn.late && info.health.late)
    reasons.push('late: no run started for longer than it should');
  const inARow = info.health.consecutiveFailures;
  if (failOn.consecutiveFailures > 0 && inARow >= failOn.consecutiveFailures) {
    reasons.push(`${inARow} failure${inARow === 1 ? '' : 's'} in a row`);
  }
  return reasons;
}
