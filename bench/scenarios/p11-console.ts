/**
 * P11: the status page in a browser with `routines` routines (issue 26's targets: at most
 * 200 KB transferred and 50 ms of main-thread work per refresh, typing never blocked).
 *
 * Starts an app (every 7th routine failing, every 10th a cluster routine on an in-memory
 * coordinator, every 50th running each second so that the data changes between refreshes), opens the page in Debian's Chromium (playwright-core, CHROMIUM_PATH overrides
 * /usr/bin/chromium) and measures, over `seconds` of refreshes every `refresh`:
 *
 * - `bytesPerRefresh`: bytes on the wire (CDP `Network.loadingFinished` encodedDataLength) of
 *   the page's own requests after the first load, divided by the refreshes seen;
 * - `mainThreadMsPerRefresh`: CDP `Performance.getMetrics` TaskDuration over the window,
 *   divided by the refreshes (the page idles otherwise, so this is the refreshes' cost);
 * - `domNodes`, `pageHeightPx`: after the first load;
 * - `typeFilterMs`: typing a 7-character filter with the keyboard (each key waits for the
 *   page to take it, so a blocked main thread shows here).
 *
 * Run: `node -r @swc-node/register bench/scenarios/p11-console.ts '{"routines":1000}'`.
 */
import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { chromium } from 'playwright-core';
import { InMemoryCoordinator, RoutinesModule, RoutinesRegistry } from '../../lib';
import { RoutinesDashboardModule } from '../../lib/dashboard';
import { main, scenarioParams } from '../harness';

export interface P11Params {
  routines: number;
  runsEach?: number;
  refresh?: string;
  seconds?: number;
}

/** Starts the app of `routines` routines with a few runs each; returns it and the page's URL. */
export async function consoleApp(
  routines: number,
  runsEach: number,
  refresh: string,
): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [
      RoutinesModule.forRoot({ coordinator: new InMemoryCoordinator() }),
      RoutinesDashboardModule.forRoot({ refresh, control: true, guards: [AllowAll] }),
    ],
  })
  class AppModule {}
  const app: INestApplication = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const registry = app.get(RoutinesRegistry);
  let n = 0;
  for (let i = 0; i < routines; i++) {
    const failing = i % 7 === 3;
    registry.add(
      `routine-${String(i).padStart(4, '0')}`,
      () => {
        n++;
        if (failing) throw new Error(`failure ${n}: <the upstream said no>`);
      },
      {
        // Every 50th runs each second: the page's data changes between refreshes.
        interval: i % 50 === 0 ? '1s' : `${1 + (i % 60)}h`,
        runOnStart: false,
        description: `does job ${i}`,
        ...(i % 10 === 5 ? { scope: 'cluster' as const } : {}),
      },
    );
  }
  for (let r = 0; r < runsEach; r++) {
    for (let i = 0; i < routines; i++)
      await registry.trigger(`routine-${String(i).padStart(4, '0')}`);
  }
  return { app, url: `${await app.getUrl()}/routines` };
}

class AllowAll {
  canActivate(): boolean {
    return true;
  }
}

if (require.main === module) {
  main(async () => {
    const params = scenarioParams<P11Params>();
    const refresh = params.refresh ?? '2s';
    const seconds = params.seconds ?? 12;
    const { app, url } = await consoleApp(params.routines, params.runsEach ?? 5, refresh);
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Performance.enable');
      let bytes = 0;
      let responses = 0;
      cdp.on('Network.loadingFinished', (event) => {
        bytes += event.encodedDataLength;
        responses++;
      });
      const t0 = performance.now();
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForTimeout(1500); // the script's first render
      const loadMs = performance.now() - t0;
      const firstLoadBytes = bytes;
      const domNodes = await page.evaluate(() => document.getElementsByTagName('*').length);
      const pageHeightPx = await page.evaluate(() => document.documentElement.scrollHeight);
      const metric = async () => {
        const { metrics } = await cdp.send('Performance.getMetrics');
        const ms = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
        return {
          task: ms('TaskDuration'),
          script: ms('ScriptDuration'),
          layout: ms('LayoutDuration'),
          style: ms('RecalcStyleDuration'),
        };
      };
      bytes = 0;
      responses = 0;
      const before = await metric();
      await page.waitForTimeout(seconds * 1000);
      const after = await metric();
      const work = after.task - before.task;
      const refreshes = Math.max(1, responses);
      const result = {
        routines: params.routines,
        firstLoadBytes,
        loadMs: Math.round(loadMs),
        refreshes: responses,
        bytesPerRefresh: Math.round(bytes / refreshes),
        mainThreadMsPerRefresh: Math.round(work / refreshes),
        scriptMsPerRefresh: Math.round((after.script - before.script) / refreshes),
        layoutMsPerRefresh: Math.round((after.layout - before.layout) / refreshes),
        styleMsPerRefresh: Math.round((after.style - before.style) / refreshes),
        domNodes,
        pageHeightPx,
        typeFilterMs: 0,
      };
      const filter = page.locator('input[name=q]');
      await filter.click();
      const typed = performance.now();
      await page.keyboard.type('job 77x', { delay: 0 });
      result.typeFilterMs = Math.round(performance.now() - typed);
      return result;
    } finally {
      await browser.close();
      await app.close();
    }
  });
}
