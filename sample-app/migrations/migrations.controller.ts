import { Controller, Get, HttpCode, Param, Post, Query, UseFilters } from '@nestjs/common';
import { RoutinesRegistry, type MigrationInfo } from 'nestjs-routines';
import { RoutineErrorsFilter } from '../routines/routine-errors.filter';

/**
 * The out-of-band migrations, as an operator sees and steers them: progress, direction, pace
 * and errors (the same on every replica: the state lives in the coordinator's engine). Put it
 * behind auth in a real app; the dashboard at /dashboard shows the same with a meter.
 */
@Controller('migrations')
@UseFilters(RoutineErrorsFilter)
export class MigrationsController {
  constructor(private readonly registry: RoutinesRegistry) {}

  @Get()
  list(): Promise<MigrationInfo[]> {
    return this.registry.migrations.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<MigrationInfo> {
    return this.registry.migrations.get(id);
  }

  /** The batches of it this replica ran (while it held the migration's lease), newest first. */
  @Get(':id/batches')
  batches(@Param('id') id: string, @Query('limit') limit?: string) {
    return this.registry.migrations.history(id, { limit: limit ? Number(limit) : 20 });
  }

  @Post(':id/reverse')
  @HttpCode(202)
  async reverse(@Param('id') id: string): Promise<MigrationInfo> {
    await this.registry.migrations.reverse(id);
    return this.registry.migrations.get(id);
  }

  @Post(':id/forward')
  @HttpCode(202)
  async forward(@Param('id') id: string): Promise<MigrationInfo> {
    await this.registry.migrations.forward(id);
    return this.registry.migrations.get(id);
  }
}
