/// <reference lib="dom" />
/**
 * A replica that stops publishing, as the page shows it in Chromium: no stand-in JSON. Two
 * replicas share one engine (an in-memory coordinator shared as another engine would be); the
 * second is then killed without a word (its snapshot stays, and ages), and the first's page
 * shows it lost: greyed, counted, its routine's failures still counted.
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { chromium, type Browser } from 'playwright-core';
import {
  InMemoryCoordinator,
  RoutinesModule,
  RoutinesRegistry,
  type Coordinator,
  type ReplicaDirectory,
} from 'nestjs-routines';
import { RoutinesDashboardModule } from 'nestjs-routines/dashboard';

jest.setTimeout(60_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The in-memory coordinator, shared between the apps of this process as Redis would be; `sever`
 * cuts this app off from it as `kill -9` would: nothing it publishes or withdraws arrives any more,
 * and the snapshot it published last stays, ageing.
 */
function shared(inner: InMemoryCoordinator): { engine: Coordinator; sever(): void } {
  let severed = false;
  const replicas: ReplicaDirectory = {
    publish: (id, snapshot, ttl) =>
      severed ? Promise.resolve() : inner.replicas.publish(id, snapshot, ttl),
    withdraw: (id) => (severed ? Promise.resolve() : inner.replicas.withdraw(id)),
    list: () => inner.replicas.list(),
    listExpiring: () => inner.replicas.listExpiring!(),
  };
  const engine = new Proxy(inner, {
    get: (target, key) =>
      key === 'kind' ? 'shared-memory' : key === 'replicas' ? replicas : Reflect.get(target, key),
  }) as Coordinator;
  return { engine, sever: () => (severed = true) };
}

async function replica(engine: Coordinator, failing?: string): Promise<INestApplication> {
  @Module({
    imports: [
      RoutinesModule.forRoot({ coordinator: engine }),
      RoutinesDashboardModule.forRoot({
        refresh: '500ms',
        replicas: { publishEvery: '300ms', forgetAfter: '1m', pollControls: '300ms' },
      }),
    ],
  })
  class ReplicaModule {}
  const app = await NestFactory.create(ReplicaModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  if (failing) {
    const registry = app.get(RoutinesRegistry);
    registry.add(
      failing,
      () => {
        throw new Error('the upstream said no');
      },
      { interval: '1h' },
    );
    await registry.trigger(failing);
  }
  return app;
}

describe('a lost replica in Chromium', () => {
  let browser: Browser;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(apps.map((app) => app.close().catch(() => undefined)));
  });

  it('greys out and counts a replica that stopped publishing, and keeps its failures counted', async () => {
    const inner = new InMemoryCoordinator();
    const here = await replica(shared(inner).engine);
    apps.push(here);
    const cut = shared(inner);
    const doomed = await replica(cut.engine, 'only-on-the-dead-one');
    apps.push(doomed);
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${await here.getUrl()}/routines`);
    const replicas = page.locator('#replicas tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('#replicas tbody tr').length === 2, {
      timeout: 10_000,
    });
    expect(await page.locator('#replicas tr.lost').count()).toBe(0);

    // Killed without a word: no withdraw, no more snapshots; its last one stays in the engine.
    cut.sever();
    const lost = page.locator('#replicas tr.lost');
    await lost.waitFor({ state: 'attached', timeout: 10_000 });
    expect(await replicas.count()).toBe(2);
    await page.waitForFunction(
      () => document.getElementById('summary')?.textContent?.includes('1 lost'),
      undefined,
      { timeout: 10_000 },
    );
    const row = page.locator('#routines-table tr[data-name="only-on-the-dead-one"]');
    await row.waitFor({ state: 'attached', timeout: 10_000 });
    expect(await row.textContent()).toMatch(/lost/);
    const summary = await page.locator('#summary').textContent();
    expect(summary).toMatch(/1 failing/);
    await page.close();
  });
});
