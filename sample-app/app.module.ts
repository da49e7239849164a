import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { RoutinesModule } from 'nestjs-routines';
import { RoutinesDashboardModule } from 'nestjs-routines/dashboard';
import { CacheWarmer } from './cache/cache-warmer';
import { SearchIndexWarmup } from './cache/search-index-warmup';
import { SitemapBuilder } from './cache/sitemap-builder';
import { ClusterCoordinator } from './cluster/cluster-coordinator';
import { ClusterModule } from './cluster/cluster.module';
import { DashboardTokenGuard } from './dashboard/dashboard-token.guard';
import { Heartbeat } from './heartbeat';
import { MigrationsController } from './migrations/migrations.controller';
import { ObservabilityModule } from './observability/observability.module';
import { ProcessingDatabase } from './processing/processing-database';
import { ProcessingModule } from './processing/processing.module';
import { ThumbnailRenderer } from './processing/thumbnail-renderer';
import { QueueModule } from './queue/queue.module';
import { RoutinesController } from './routines/routines.controller';
import { ShutdownLogger } from './shutdown-logger';
import { TenantsModule } from './tenants/tenants.module';
import { UploadsModule } from './uploads/uploads.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    // Module options override the decorators by routine name, so operations can retune a
    // routine through the environment without touching its code.
    ProcessingModule.forEnvironment(),
    RoutinesModule.forRootAsync({
      imports: [ClusterModule],
      inject: [ConfigService, ClusterCoordinator, ProcessingDatabase],
      useFactory: (
        config: ConfigService,
        cluster: ClusterCoordinator,
        processing: ProcessingDatabase,
      ) => ({
        shutdownTimeout: config.get<string>('SHUTDOWN_TIMEOUT', '10s'),
        // A finished cluster routine (seed-demo-data) runs once per version.
        version: config.get<string>('APP_VERSION', 'dev'),
        // Redis or PostgreSQL when configured; in memory (one process) otherwise.
        coordinator: cluster.coordinator,
        // Prometheus metrics in the default registry, served at /metrics by ObservabilityModule;
        // one span per run (printed with TRACE_TO_CONSOLE=1, see observability/tracing.ts).
        metrics: true,
        tracing: true,
        // The last 100 runs per routine in memory; with REDIS_URL or DATABASE_URL every replica's
        // runs are kept by the engine too, 7 days, for the page's history and registry.history().
        history: { limit: 100, keepFor: '7d' },
        // With DATABASE_URL: the thumbnail worker's rows live in the app's own table.
        workerStore: processing.store,
        // REQUIRE_MIGRATIONS=backfill-upload-extension refuses to start this version until that
        // migration is complete; with MIGRATIONS_WAIT=1m it runs it here first and waits.
        migrations: {
          require: (config.get<string>('REQUIRE_MIGRATIONS') ?? '')
            .split(',')
            .map((id) => id.trim())
            .filter(Boolean),
          wait: config.get<string>('MIGRATIONS_WAIT'),
        },
        // Without DATABASE_URL the thumbnail worker is left out of the providers on purpose: say
        // so, and the boot warning about decorated classes no module provides stays on for the rest.
        warnings: { unprovidedClasses: { except: processing.store ? [] : [ThumbnailRenderer] } },
        // No default here: an unset variable leaves the decorator's interval in force.
        routines: {
          'hard-deleter': { interval: config.get<string>('HARD_DELETE_INTERVAL') },
        },
      }),
    }),
    // The status page at /dashboard, its JSON at /dashboard/api, and the buttons that trigger,
    // pause, re-time, cancel and backfill routines and retry jobs, behind a token
    // (DASHBOARD_TOKEN); each action lands in the audit trail with the operator's user name. With REDIS_URL or
    // DATABASE_URL, every replica shows on one page and a cluster pause holds on all of them.
    RoutinesDashboardModule.forRootAsync({
      path: '/dashboard',
      guards: [DashboardTokenGuard],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        control: config.get<string>('DASHBOARD_CONTROL', 'on') === 'on',
        // No interval under 5 s from the page: a typo ('5ms') is refused, not run everywhere.
        minInterval: '5s',
        title: `Routines · ${config.get<string>('APP_VERSION', 'dev')}`,
      }),
    }),
    UploadsModule,
    QueueModule,
    ClusterModule,
    TenantsModule,
    ObservabilityModule,
  ],
  controllers: [RoutinesController, MigrationsController],
  providers: [CacheWarmer, SearchIndexWarmup, SitemapBuilder, Heartbeat, ShutdownLogger],
})
export class AppModule {}
