/// <reference lib="dom" />
/**
 * The status page in a real browser: Debian's Chromium (no download), driven by playwright-core.
 * CHROMIUM_PATH overrides /usr/bin/chromium. With UPDATE_SCREENSHOTS=1 the screenshots go to
 * docs/ (the README shows them); otherwise to the system's temp folder.
 */
import 'reflect-metadata';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  Injectable,
  Module,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { chromium, type Browser, type Page } from 'playwright-core';
import {
  BackgroundRoutine,
  OutOfBandMigration,
  Periodic,
  RoutinesModule,
  RoutinesRegistry,
  type Migrator,
} from 'nestjs-routines';
import { RoutinesDashboardModule } from 'nestjs-routines/dashboard';

jest.setTimeout(60_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOSTILE = `<script>alert(1)</script> "><img src=x onerror=alert(2)>`;
const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(__dirname, '../../docs')
  : path.join(tmpdir(), 'nestjs-routines-screenshots');

@Injectable()
class Jobs {
  brokenWith: string | undefined = HOSTILE;

  @Periodic('1h', {
    name: 'hard-deleter',
    description: 'hard-deletes uploads soft-deleted over 30 days ago',
    runOnStart: false,
  })
  async hardDelete(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 40));
  }

  @Periodic('1h', {
    name: 'invoice-sync',
    description: 'pulls invoices from the billing API',
    runOnStart: false,
  })
  async syncInvoices(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (this.brokenWith) throw new Error(this.brokenWith);
  }

  @Periodic(
    { cron: '0 3 * * *' },
    { name: 'nightly-report', description: 'emails the daily report', runOnStart: false },
  )
  report(): void {}

  @BackgroundRoutine({ name: 'queue-consumer', description: 'consumes the uploads queue' })
  async consume(signal: AbortSignal): Promise<void> {
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
  }
}

/** Moves 1% per batch, one batch per 200 ms: the meter grows between refreshes for 20 s. */
@OutOfBandMigration({
  id: 'backfill-upload-size',
  description: 'fills uploads.size_bytes from the stored objects',
  interval: '200ms',
})
@Injectable()
class BackfillUploadSize implements Migrator {
  done = 0;
  progress(): number {
    return this.done / 100;
  }
  up(): void {
    this.done = Math.min(100, this.done + 1);
  }
  down(): void {
    this.done = Math.max(0, this.done - 1);
  }
}

@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return (
      context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers[
        'x-token'
      ] === 'secret'
    );
  }
}

