import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { RoutinesRegistry, type Duration, type RegisteredRoutineInfo } from 'nestjs-routines';

/**
 * Routines added and removed at run time: one sync routine per tenant that an operator
 * switches on, with the same checks, logs, shutdown and control as a decorated one.
 */
@Injectable()
export class TenantSyncService {
  private readonly logger = new Logger(TenantSyncService.name);

  constructor(private readonly routines: RoutinesRegistry) {}

  /** Adds `tenant-<id>-sync`, running every `every` (a bad value is a 400 through the filter). */
  enable(tenant: string, every: Duration): RegisteredRoutineInfo {
    return this.routines.add(
      routineName(tenant),
      (signal: AbortSignal) => this.sync(tenant, signal),
      { interval: every, description: `pulls tenant ${tenant}'s records`, timeout: '30s' },
    );
  }

  /** Stops the tenant's routine, waits for a sync in flight, and forgets it. */
  async disable(tenant: string): Promise<void> {
    await this.routines.remove(routineName(tenant));
  }

  private async sync(tenant: string, signal: AbortSignal): Promise<void> {
    await sleep(100, undefined, { signal }); // stands in for an API call
    this.logger.log(`tenant ${tenant}: synced`);
  }
}

function routineName(tenant: string): string {
  return `tenant-${tenant}-sync`;
}
