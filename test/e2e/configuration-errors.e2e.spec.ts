import 'reflect-metadata';
import { Injectable, Scope, type DynamicModule, type Provider } from '@nestjs/common';
import {
  BackgroundRoutine,
  Periodic,
  RoutinesConfigurationError,
  RoutinesModule,
  type IntervalSpec,
  type PeriodicRoutineDecoratorOptions,
  type RoutinesModuleOptions,
} from 'nestjs-routines';
import { closeAll, createTestingApp, sleep } from './support/e2e';

/** A well-formed routine next to the bad ones: it must not start when bootstrap fails. */
@Injectable()
class Healthy {
  runs = 0;
  started = false;

  @Periodic(10, { name: 'healthy' })
  tick(): void {
    this.runs++;
  }

  @BackgroundRoutine({ name: 'healthy-worker' })
  async work(): Promise<void> {
    this.started = true;
  }
}

/** `@Periodic(interval, options)` on `BadJanitor.sweep`. */
function periodicMethod(
  interval: IntervalSpec,
  options?: PeriodicRoutineDecoratorOptions,
): Provider {
  @Injectable()
  class BadJanitor {
    @Periodic(interval, options)
    sweep(): void {}
  }
  return BadJanitor;
}

/** `@BackgroundRoutine(options)` on `BadConsumer.consume`. */
function backgroundMethod(options: Parameters<typeof BackgroundRoutine>[0]): Provider {
  @Injectable()
  class BadConsumer {
    @BackgroundRoutine(options)
    async consume(): Promise<void> {}
  }
  return BadConsumer;
}

@Injectable()
class InvoiceJob {
  @Periodic('1m', { name: 'dup' })
  send(): void {}
}

@Injectable()
class ReminderJob {
  @Periodic('5m', { name: 'dup' })
  remind(): void {}
}

@Periodic('1s')
@Injectable()
class HandlerlessWarmer {
  warm(): void {}
}

@BackgroundRoutine()
@Injectable()
class StartlessListener {
  listen(): void {}
}

@Injectable({ scope: Scope.REQUEST })
class PerRequestJob {
  @Periodic('1m')
  refresh(): void {}
}

@Injectable({ scope: Scope.TRANSIENT })
class TransientJob {
  @BackgroundRoutine()
  async loop(): Promise<void> {}
}

/** Registered twice below: as itself and under a string token, two instances. */
@Injectable()
class UploadsService {
  @Periodic('1m')
  tick(): void {}
}

@Injectable()
class Cleaner {
  @Periodic('1m', { name: 'cleaner' })
  clean(): void {}
}

interface Row {
  providers: Provider[];
  options?: RoutinesModuleOptions;
  /** Every one of these must appear in the error message. */
  mentions: string[];
}

