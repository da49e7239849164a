import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { Coordinator } from 'nestjs-routines';
import { PostgresCoordinator } from 'nestjs-routines/postgres';
import { RedisCoordinator } from 'nestjs-routines/redis';

/**
 * The engine that makes `scope: 'cluster'` routines exclusive across replicas: Redis when
 * REDIS_URL is set, PostgreSQL when DATABASE_URL is set, otherwise none (the library's
 * in-memory default, exclusive within this process only). The client is closed on
 * `onApplicationShutdown`, after the routines have released their leases.
 */
export class ClusterCoordinator implements OnApplicationShutdown {
  private static readonly logger = new Logger('ClusterCoordinator');

  private constructor(
    readonly coordinator: Coordinator | undefined,
    private readonly close: () => Promise<unknown> = async () => undefined,
  ) {}

  static async fromConfig(config: ConfigService): Promise<ClusterCoordinator> {
    const redisUrl = config.get<string>('REDIS_URL');
    const databaseUrl = config.get<string>('DATABASE_URL');
    if (redisUrl) return ClusterCoordinator.onRedis(redisUrl);
    if (databaseUrl) return ClusterCoordinator.onPostgres(databaseUrl);
    return new ClusterCoordinator(undefined);
  }

  private static async onRedis(url: string): Promise<ClusterCoordinator> {
    // Loaded only when configured: an app without REDIS_URL never needs ioredis installed.
    const { Redis } = await import('ioredis');
    // No offline queue: while Redis is down, claims fail at once and ticks are skipped,
    // instead of piling up and running late.
    const client = new Redis(url, { enableOfflineQueue: false, lazyConnect: true });
    await client.connect();
    ClusterCoordinator.logger.log(`cluster routines coordinate through Redis at ${url}`);
    return new ClusterCoordinator(
      new RedisCoordinator(client, { keyPrefix: 'sample-app:routines:' }),
      () => client.quit(),
    );
  }

  private static async onPostgres(url: string): Promise<ClusterCoordinator> {
    const { Pool } = await import('pg');
    const pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 2_000 });
    // PostgreSQL ends idle connections on a restart or failover, and the pool then emits
    // 'error': without a listener Node would exit. The pool opens a new connection on demand.
    pool.on('error', (error) =>
      ClusterCoordinator.logger.warn(`PostgreSQL pool connection lost: ${error.message}`),
    );
    ClusterCoordinator.logger.log('cluster routines coordinate through PostgreSQL');
    return new ClusterCoordinator(new PostgresCoordinator(pool), () => pool.end());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
