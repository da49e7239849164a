import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import {
  Periodic,
  RoutinesConfigurationError,
  RoutinesModule,
  type RoutinesModuleOptions,
} from 'nestjs-routines';
import { closeAll, createTestingApp, outsideTestRunner, type Booted } from './support/e2e';

@Injectable()
class Ticker {
  @Periodic('1h', { name: 'ticker' })
  tick(): void {}
}

const WARNING =
  'Shutdown hooks are not enabled: on SIGTERM the process exits at once without stopping routines, and runs in flight are cut off. ' +
  'Call app.enableShutdownHooks() in main.ts (or set warnings: { shutdownHooks: false } in the RoutinesModule options if the app stops itself with app.close())';

/** The check runs one turn after bootstrap, so that enableShutdownHooks() right after init() counts. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function warnings(booted: Booted): string[] {
  return booted.logger
    .at('warn')
    .filter((entry) => entry.context === 'RoutinesModule')
    .map((entry) => entry.message)
    .filter((message) => message.startsWith('Shutdown hooks'));
}

function app(options: RoutinesModuleOptions): Promise<Booted> {
  return createTestingApp({ imports: [RoutinesModule.forRoot(options)], providers: [Ticker] });
}

afterEach(closeAll);

describe('a warning when SIGTERM would cut runs off (no enableShutdownHooks)', () => {
  beforeEach(() => {
    // Nothing else in this process listens for SIGTERM: the warning depends on it.
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('warns once, naming what SIGTERM does and what to call', async () => {
    const booted = await app({ warnings: { shutdownHooks: true } });
    await booted.app.init();
    await nextTurn();
    expect(warnings(booted)).toEqual([WARNING]);
  });

  it('says nothing when the app enabled shutdown hooks before init()', async () => {
    const booted = await app({ warnings: { shutdownHooks: true } });
    booted.app.enableShutdownHooks();
    await booted.app.init();
    await nextTurn();
    expect(warnings(booted)).toEqual([]);
  });

  it('says nothing when the app enables them right after init()', async () => {
    const booted = await app({ warnings: { shutdownHooks: true } });
    await booted.app.init();
    booted.app.enableShutdownHooks();
    await nextTurn();
    expect(warnings(booted)).toEqual([]);
  });

  it('says nothing when the app enables them right after listen()', async () => {
    const booted = await app({ warnings: { shutdownHooks: true } });
    const http = booted.app as unknown as { listen(port: number): Promise<unknown> };
    await http.listen(0);
    booted.app.enableShutdownHooks();
    await nextTurn();
    expect(warnings(booted)).toEqual([]);
  });

  it('is off by default under a test runner, where test apps are closed by the tests', async () => {
    const booted = await app({});
    await booted.app.init();
    await nextTurn();
    expect(warnings(booted)).toEqual([]);
  });

  it('is on by default outside a test runner, and warnings: { shutdownHooks: false } silences it', async () => {
    await outsideTestRunner(async () => {
      const loud = await app({});
      await loud.app.init();
      await nextTurn();
      expect(warnings(loud)).toEqual([WARNING]);
      await loud.close();

      const quiet = await app({ warnings: { shutdownHooks: false } });
      await quiet.app.init();
      await nextTurn();
      expect(warnings(quiet)).toEqual([]);
    });
  });

  it('says nothing when the app is closed before the check', async () => {
    const booted = await app({ warnings: { shutdownHooks: true } });
    await booted.app.init();
    await booted.close();
    await nextTurn();
    expect(warnings(booted)).toEqual([]);
  });
});

describe('the warnings option is checked', () => {
  it.each<[string, unknown, string]>([
    [
      'a misspelt switch',
      { shutdownHook: false },
      "RoutinesModule options: option 'warnings.shutdownHook' = false is not an option of warnings (did you mean 'shutdownHooks'?); the options are shutdownHooks, unprovidedClasses",
    ],
    [
      'a switch that is not a boolean',
      { shutdownHooks: 'off' },
      "RoutinesModule options: option 'warnings.shutdownHooks' = 'off' must be true or false",
    ],
    [
      'a list of classes that is not one',
      { unprovidedClasses: { except: ['ThumbnailRenderer'] } },
      'RoutinesModule options: option \'warnings.unprovidedClasses\' = {"except":["ThumbnailRenderer"]} must be true, false, or { except: [SomeClass] } naming the classes left out of the providers on purpose',
    ],
    [
      'not an object',
      false,
      "RoutinesModule options: option 'warnings' = false must be an object: { shutdownHooks: false, unprovidedClasses: false }",
    ],
  ])('%s', async (_title, value, message) => {
    const booted = await app({ warnings: value as RoutinesModuleOptions['warnings'] });
    const error = await booted.app.init().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(RoutinesConfigurationError);
    expect((error as Error).message).toContain(message);
  });
});
