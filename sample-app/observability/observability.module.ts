import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { RoutinesHealthIndicator } from 'nestjs-routines/terminus';
import { HealthController } from './health.controller';

/**
 * `/metrics` (prom-client's default registry, exposed by @willsoto/nestjs-prometheus, where
 * `RoutinesModule.forRoot({ metrics: true })` registers the routines' metrics) and `/health`.
 */
@Module({
  imports: [PrometheusModule.register(), TerminusModule],
  controllers: [HealthController],
  providers: [RoutinesHealthIndicator],
})
export class ObservabilityModule {}
