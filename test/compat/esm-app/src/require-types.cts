// The `require` condition's types, as a CommonJS TypeScript app sees them.
import { RoutinesModule } from 'nestjs-routines';
import { RoutinesDashboardModule } from 'nestjs-routines/dashboard';
import { PostgresCoordinator, type PostgresPool } from 'nestjs-routines/postgres';
import { RedisCoordinator, type RedisClient } from 'nestjs-routines/redis';
import { ManualClock } from 'nestjs-routines/testing';

declare const pool: PostgresPool;
declare const redis: RedisClient;
export const coordinator: PostgresCoordinator = new PostgresCoordinator(pool);
export const onRedis: RedisCoordinator = new RedisCoordinator(redis);
export const dashboard = RoutinesDashboardModule.forRoot();
export const module = RoutinesModule.forRoot({ clock: new ManualClock() });
