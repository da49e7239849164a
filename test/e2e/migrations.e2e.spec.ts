import 'reflect-metadata';
import { Injectable, Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import request from 'supertest';
import {
  InMemoryCoordinator,
  MigrationsIncompleteError,
  OutOfBandMigration,
  Periodic,
  RoutineActionError,
  RoutineNotFoundError,
  RoutinesConfigurationError,
  RoutinesModule,
  RoutinesRegistry,
  type MigrationContext,
  type Migrator,
  type OutOfBandMigrationOptions,
  type RoutinesModuleOptions,
} from 'nestjs-routines';
import { RoutinesDashboardModule } from 'nestjs-routines/dashboard';
import { bootTesting, closeAll, createTestingApp, sleep } from './support/e2e';

/**
 * Polls an async condition (the migrations' state is read from its store) until it holds.
 * `within` guards against a hang only: each wait takes well under a second on a quiet
 * machine, and is given 15 s for a busy one.
 */
async function waitFor(
  condition: () => boolean | Promise<boolean>,
  within = 15_000,
): Promise<void> {
  const deadline = Date.now() + within;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${within} ms`);
    await sleep(5);
  }
}

afterEach(closeAll);

/** Rows in memory, migrated 10 at a time: a migration class as an app declares one. */
function rowsMigration(
  options: Partial<OutOfBandMigrationOptions> = {},
  behaviour: { rows?: number; fail?: () => string | undefined } = {},
) {
  @OutOfBandMigration({ id: 'fill', description: 'fills the rows', interval: '10ms', ...options })
  @Injectable()
  class FillRows implements Migrator {
    done = 0;
    epochs = new Set<number>();
    readonly rows = behaviour.rows ?? 50;
    progress(): number {
      return this.rows === 0 ? 1 : this.done / this.rows;
    }
    up(_signal: AbortSignal, context: MigrationContext): void {
      const failure = behaviour.fail?.();
      if (failure) throw new Error(failure);
      this.epochs.add(context.epoch);
      this.done = Math.min(this.rows, this.done + 10);
    }
    down(): void {
      this.done = Math.max(0, this.done - 10);
    }
  }
  return FillRows;
}

@Injectable()
class Ticker {
  runs = 0;
  @Periodic('10ms', { name: 'ticker' })
  tick(): void {
    this.runs++;
  }
}

const boot = (providers: Provider[], options: RoutinesModuleOptions = {}) =>
  bootTesting({ imports: [RoutinesModule.forRoot(options)], providers });

describe('out-of-band migrations in a Nest app', () => {
  it('runs a migration to completion on the cluster runner, lists it, and runs it back and forth', async () => {
    const FillRows = rowsMigration();
    const { app, registry, events } = await boot([FillRows]);
    const migration = app.get(FillRows);
    expect(registry.get('out-of-band-migrations:fill')).toMatchObject({
      kind: 'background',
      scope: 'cluster',
    });
    await waitFor(async () => (await registry.migrations.get('fill')).complete);
    const [listed] = await registry.migrations.list();
    expect(listed).toMatchObject({
      id: 'fill',
      description: 'fills the rows',
      progress: 1,
      direction: 'forward',
      complete: true,
      nonDestructive: false,
      declared: true,
      errors: [],
    });
    expect(listed.ratePerMinute).toBeGreaterThan(0);
    expect(listed.updatedAt).toBeLessThanOrEqual(Date.now());
    expect(migration.done).toBe(50);
    expect([...migration.epochs]).toHaveLength(1); // the lease epoch, the same for every batch
    const batches = events.filter((event) => event.type === 'migration-batch-succeeded');
    expect(batches.map((event) => event.migration?.progress)).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    expect(batches.every((event) => event.routine === 'out-of-band-migrations:fill')).toBe(true);
    expect(events.filter((event) => event.type === 'migration-completed')).toHaveLength(1);

    await registry.migrations.reverse('fill');
    await waitFor(async () => (await registry.migrations.get('fill')).progress === 0);
    expect(migration.done).toBe(0);
    const reversed = await registry.migrations.get('fill');
    expect(reversed).toMatchObject({ direction: 'reverse', complete: true });
    await registry.migrations.forward('fill');
    await waitFor(async () => (await registry.migrations.get('fill')).progress === 1);

    await expect(registry.migrations.get('nope')).rejects.toThrow(RoutineNotFoundError);
    await expect(registry.migrations.reverse('nope')).rejects.toThrow("'nope'");
  });

  it('shows the errors of a failing migration while another goes on, and resumes it once fixed', async () => {
    let broken = true;
    const Failing = rowsMigration(
      { id: 'failing' },
      { fail: () => (broken ? 'lock timeout' : undefined) },
    );
    const Other = rowsMigration({ id: 'other' });
    const { registry } = await boot([Failing, Other]);
    await waitFor(async () => (await registry.migrations.get('other')).complete);
    await waitFor(async () => (await registry.migrations.get('failing')).errors.length >= 3);
    const failing = await registry.migrations.get('failing');
    expect(failing.progress).toBe(0);
    expect(failing.errors[0].message).toBe('lock timeout');
    expect(
      (await registry.migrations.list({ errors: 1 })).find((m) => m.id === 'failing')!.errors,
    ).toHaveLength(1);
    expect(registry.get('out-of-band-migrations:failing').state).toBe('running'); // an error never stops the runner
    broken = false;
    await waitFor(async () => (await registry.migrations.get('failing')).complete);
  });

  it('refuses to reverse a non-destructive migration without down()', async () => {
    @OutOfBandMigration({ id: 'one-way', description: 'adds an index', nonDestructive: true })
    @Injectable()
    class OneWay implements Migrator {
      progress(): number {
        return 1;
      }
      up(): void {}
    }
    const { registry } = await boot([OneWay]);
    await expect(registry.migrations.reverse('one-way')).rejects.toThrow(RoutineActionError);
    await expect(registry.migrations.reverse('one-way')).rejects.toThrow('has no down()');
    expect((await registry.migrations.get('one-way')).direction).toBe('forward');
  });

  it('reports bad declarations and options at bootstrap, naming the class, the migration and the option', async () => {
    @OutOfBandMigration({ id: 'destructive', description: 'drops a column' })
    @Injectable()
    class NoDown {
      progress(): number {
        return 0;
      }
      up(): void {}
    }
    const Twice = rowsMigration({ id: 'fill' });
    const Again = rowsMigration({ id: 'fill' });
    const BadInterval = rowsMigration({ id: 'bad-interval', interval: 'soon' });
    const NoDescription = rowsMigration({ id: 'no-description', description: 42 as never });
    const booted = await createTestingApp({
      imports: [
        RoutinesModule.forRoot({
          migrations: { require: 'fill' as never, wait: -1, after: 1 } as never,
        }),
      ],
      providers: [NoDown, Twice, Again, BadInterval, NoDescription],
    });
    const failure = await booted.app.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RoutinesConfigurationError);
    const message = (failure as Error).message;
    expect(message).toContain('NoDown');
    expect(message).toContain("'destructive'");
    expect(message).toContain('down() may be left out only with nonDestructive: true');
    expect(message).toContain('ids must be unique');
    expect(message).toMatch(/bad-interval.*interval.*soon/s);
    expect(message).toMatch(/no-description.*description/s);
    expect(message).toMatch(/migrations\.require/);
    expect(message).toMatch(/migrations\.wait/);
    expect(message).toMatch(/migrations\.after.*is not an option of migrations/s);
  });

  it("applies routines['out-of-band-migrations'] to every migration's own routine, and routines['out-of-band-migrations:<id>'] to one", async () => {
    const { registry } = await boot([rowsMigration(), rowsMigration({ id: 'other' })], {
      routines: {
        'out-of-band-migrations': { enabled: false, lease: { ttl: '5s' } },
        'out-of-band-migrations:other': { enabled: true },
      },
    });
    expect(registry.get('out-of-band-migrations:fill').state).toBe('disabled');
    await waitFor(async () => (await registry.migrations.get('other')).complete);
    expect((await registry.migrations.get('fill')).progress).toBe(0);
  });

  it('names an unknown required migration and the ones it knows', async () => {
    const FillRows = rowsMigration();
    const booted = await createTestingApp({
      imports: [RoutinesModule.forRoot({ migrations: { require: ['fil'] } })],
      providers: [FillRows],
    });
    await expect(booted.app.init()).rejects.toThrow(/migrations\.require.*'fil'.*known: fill/s);
  });
});

describe('out-of-band migrations seen in production', () => {
  it('keeps each batch, counts batches and progress in the metrics, and draws a meter on the dashboard', async () => {
    const metrics = new Registry();
    let failOnce = true;
    const FillRows = rowsMigration(
      {},
      {
        fail: () => {
          if (!failOnce) return undefined;
          failOnce = false;
          return 'deadlock detected';
        },
      },
    );
    @Module({
      imports: [
        RoutinesModule.forRoot({ metrics: { registry: metrics } }),
        RoutinesDashboardModule.forRoot({ path: '/ops' }),
      ],
      providers: [FillRows],
    })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    try {
      await app.init();
      const registry = app.get(RoutinesRegistry);
      await waitFor(async () => (await registry.migrations.get('fill')).complete);

      const batches = registry.migrations.history('fill');
      expect(batches.map((batch) => batch.outcome)).toEqual([
        'succeeded',
        'succeeded',
        'succeeded',
        'succeeded',
        'succeeded',
        'failed',
      ]);
      expect(batches[0]).toMatchObject({ direction: 'forward', progress: 1 });
      expect(batches[5].error).toEqual({ name: 'Error', message: 'deadlock detected' });
      expect(
        batches.every((batch) => batch.epoch === batches[0].epoch && batch.durationMs >= 0),
      ).toBe(true);
      expect(registry.migrations.history('fill', { limit: 2 })).toHaveLength(2);
      expect(() => registry.migrations.history('nope')).toThrow(RoutineNotFoundError);

      const text = await metrics.metrics();
      expect(text).toMatch(/^routines_migration_progress\{migration="fill"\} 1$/m);
      expect(text).toMatch(
        /^routines_migration_batches_total\{migration="fill",outcome="succeeded"\} 5$/m,
      );
      expect(text).toMatch(
        /^routines_migration_batches_total\{migration="fill",outcome="failed"\} 1$/m,
      );

      const listed = await request(app.getHttpServer()).get('/ops/api/routines').expect(200);
      expect(listed.body.migrations).toEqual([
        expect.objectContaining({ id: 'fill', progress: 1, complete: true, direction: 'forward' }),
      ]);
      expect(listed.body.migrations[0].errors[0].message).toBe('deadlock detected');
      const page = await request(app.getHttpServer()).get('/ops').expect(200);
      expect(page.text).toContain('<progress max="100" value="100"');
      expect(page.text).toContain('fills the rows');
      expect(page.text).toContain('deadlock detected');
    } finally {
      await app.close();
    }
  });
});

describe('the boot gate: migrations: { require }', () => {
  it('refuses to bootstrap while a required migration is incomplete, with its progress; allows it once complete', async () => {
    const coordinator = new InMemoryCoordinator();
    // The running version: it migrates at its pace (50 rows, 10 per 300 ms). Slow enough that
    // it is not done by the time the next version has booted, 40% to 80% in: at 10 per 100 ms
    // that left 300 ms, less than a boot takes on a busy machine.
    const Slow = rowsMigration({ interval: '300ms' });
    const running = await boot([Slow], { coordinator });
    await waitFor(async () => (await running.registry.migrations.get('fill')).progress >= 0.4);

    // The next version requires it: refused at once, naming its progress; none of its routines ran.
    const Next = rowsMigration({ interval: '1h' });
    const next = await createTestingApp({
      imports: [RoutinesModule.forRoot({ coordinator, migrations: { require: ['fill'] } })],
      providers: [Next, Ticker],
    });
    const refused = await next.app.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(MigrationsIncompleteError);
    expect((refused as Error).message).toMatch(
      /refuses to start: out-of-band migration\(s\) not complete: 'fill' [4-8]0%, about \d+s left at its recent rate; driven by another replica that declares it and holds its lease \(measured (just now|\d+s ago)\): let it finish, or wait longer than that$/,
    );
    expect((refused as MigrationsIncompleteError).migrations.map((m) => m.id)).toEqual(['fill']);
    expect(next.app.get(Ticker).runs).toBe(0);
    expect(next.registry.get('ticker').state).toBe('idle');

    // Once the running version has finished it, the next one starts.
    await waitFor(async () => (await running.registry.migrations.get('fill')).complete);
    const allowed = await boot([rowsMigration({ interval: '1h' }), Ticker], {
      coordinator,
      migrations: { require: ['fill'] },
    });
    await waitFor(() => allowed.app.get(Ticker).runs > 0);
  });

  it('with wait, runs the migration here first and starts the routines once it is complete', async () => {
    const FillRows = rowsMigration();
    const { app, registry } = await boot([FillRows, Ticker], {
      migrations: { require: ['fill'], wait: '5s' },
    });
    // init() resolved only once the migration was complete.
    expect(app.get(FillRows).done).toBe(50);
    expect((await registry.migrations.get('fill')).complete).toBe(true);
    await waitFor(() => app.get(Ticker).runs > 0);
  });

  it('with wait, times out with a clear error naming the last error, and leaves nothing running', async () => {
    const Stuck = rowsMigration({}, { fail: () => 'relation "uploads" does not exist' });
    const booted = await createTestingApp({
      imports: [RoutinesModule.forRoot({ migrations: { require: ['fill'], wait: '300ms' } })],
      providers: [Stuck, Ticker],
    });
    const refused = await booted.app.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(MigrationsIncompleteError);
    expect((refused as Error).message).toContain('refuses to start after waiting 300ms');
    expect((refused as Error).message).toContain(
      `'fill' 0%; last error: relation "uploads" does not exist`,
    );
    expect(booted.registry.get('out-of-band-migrations:fill').state).toBe('stopped');
    const runs = booted.app.get(Ticker).runs;
    await sleep(50);
    expect(booted.app.get(Ticker).runs).toBe(runs);
    expect(runs).toBe(0);
  });

  it('with wait too short for the migration it drives here, says so and how long it has left', async () => {
    const booted = await createTestingApp({
      imports: [RoutinesModule.forRoot({ migrations: { require: ['fill'], wait: '400ms' } })],
      providers: [rowsMigration({ interval: '50ms' }, { rows: 10_000 })],
    });
    await expect(booted.app.init()).rejects.toThrow(
      /'fill' 0%, about \d+(s|m|h)[\dms]* left at its recent rate; driven here \(lease epoch 1\): give migrations\.wait more than that$/,
    );
  });

  it('fails closed: refuses to bootstrap when the state cannot be read, saying why', async () => {
    const failing = {
      register: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
      list: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
      setProgress: () => Promise.reject(new Error('down')),
      addError: () => Promise.reject(new Error('down')),
      errors: () => Promise.reject(new Error('down')),
      setDirection: () => Promise.reject(new Error('down')),
    };
    const coordinator = Object.assign(Object.create(new InMemoryCoordinator()), {
      migrations: failing,
    }) as InMemoryCoordinator;
    const booted = await createTestingApp({
      imports: [RoutinesModule.forRoot({ coordinator, migrations: { require: ['fill'] } })],
      providers: [rowsMigration(), Ticker],
    });
    await expect(booted.app.init()).rejects.toThrow(
      'the state of the required out-of-band migrations could not be read (connect ECONNREFUSED 127.0.0.1:6379)',
    );
    expect(booted.app.get(Ticker).runs).toBe(0);
  });

  it('refuses a required migration set to run in reverse, saying how to turn it forward', async () => {
    const coordinator = new InMemoryCoordinator();
    const first = await boot([rowsMigration()], { coordinator });
    await waitFor(async () => (await first.registry.migrations.get('fill')).complete);
    await first.registry.migrations.reverse('fill');
    await first.close();
    const next = await createTestingApp({
      imports: [RoutinesModule.forRoot({ coordinator, migrations: { require: ['fill'] } })],
      providers: [rowsMigration({ interval: '1h' })],
    });
    await expect(next.app.init()).rejects.toThrow(
      /'fill' \d+%, set to run in reverse \(registry\.migrations\.forward\('fill'\)\)/,
    );
  });
});

describe('a rolling deploy that adds a migration', () => {
  it('boots the new version while the old one drives the migrations it declares: each migration has its own lease', async () => {
    const coordinator = new InMemoryCoordinator();
    // v1 declares 'fill' only, and runs first: it holds whatever lease there is.
    const v1 = await boot([rowsMigration({ interval: '100ms' }, { rows: 1000 })], { coordinator });
    await waitFor(async () => (await v1.registry.migrations.get('fill')).progress > 0);
    // v2 declares 'fill' and a new 'sizes', and needs 'sizes' complete before it starts.
    const Fill = rowsMigration({ interval: '100ms' }, { rows: 1000 });
    const Sizes = rowsMigration({ id: 'sizes', interval: '10ms' });
    // Without wait, it is refused, and the advice says what holds 'sizes' back: nobody runs it.
    const refused = await createTestingApp({
      imports: [RoutinesModule.forRoot({ coordinator, migrations: { require: ['sizes'] } })],
      providers: [Fill, Sizes],
    });
    await expect(refused.app.init()).rejects.toThrow(
      "'sizes' 0%; no replica drives it (never measured): no running replica that declares it holds its lease. Give RoutinesModule migrations: { wait: '10m' } to run it here first",
    );
    // v2 waits for 'sizes' (five batches 10 ms apart) but not for 'fill', which v1 drives and
    // which takes 10 s at least (a hundred batches 100 ms apart). 'fill' cannot be done
    // within 8 s, while 'sizes' has room to finish on a busy machine (3 s did not always do).
    const began = Date.now();
    const v2 = await boot([Fill, Sizes, Ticker], {
      coordinator,
      migrations: { require: ['sizes'], wait: '8s' },
    });
    expect(Date.now() - began).toBeLessThan(8_000);
    expect(v2.app.get(Sizes).done).toBe(50);
    expect((await v2.registry.migrations.get('sizes')).complete).toBe(true);
    // 'fill' is still driven by v1, which took its lease first; v2 stands by for it.
    expect(v2.app.get(Fill).done).toBe(0);
    expect((await v1.registry.migrations.get('fill')).complete).toBe(false);
    await waitFor(() => v2.app.get(Ticker).runs > 0);
  });
});