const rows: Array<[string, Row]> = [
  [
    'a misspelt @Periodic option',
    {
      providers: [periodicMethod('1m', { concurency: 2 } as never)],
      mentions: [
        'BadJanitor.sweep',
        "option 'concurency' = 2 is not an option of this routine (did you mean 'concurrency'?)",
        'the options are align, backoff, catchup, concurrency, description, enabled, endAt, initialDelay',
      ],
    },
  ],
  [
    'an unknown @BackgroundRoutine option',
    {
      providers: [backgroundMethod({ restrat: false } as never)],
      mentions: [
        'BadConsumer.consume',
        "option 'restrat' = false is not an option of this routine (did you mean 'restart'?)",
        'the options are description, enabled, initialDelay, lease, name, restart, scope',
      ],
    },
  ],
  [
    'interval 0',
    {
      providers: [periodicMethod(0)],
      mentions: ['BadJanitor.sweep', "option 'interval' = 0 ", 'greater than zero'],
    },
  ],
  [
    'interval -5',
    {
      providers: [periodicMethod(-5)],
      mentions: ['BadJanitor.sweep', "option 'interval' = -5 ", 'greater than zero'],
    },
  ],
  [
    'interval NaN',
    {
      providers: [periodicMethod(NaN)],
      mentions: ['BadJanitor.sweep', "option 'interval' = NaN ", 'is not a duration'],
    },
  ],
  [
    "interval 'abc'",
    {
      providers: [periodicMethod('abc')],
      mentions: ['BadJanitor.sweep', "option 'interval' = 'abc' ", 'is not a duration'],
    },
  ],
  [
    'interval 2**31 ms',
    {
      providers: [periodicMethod(2 ** 31)],
      mentions: ['BadJanitor.sweep', `option 'interval' = ${2 ** 31} `, 'longer than 2147483647'],
    },
  ],
  [
    "interval '30d'",
    {
      providers: [periodicMethod('30d')],
      mentions: ['BadJanitor.sweep', "option 'interval' = '30d' ", 'longer than 2147483647'],
    },
  ],
  [
    "timeout 'xyz'",
    {
      providers: [periodicMethod('1m', { timeout: 'xyz' })],
      mentions: ['BadJanitor.sweep', "option 'timeout' = 'xyz' ", 'is not a duration'],
    },
  ],
  [
    'jitter >= interval',
    {
      providers: [periodicMethod('1s', { jitter: 1500 })],
      mentions: ['BadJanitor.sweep', "option 'jitter' = 1500 ", 'shorter than the interval'],
    },
  ],
  [
    'jitter equal to the interval',
    {
      providers: [periodicMethod(1000, { jitter: '1s' })],
      mentions: ['BadJanitor.sweep', "option 'jitter' = '1s' ", 'shorter than the interval'],
    },
  ],
  [
    'concurrency 0',
    {
      providers: [periodicMethod('1m', { concurrency: 0 })],
      mentions: ['BadJanitor.sweep', "option 'concurrency' = 0 ", 'whole number of at least 1'],
    },
  ],
  [
    'concurrency 1.5',
    {
      providers: [periodicMethod('1m', { concurrency: 1.5 })],
      mentions: ['BadJanitor.sweep', "option 'concurrency' = 1.5 ", 'whole number of at least 1'],
    },
  ],
  [
    "bad cron '61 * * * *'",
    {
      providers: [periodicMethod({ cron: '61 * * * *' })],
      mentions: ['BadJanitor.sweep', "option 'interval'", "invalid cron expression '61 * * * *'"],
    },
  ],
  [
    "bad time zone 'Mars/Olympus'",
    {
      providers: [periodicMethod({ cron: '0 3 * * *', timeZone: 'Mars/Olympus' })],
      mentions: ['BadJanitor.sweep', "option 'interval'", "invalid time zone 'Mars/Olympus'"],
    },
  ],
  [
    'duplicate names',
    {
      providers: [InvoiceJob, ReminderJob],
      mentions: ['InvoiceJob.send and ReminderJob.remind', "option 'name' = 'dup' ", 'unique'],
    },
  ],
  [
    'the same class registered under two tokens',
    {
      providers: [UploadsService, { provide: 'UPLOADS_ALIAS', useClass: UploadsService }],
      mentions: [
        "UploadsService.tick: option 'name' = 'UploadsService.tick' is used twice because UploadsService is registered twice, as provider UploadsService and as provider 'UPLOADS_ALIAS'",
        'remove one registration, or register the second with useExisting: UploadsService (one instance, one routine)',
      ],
    },
  ],
  [
    "a cron string where a duration goes: @Periodic('*/2 * * * * *')",
    {
      providers: [periodicMethod('*/2 * * * * *')],
      mentions: [
        "BadJanitor.sweep: option 'interval' = '*/2 * * * * *' looks like a cron expression, but a string here is a duration ('90s', '2m'); for a cron schedule write { cron: '*/2 * * * * *' }",
      ],
    },
  ],
  [
    "a cron macro where a duration goes: @Periodic('@daily')",
    {
      providers: [periodicMethod('@daily')],
      mentions: ["option 'interval' = '@daily' looks like a cron expression", "{ cron: '@daily' }"],
    },
  ],
  [
    'a cron string as a module option interval',
    {
      providers: [Cleaner],
      options: { routines: { cleaner: { interval: '0 3 * * *' } } },
      mentions: [
        "RoutinesModule options routines['cleaner']",
        "option 'interval' = '0 3 * * *' looks like a cron expression",
        "{ cron: '0 3 * * *' }",
      ],
    },
  ],
  [
    'module option for an unknown routine',
    {
      providers: [Cleaner],
      options: { routines: { clenaer: { interval: '1m' } } },
      mentions: [
        "RoutinesModule options routines['clenaer']",
        "'clenaer'",
        'names no routine',
        'known routines: cleaner, healthy, healthy-worker',
      ],
    },
  ],
  [
    "unknown option key 'intervall' in module options",
    {
      providers: [Cleaner],
      options: { routines: { cleaner: { intervall: '2m' } as never } },
      mentions: [
        "RoutinesModule options routines['cleaner']",
        "option 'intervall' = '2m' ",
        'is not a routine option',
      ],
    },
  ],
  [
    'interval in the module options of a background routine',
    {
      providers: [Healthy],
      options: { routines: { 'healthy-worker': { interval: '5m' } } },
      mentions: [
        "RoutinesModule options routines['healthy-worker']",
        "option 'interval' = '5m' applies to periodic routines only, and 'healthy-worker' is a background routine",
      ],
    },
  ],
  [
    'restart in the module options of a periodic routine',
    {
      providers: [Cleaner],
      options: { routines: { cleaner: { restart: false } } },
      mentions: [
        "option 'restart' = false applies to background routines only, and 'cleaner' is a periodic routine",
      ],
    },
  ],
  [
    'bad interval from module options (names the module as the source)',
    {
      providers: [Cleaner],
      options: { routines: { cleaner: { interval: 'often' } } },
      mentions: ["RoutinesModule options routines['cleaner']", "option 'interval' = 'often' "],
    },
  ],
  [
    "@Periodic('1s') class without handle()",
    {
      providers: [HandlerlessWarmer],
      mentions: ['HandlerlessWarmer', '@Periodic', 'no handle() method'],
    },
  ],
  [
    '@BackgroundRoutine() class without start()',
    {
      providers: [StartlessListener],
      mentions: ['StartlessListener', '@BackgroundRoutine', 'no start() method'],
    },
  ],
  [
    'routine on a request-scoped provider',
    {
      providers: [PerRequestJob],
      mentions: ['PerRequestJob', 'PerRequestJob.refresh', 'request-scoped'],
    },
  ],
  [
    'routine on a transient provider',
    {
      providers: [TransientJob],
      mentions: ['TransientJob', 'TransientJob.loop', 'transient'],
    },
  ],
  [
    "shutdownTimeout 'soon'",
    {
      providers: [],
      options: { shutdownTimeout: 'soon' },
      mentions: ['RoutinesModule options', "option 'shutdownTimeout' = 'soon' "],
    },
  ],
  [
    'shutdownTimeout -1',
    {
      providers: [],
      options: { shutdownTimeout: -1 },
      mentions: ['RoutinesModule options', "option 'shutdownTimeout' = -1 "],
    },
  ],
  [
    'restart.maxRestarts -1',
    {
      providers: [backgroundMethod({ restart: { maxRestarts: -1 } })],
      mentions: [
        'BadConsumer.consume',
        "option 'restart.maxRestarts' = -1 ",
        'whole number of at least 0',
      ],
    },
  ],
];