describe('the status page in Chromium', () => {
  let app: INestApplication;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`,
      );
    }
    @Module({
      imports: [
        RoutinesModule.forRoot(),
        RoutinesDashboardModule.forRoot({ control: true, guards: [TokenGuard], refresh: '1s' }),
      ],
      providers: [Jobs, BackfillUploadSize],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    base = `${await app.getUrl()}/routines`;
    const registry = app.get(RoutinesRegistry);
    for (let i = 1; i <= 12; i++) {
      registry.add(`tenant-${String(i).padStart(2, '0')}-sync`, () => undefined, {
        interval: `${5 * i}m`,
        description: `syncs tenant ${i}`,
        runOnStart: false,
      });
    }
    for (let i = 0; i < 25; i++) await registry.trigger('hard-deleter');
    for (let i = 0; i < 3; i++) await registry.trigger('invoice-sync');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** A page with the token, failing the test on any console error, page error or dialog. */
  async function open(
    viewport = { width: 1280, height: 900 },
  ): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({
      viewport,
      extraHTTPHeaders: { 'x-token': 'secret' },
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.goto(base);
    return { page, problems };
  }

  const card = (page: Page, name: string) => page.locator(`article.routine[data-name="${name}"]`);

  it('loads under its strict CSP with no console error, showing names, states and errors as text', async () => {
    const { page, problems } = await open();
    const response = await page.request.get(base);
    expect(response.headers()['content-security-policy']).toContain("default-src 'none'");
    await expect(card(page, 'hard-deleter').locator('h2').textContent()).resolves.toBe(
      'hard-deleter',
    );
    await expect(card(page, 'queue-consumer').locator('.state').textContent()).resolves.toBe(
      'running',
    );
    await expect(page.locator('#summary').textContent()).resolves.toContain('1 failing');
    const error = card(page, 'invoice-sync').locator('.errors li').first();
    await expect(error.textContent()).resolves.toContain(HOSTILE); // shown as text, whole
    await expect(page.locator('#content img').count()).resolves.toBe(0);
    await expect(page.locator('#content script').count()).resolves.toBe(0);
    await page.waitForTimeout(1500); // a refresh: the script ran without error
    expect(problems).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-desktop.png'), fullPage: false });
    await page.context().close();
  });

  it('draws a meter per out-of-band migration that grows as it runs, with its direction', async () => {
    const { page, problems } = await open();
    const meter = page.locator('article.migration[data-migration="backfill-upload-size"] progress');
    const first = Number(await meter.getAttribute('value'));
    await page.waitForFunction(
      (before) =>
        Number(
          document
            .querySelector('article.migration[data-migration="backfill-upload-size"] progress')
            ?.getAttribute('value'),
        ) > before,
      first,
      { timeout: 5000 },
    );
    const migration = page.locator('article.migration[data-migration="backfill-upload-size"]');
    await expect(migration.locator('.state').first().textContent()).resolves.toBe('forward');
    await expect(migration.locator('.description').textContent()).resolves.toBe(
      'fills uploads.size_bytes from the stored objects',
    );
    expect(await meter.evaluate((element) => (element as HTMLProgressElement).max)).toBe(100);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('filters to problems only and by text, and keeps both (and the scroll) across refreshes', async () => {
    const { page, problems } = await open({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-phone.png') });
    await page.evaluate(() => window.scrollTo(0, 900));
    const scrolled = await page.evaluate(() => window.scrollY);
    expect(scrolled).toBeGreaterThan(800);
    await page.waitForTimeout(2200); // two refreshes
    expect(await page.evaluate(() => window.scrollY)).toBe(scrolled);

    await page.locator('input[name=problems]').check();
    await expect(card(page, 'invoice-sync').isVisible()).resolves.toBe(true);
    await expect(card(page, 'hard-deleter').isVisible()).resolves.toBe(false);
    await expect(card(page, 'nightly-report').isVisible()).resolves.toBe(false);
    expect(page.url()).toContain('problems=1');
    await page.waitForTimeout(1500);
    await expect(card(page, 'hard-deleter').isVisible()).resolves.toBe(false);
    await expect(page.locator('input[name=problems]').isChecked()).resolves.toBe(true);

    await page.locator('input[name=problems]').uncheck();
    await page.locator('input[name=q]').fill('tenant 7');
    // Cards the server left out while 'problems only' was on come with the refresh the change asks for.
    await card(page, 'tenant-07-sync').waitFor({ state: 'visible', timeout: 3000 });
    await expect(card(page, 'tenant-08-sync').isVisible()).resolves.toBe(false);
    await page.waitForTimeout(1500);
    await expect(card(page, 'tenant-08-sync').isVisible()).resolves.toBe(false);
    await expect(page.locator('input[name=q]').inputValue()).resolves.toBe('tenant 7');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('runs a routine from its button, and the count changes after the refresh', async () => {
    const { page, problems } = await open();
    const runs = () =>
      card(page, 'nightly-report').locator('dd', { hasText: ' skipped' }).textContent();
    await expect(runs()).resolves.toContain('0 runs');
    await card(page, 'nightly-report').getByRole('button', { name: 'Run now' }).click();
    await page.waitForFunction(
      () =>
        document
          .querySelector('article[data-name="nightly-report"]')
          ?.textContent?.includes('1 run ·'),
      undefined,
      { timeout: 5000 },
    );
    expect(app.get(RoutinesRegistry).get('nightly-report').counters.runs).toBe(1);

    await card(page, 'hard-deleter').getByRole('button', { name: 'Pause' }).click();
    await page.waitForFunction(
      () =>
        document.querySelector('article[data-name="hard-deleter"] .state')?.textContent ===
        'paused',
      undefined,
      { timeout: 5000 },
    );
    expect(app.get(RoutinesRegistry).get('hard-deleter').state).toBe('paused');
    await card(page, 'hard-deleter').getByRole('button', { name: 'Resume' }).click();
    // The resume's answer redraws the routines: the next action waits for it.
    await page.waitForFunction(
      () =>
        document.querySelector('article[data-name="hard-deleter"] .state')?.textContent !==
        'paused',
      undefined,
      { timeout: 5000 },
    );
    // Typed and sent in one turn of the page: a refresh (every 1 s here) redraws the cards
    // wholesale, and one landing between typing and clicking erased '7m' in CI runs. Keeping
    // what is typed across refreshes is the operators' console's to do (issue 26); until then a
    // send that such a redraw swallowed is sent again, at most three times.
    const registry = app.get(RoutinesRegistry);
    const intervalSet = () => registry.get('tenant-01-sync').schedule?.includes('7m') === true;
    for (let attempt = 1; !intervalSet(); attempt++) {
      if (attempt > 3) throw new Error(`interval not set after 3 sends: ${problems.join('; ')}`);
      await card(page, 'tenant-01-sync')
        .locator('input[name=interval]')
        .evaluate((input: HTMLInputElement) => {
          input.value = '7m';
          input.form!.requestSubmit();
        });
      for (let waited = 0; !intervalSet() && waited < 3000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await page.waitForFunction(
      () =>
        document
          .querySelector('article[data-name="tenant-01-sync"]')
          ?.textContent?.includes('every 7m'),
      undefined,
      { timeout: 10_000 },
    );
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
