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
import { closeAll, createTestingApp, type Booted } from './support/e2e';

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
        'class Forgotten declares routines (Forgotten.tick, forgotten-loop) but is not a provider of any module in this app, so they never run: add it to the providers of the module that owns it',
        'class ForgottenMigration declares routines (out-of-band migration forgotten-backfill) but is not a provider of any module in this app, so they never run: add it to the providers of the module that owns it',
        'class ForgottenWorker declares routines (worker forgotten-worker) but is not a provider of any module in this app, so they never run: add it to the providers of the module that owns it',
        'class SecondAppOnly declares routines (SecondAppOnly.tick) but is not a provider of any module in this app, so they never run: add it to the providers of the module that owns it',
      ].sort(),
    );
  });

  it('is warned about once per process, and a class another app provided is not', async () => {
    // SecondAppOnly was warned about above; Provided is not provided here but was in the first app.
    const booted = await boot([SecondAppOnly], { warnings: { unprovidedClasses: true } });
    expect(warnings(booted)).toEqual([]);
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