async function bootstrapError(providers: Provider[], options: RoutinesModuleOptions = {}) {
  const routines: DynamicModule = RoutinesModule.forRoot(options);
  const { app } = await createTestingApp({
    imports: [routines],
    providers: [Healthy, ...providers],
  });
  const error = await app.init().then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return { app, error };
}

afterEach(closeAll);

describe('bad configuration fails bootstrap with one RoutinesConfigurationError', () => {
  it.each(rows)('%s', async (_title, { providers, options, mentions }) => {
    const { app, error } = await bootstrapError(providers, options);

    expect(error).toBeInstanceOf(RoutinesConfigurationError);
    const message = (error as RoutinesConfigurationError).message;
    expect(message).toMatch(/^Invalid routine configuration \(1 problem\):\n {2}- /);
    for (const text of mentions) expect(message).toContain(text);

    // Nothing started: not the good routines either.
    await sleep(25);
    const healthy = app.get(Healthy);
    expect(healthy.runs).toBe(0);
    expect(healthy.started).toBe(false);
  });

  it('reports every problem at once: three problems, one error', async () => {
    const { app, error } = await bootstrapError([periodicMethod(0), HandlerlessWarmer], {
      routines: { ghost: { enabled: false } },
    });

    expect(error).toBeInstanceOf(RoutinesConfigurationError);
    const { message, problems } = error as RoutinesConfigurationError;
    expect(problems).toHaveLength(3);
    expect(message).toMatch(/^Invalid routine configuration \(3 problems\):/);
    const lines = message.split('\n').slice(1);
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining("BadJanitor.sweep: option 'interval' = 0 "),
        expect.stringContaining('HandlerlessWarmer is decorated with @Periodic'),
        expect.stringContaining("routines['ghost']: option 'routines' = 'ghost' names no routine"),
      ]),
    );
    await sleep(25);
    expect(app.get(Healthy).runs).toBe(0);
  });
});

