import 'reflect-metadata';
import { Controller, Injectable, Module } from '@nestjs/common';
import {
  BackgroundRoutine,
  OutOfBandMigration,
  Periodic,
  RoutinesModule,
  Worker,
  type RoutinesModuleOptions,
} from 'nestjs-routines';
import { closeAll, createTestingApp, outsideTestRunner, type Booted } from './support/e2e';

// Every class this file declares routines on is in the process's record of decorated classes:
// each test says which of them a warning names.

/** Provided: never warned about. */
@Injectable()
class Provided {
  @Periodic('1h')
  tick(): void {}
}

/** Forgotten: not in any module's providers. */
@Injectable()
class Forgotten {
  @Periodic('1h')
  tick(): void {}

  @BackgroundRoutine({ name: 'forgotten-loop' })
  async loop(): Promise<void> {}
}

/** An abstract base whose subclass is the provider: the subclass runs the inherited routine. */
abstract class AbstractSweeper {
  @Periodic('1h', { name: 'sweep' })
  sweep(): void {}
}

@Injectable()
class UploadSweeper extends AbstractSweeper {}

/** Provided through a factory: found from its instance. */
@Periodic('1h')
class ByFactory {
  handle(): void {}
}

/** A controller with a routine: found too. */
@Controller('reports')
class ReportsController {
  @Periodic('1h', { name: 'controller-routine' })
  refresh(): void {}
}

@Worker({ name: 'forgotten-worker', table: 'jobs' })
class ForgottenWorker {
  handle(): void {}
}

@OutOfBandMigration({ id: 'forgotten-backfill', description: 'never runs', nonDestructive: true })
class ForgottenMigration {
  progress(): number {
    return 1;
  }
  up(): void {}
}

/** Provided only by the second app. */
@Injectable()
class SecondAppOnly {
  @Periodic('1h')
  tick(): void {}
}

// Declared and provided nowhere: only the decorators' record holds them.
void [Forgotten, ForgottenWorker, ForgottenMigration];

@Module({ providers: [UploadSweeper] })
class SweepersModule {}

function warnings(booted: Booted): string[] {
  return booted.logger
    .at('warn')
    .filter((entry) => entry.context === 'RoutinesModule' && entry.message.startsWith('class '))
    .map((entry) => entry.message);
}

async function boot(
  providers: Parameters<typeof createTestingApp>[0]['providers'],
  options: RoutinesModuleOptions,
  controllers: Parameters<typeof createTestingApp>[0]['controllers'] = [],
): Promise<Booted> {
  const booted = await createTestingApp({
    imports: [RoutinesModule.forRoot({ autoStart: false, ...options }), SweepersModule],
    providers,
    controllers,
  });
  await booted.app.init();
  return booted;
}

const notProvided = (className: string, routines: string): string =>
  `class ${className} declares routines (${routines}) but is not a provider of any module in this app, so they never run: ` +
  `add it to the providers of the module that owns it (if it is left out on purpose, say so with warnings: { unprovidedClasses: { except: [${className}] } } in the RoutinesModule options)`;

const firstApp = [Provided, { provide: 'BY_FACTORY', useFactory: () => new ByFactory() }];

afterEach(closeAll);

describe('a class that declares routines but is not a provider', () => {
  it('is not warned about by default under a test runner (test files declare classes for other apps)', async () => {
    const booted = await boot(firstApp, {}, [ReportsController]);
    expect(warnings(booted)).toEqual([]);
  });

  it('is named in one warning each, with its routines and where to add it', async () => {
    const booted = await boot(firstApp, { warnings: { unprovidedClasses: true } }, [
      ReportsController,
    ]);
    expect(warnings(booted).sort()).toEqual(
      [
        notProvided('Forgotten', 'Forgotten.tick, forgotten-loop'),
        notProvided('ForgottenMigration', 'out-of-band migration forgotten-backfill'),
        notProvided('ForgottenWorker', 'worker forgotten-worker'),
        notProvided('SecondAppOnly', 'SecondAppOnly.tick'),
      ].sort(),
    );
  });

  it('is warned about once per process, and a class another app provided is not', async () => {
    // SecondAppOnly was warned about above; Provided is not provided here but was in the first app.
    const booted = await boot([SecondAppOnly], { warnings: { unprovidedClasses: true } });
    expect(warnings(booted)).toEqual([]);
  });

  it('is not warned about when named in warnings: { unprovidedClasses: { except } }, and the others still are', async () => {
    @Injectable()
    class OnlyWithDatabase {
      @Periodic('1h')
      tick(): void {}
    }
    @Injectable()
    class AlsoForgotten {
      @Periodic('1h')
      tick(): void {}
    }
    void AlsoForgotten;
    // The list keeps the default (on outside a test runner), so this runs as a deployed app.
    await outsideTestRunner(async () => {
      const booted = await boot([], {
        warnings: { unprovidedClasses: { except: [OnlyWithDatabase] } },
      });
      expect(warnings(booted)).toEqual([notProvided('AlsoForgotten', 'AlsoForgotten.tick')]);
    });
  });

  it('warnings: { unprovidedClasses: false } silences it', async () => {
    @Injectable()
    class LateForgotten {
      @Periodic('1h')
      tick(): void {}
    }
    void LateForgotten;
    const booted = await boot([], { warnings: { unprovidedClasses: false } });
    expect(warnings(booted)).toEqual([]);
  });
});
