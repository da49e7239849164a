import { Controller, Delete, HttpCode, Param, Put, Query, UseFilters } from '@nestjs/common';
import { RoutineErrorsFilter } from '../routines/routine-errors.filter';
import { TenantSyncService } from './tenant-sync.service';

/**
 * `curl -X PUT 'localhost:3000/tenants/42/sync?every=1m'` adds a routine;
 * `curl -X DELETE localhost:3000/tenants/42/sync` removes it.
 */
@Controller('tenants')
@UseFilters(RoutineErrorsFilter)
export class TenantsController {
  constructor(private readonly tenants: TenantSyncService) {}

  @Put(':id/sync')
  enable(@Param('id') id: string, @Query('every') every = '1m'): unknown {
    return this.tenants.enable(id, every);
  }

  @Delete(':id/sync')
  @HttpCode(204)
  disable(@Param('id') id: string): Promise<void> {
    return this.tenants.disable(id);
  }
}
