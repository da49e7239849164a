// The `require` condition's types, as a CommonJS TypeScript app sees them.
import { PostgresCoordinator, RoutinesModule, type PostgresPool } from 'nestjs-routines';
import { ManualClock } from 'nestjs-routines/testing';

declare const pool: PostgresPool;
export const coordinator: PostgresCoordinator = new PostgresCoordinator(pool);
export const module = RoutinesModule.forRoot({ clock: new ManualClock() });