describe('an unknown top-level module option is refused, with the likely one', () => {
  it('forRoot throws at once, naming RoutinesModule.forRoot, each option and its value', () => {
    const call = () =>
      RoutinesModule.forRoot({ shutdownTimout: '2s', autostart: false } as RoutinesModuleOptions);
    expect(call).toThrow(RoutinesConfigurationError);
    expect(call).toThrow(/^Invalid routine configuration \(2 problems\):/);
    expect(call).toThrow(
      "RoutinesModule.forRoot: option 'shutdownTimout' = '2s' is not a module option (did you mean 'shutdownTimeout'?); the options are autoStart, clock, coordinator, history, metrics, migrations, routines, shutdownTimeout, tracing, version, warnings, workerStore",
    );
    expect(call).toThrow(
      "RoutinesModule.forRoot: option 'autostart' = false is not a module option (did you mean 'autoStart'?)",
    );
  });

  it('forRoot takes every known option, isGlobal and undefined values', () => {
    expect(() =>
      RoutinesModule.forRoot({ isGlobal: false, shutdownTimeout: undefined, autoStart: true }),
    ).not.toThrow();
  });

  it('forRootAsync checks what the factory returns when it is resolved', async () => {
    const routines = RoutinesModule.forRootAsync({
      useFactory: async () => ({ shutdownTimout: '2s' }) as RoutinesModuleOptions,
    });
    const error = await createTestingApp({ imports: [routines], providers: [Healthy] }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RoutinesConfigurationError);
    expect((error as Error).message).toContain(
      "RoutinesModule.forRootAsync: option 'shutdownTimout' = '2s' is not a module option (did you mean 'shutdownTimeout'?)",
    );
  });

  it('forRootAsync with useClass checks what createRoutinesOptions() returns', async () => {
    class RoutinesConfig {
      createRoutinesOptions(): RoutinesModuleOptions {
        return { autostart: false } as RoutinesModuleOptions;
      }
    }
    const routines = RoutinesModule.forRootAsync({ useClass: RoutinesConfig });
    const error = await createTestingApp({ imports: [routines], providers: [] }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RoutinesConfigurationError);
    expect((error as Error).message).toContain(
      "RoutinesModule.forRootAsync: option 'autostart' = false is not a module option (did you mean 'autoStart'?)",
    );
  });

  it('forRootAsync with good options boots', async () => {
    const routines = RoutinesModule.forRootAsync({
      useFactory: () => ({ shutdownTimeout: '2s', autoStart: false }),
    });
    const { app } = await createTestingApp({ imports: [routines], providers: [] });
    await expect(app.init()).resolves.toBe(app);
  });
});
