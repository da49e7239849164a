import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { RoutinesHealthIndicator } from 'nestjs-routines/terminus';

/**
 * `curl localhost:3000/health`: 200 while every routine is fine; 503 naming the routine that
 * failed past its restart policy, is late, or failed three times in a row.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly routines: RoutinesHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.routines.isHealthy('routines')]);
  }
}
