/// <reference lib="dom" />
/**
 * The status page in a real browser: Debian's Chromium (no download), driven by playwright-core.
 * CHROMIUM_PATH overrides /usr/bin/chromium. With UPDATE_SCREENSHOTS=1 the screenshots go to
 * docs/ (the README shows them); otherwise to the system's temp folder.
 *
 * The jobs, run-history, stats and audit endpoints are other parts of issue 26; where a test
 * needs one that this build does not serve, it answers for it with `page.route`, in the shape
 * the page is written against.
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
import {
  chromium,
  type Browser,
  type BrowserContextOptions,
  type Page,
  type Route,
} from 'playwright-core';
import {
  BackgroundRoutine,
  OutOfBandMigration,
  Periodic,
  RoutinesModule,
  RoutinesRegistry,
  type Migrator,
} from 'nestjs-routines';
import { RoutinesDashboardModule } from 'nestjs-routines/dashboard';
import { consoleApp } from '../../bench/scenarios/p11-console';

jest.setTimeout(90_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOSTILE = `<script>alert(1)</script> "><img src=x onerror=alert(2)>`;
const LONG_ERROR = `${HOSTILE} ${'the billing API answered 502 again; '.repeat(6)}`;
const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(__dirname, '../../docs')
  : path.join(tmpdir(), 'nestjs-routines-screenshots');
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

@Injectable()
class Jobs {
  brokenWith: string | undefined = LONG_ERROR;

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

  /** Takes long enough for the page to show its button off while it runs. */
  @Periodic('1h', { name: 'slow-export', description: 'exports the ledger', runOnStart: false })
  async slowExport(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 800));
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

/** Moves 0.5% per batch, one batch per 200 ms: the meter grows between refreshes for 40 s. */
@OutOfBandMigration({
  id: 'backfill-upload-size',
  description: 'fills uploads.size_bytes from the stored objects',
  interval: '200ms',
})
@Injectable()
class BackfillUploadSize implements Migrator {
  done = 0;
  progress(): number {
    return this.done / 200;
  }
  up(): void {
    this.done = Math.min(200, this.done + 1);
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

/** WCAG 2.1 A and AA, as axe-core checks them. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (...args: unknown[]) => Promise<any> } }).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return (result.violations as any[]).map(
      (violation) =>
        `${violation.id}: ${violation.nodes
          .slice(0, 3)
          .map((node: any) => `${node.target.join(' ')} (${node.failureSummary})`)
          .join('; ')}`,
    );
  });
}

/**
 * Answers a request with the server's JSON changed by `change` (asked unconditionally, so the
 * server never answers 304). A request still in flight when its page closes is let go.
 */
async function rewrite(route: Route, change: (json: any) => void): Promise<void> {
  try {
    const response = await route.fetch({
      headers: { ...route.request().headers(), 'if-none-match': '' },
    });
    const json = await response.json();
    change(json);
    await route.fulfill({ response, json });
  } catch {
    // The page closed meanwhile.
  }
}

/** Waits until the page has received `count` more answers from a URL containing `part`. */
async function refreshes(page: Page, part: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await page.waitForResponse((response) => response.url().includes(part), { timeout: 10_000 });
  }
}

describe('the console in Chromium', () => {
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
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /**
   * A page with the token, failing the test on any console error, page error or browser dialog.
   * A 404 is expected from the endpoints this build may not serve (the page hides their section).
   */
  async function open(
    url = base,
    options: BrowserContextOptions = {},
  ): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 900 },
      extraHTTPHeaders: { 'x-token': 'secret' },
      ...options,
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().includes('status of 404'))
        problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.goto(url);
    return { page, problems };
  }

  const row = (page: Page, name: string) => page.locator(`#routines-table tr[data-name="${name}"]`);
  const routineUrl = (name: string) => `${base}/routines/${encodeURIComponent(name)}`;

  it('draws a meter per out-of-band migration that grows as it runs, with its direction', async () => {
    const { page, problems } = await open();
    const card = page.locator('article.migration[data-migration="backfill-upload-size"]');
    await card.waitFor();
    const first = Number(
      await card.locator('progress').evaluate((el: HTMLProgressElement) => el.value),
    );
    await page.waitForFunction(
      (before) =>
        (
          document.querySelector(
            'article[data-migration="backfill-upload-size"] progress',
          ) as HTMLProgressElement
        ).value > before,
      first,
      { timeout: 5000 },
    );
    await expect(card.locator('.state').first().textContent()).resolves.toBe('forward');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('loads under its strict CSP with no console error, values shown as text, zero axe violations (light and dark)', async () => {
    const { page, problems } = await open(base, { bypassCSP: false });
    const response = await page.request.get(base);
    expect(response.headers()['content-security-policy']).toContain("default-src 'none'");
    await row(page, 'hard-deleter').waitFor();
    await expect(row(page, 'queue-consumer').locator('.state').textContent()).resolves.toBe(
      'running',
    );
    await expect(page.locator('#summary').textContent()).resolves.toContain('1 failing');
    // Problems first: the failing routine heads the table.
    await expect(
      page.locator('#routines-table tbody tr').first().getAttribute('data-name'),
    ).resolves.toBe('invoice-sync');
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await expect(page.locator('main script').count()).resolves.toBe(0);
    await page.waitForTimeout(1500); // a refresh: the script ran without error
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-desktop.png') });
    expect(problems).toEqual([]);
    await page.context().close();

    for (const colorScheme of ['light', 'dark'] as const) {
      for (const url of [base, routineUrl('invoice-sync')]) {
        const checked = await open(url, { bypassCSP: true, colorScheme });
        await checked.page.locator('#updated').getByText('Updated').waitFor();
        await checked.page.waitForTimeout(500);
        expect({ url, colorScheme, violations: await axeViolations(checked.page) }).toEqual({
          url,
          colorScheme,
          violations: [],
        });
        if (colorScheme === 'dark' && url === base)
          await checked.page.screenshot({ path: path.join(SHOTS, 'dashboard-dark.png') });
        await checked.page.context().close();
      }
    }
  });

  it('shows a routine on its own page: the error as text, collapsed when long, the next 10 due times, a chart on a time axis', async () => {
    const { page, problems } = await open(routineUrl('invoice-sync'));
    await page.locator('#runs tbody tr').first().waitFor();
    const error = page.locator('#runs td.error details').first();
    await expect(error.locator('summary').textContent()).resolves.toContain(HOSTILE);
    await expect(error.locator('pre').textContent()).resolves.toContain(LONG_ERROR.trim());
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await expect(page.locator('#next li').count()).resolves.toBe(10);
    await expect(page.locator('#chart svg path.mark-failed').count()).resolves.toBe(3);
    await expect(page.locator('#chart svg').getAttribute('aria-label')).resolves.toContain(
      '3 failed',
    );
    // The back link keeps the list's query.
    await page.goto(`${base}?q=invoice&problems=1`);
    await row(page, 'invoice-sync').locator('a').click();
    await page.waitForURL(/\/routines\/invoice-sync/);
    await page.locator('#back').click();
    await page.waitForURL(/\?q=invoice&problems=1$/);
    await expect(page.locator('#q').inputValue()).resolves.toBe('invoice');
    await page.goto(routineUrl('invoice-sync'));
    await page.locator('#runs tbody tr').first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-routine.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('filters on the server (problems only, text), sorts from the keyboard, and keeps filters and scroll across refreshes', async () => {
    const { page, problems } = await open(base, { viewport: { width: 390, height: 844 } });
    await row(page, 'hard-deleter').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-phone.png') });
    await page.evaluate(() => window.scrollTo(0, 400));
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(300);
    // What the operator looks at stays put: the same row at the same place on the screen (the
    // browser's scroll anchoring may move scrollY when a panel above changes height).
    const top = () =>
      page.evaluate(
        () => document.querySelector('tr[data-name="hard-deleter"]')!.getBoundingClientRect().top,
      );
    const before = await top();
    await refreshes(page, '/api/view', 2);
    expect(Math.abs((await top()) - before)).toBeLessThan(2);

    await page.locator('input[name=problems]').check();
    await row(page, 'hard-deleter').waitFor({ state: 'detached' });
    await expect(row(page, 'invoice-sync').isVisible()).resolves.toBe(true);
    expect(page.url()).toContain('problems=1');
    await refreshes(page, '/api/view', 1);
    await expect(row(page, 'hard-deleter').count()).resolves.toBe(0);

    await page.locator('input[name=problems]').uncheck();
    await page.locator('input[name=q]').fill('tenant 7');
    await row(page, 'tenant-07-sync').waitFor({ timeout: 5000 });
    await row(page, 'tenant-08-sync').waitFor({ state: 'detached' });
    await refreshes(page, '/api/view', 1);
    await expect(page.locator('input[name=q]').inputValue()).resolves.toBe('tenant 7');

    await page.locator('input[name=q]').fill('tenant');
    await row(page, 'tenant-12-sync').waitFor();
    await page.setViewportSize({ width: 1440, height: 900 }); // a phone folds the next-run column away
    const sortByNext = page.locator('th[data-sort=next] button');
    await sortByNext.focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('th[data-sort=next]').getAttribute('aria-sort')).resolves.toBe(
      'ascending',
    );
    await page.waitForFunction(
      () =>
        document.querySelector('#routines-table tbody tr')?.getAttribute('data-name') ===
        'tenant-01-sync',
    );
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () =>
        document.querySelector('#routines-table tbody tr')?.getAttribute('data-name') ===
        'tenant-12-sync',
    );
    expect(page.url()).toContain('dir=desc');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('keeps typed text, focus and open <details> across refreshes', async () => {
    const { page, problems } = await open(routineUrl('invoice-sync'));
    const details = page.locator('#runs td.error details').first();
    await details.locator('summary').click();
    const note = page.locator('#pause-note');
    await note.click();
    await page.keyboard.type('billing API down');
    // Runs land while the operator types: the runs section is redrawn, the note is not.
    await app.get(RoutinesRegistry).trigger('invoice-sync');
    await refreshes(page, '/api/routines/invoice-sync', 2);
    await expect(note.inputValue()).resolves.toBe('billing API down');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('pause-note');
    await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 4);
    await expect(page.locator('#runs details[open]').count()).resolves.toBe(1);

    const interval = page.locator('#interval');
    await interval.fill('7m');
    await interval.focus();
    await refreshes(page, '/api/routines/invoice-sync', 2);
    await expect(interval.inputValue()).resolves.toBe('7m');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('interval');
    // Typed but no longer focused: still kept.
    await note.focus();
    await refreshes(page, '/api/routines/invoice-sync', 2);
    await expect(interval.inputValue()).resolves.toBe('7m');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('gives each action its outcome at once: button off in flight, confirmations with old and new values and the scope', async () => {
    const registry = app.get(RoutinesRegistry);
    const { page, problems } = await open(routineUrl('slow-export'));
    const run = page.getByRole('button', { name: 'Run now' });
    await run.click();
    await expect(run.isDisabled()).resolves.toBe(true);
    await page.locator('#status').getByText('succeeded').waitFor({ timeout: 10_000 });
    await expect(run.isDisabled()).resolves.toBe(false);
    expect(registry.get('slow-export').counters.runs).toBe(1);

    await page.locator('#pause-note').fill('ledger freeze');
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    const dialog = page.locator('dialog#confirm');
    await expect(dialog.isVisible()).resolves.toBe(true);
    const asked = await dialog.textContent();
    expect(asked).toContain('running → paused');
    expect(asked).toContain('this replica');
    expect(asked).toContain('ledger freeze');
    await dialog.getByRole('button', { name: 'Pause' }).click();
    await page.locator('#status').getByText('Pause: done').waitFor();
    expect(registry.get('slow-export').paused?.note).toBe('ledger freeze');
    await page.locator('#overview .state').getByText('paused').waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('#status').getByText('Resume: done').waitFor();
    expect(registry.get('slow-export').state).not.toBe('paused');

    await page.locator('#interval').fill('7m');
    await page.getByRole('button', { name: 'Set interval' }).click();
    const retime = await dialog.textContent();
    expect(retime).toContain('every 1h');
    expect(retime).toContain('every 7m');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(registry.get('slow-export').schedule).toBe('every 1h');
    await page.getByRole('button', { name: 'Set interval' }).click();
    await dialog.getByRole('button', { name: 'Re-time' }).click();
    await page.locator('#status').getByText('Re-time: done').waitFor();
    expect(registry.get('slow-export').schedule).toContain('7m');

    // A refused action says why, at once.
    await page.locator('#interval').fill('not a duration');
    await page.getByRole('button', { name: 'Set interval' }).click();
    await dialog.getByRole('button', { name: 'Re-time' }).click();
    await page.locator('#status .tone-bad').getByText('Re-time failed').waitFor();
    // The browser logs the 400 it was answered; nothing else went wrong.
    expect(problems.filter((problem) => !problem.includes('status of 400'))).toEqual([]);
    await page.context().close();
  });

  it("follows a trigger answered 202 { runId } to the run's outcome", async () => {
    const { page, problems } = await open(routineUrl('nightly-report'));
    await page.route('**/api/routines/nightly-report/trigger', (route) =>
      route.fulfill({ status: 202, contentType: 'application/json', body: '{"runId":41}' }),
    );
    let asked = 0;
    await page.route('**/api/routines/nightly-report/runs/41', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify(
          ++asked < 2
            ? { id: 41, status: 'running', dueAt: Date.now() }
            : {
                id: 41,
                status: 'failed',
                dueAt: Date.now(),
                durationMs: 12,
                error: { name: 'Error', message: 'smtp <down>' },
              },
        ),
      }),
    );
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.locator('#status').getByText('Run 41: failed in 12 ms: smtp <down>').waitFor();
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('says when it is disconnected, and why, until refreshes work again', async () => {
    const { page, problems } = await open();
    await row(page, 'hard-deleter').waitFor();
    const banner = page.locator('#banner');
    await page.route('**/api/view*', (route) => route.abort('connectionrefused'));
    await banner.getByText('network is down').waitFor({ timeout: 5000 });
    await page.unroute('**/api/view*');
    await page.route('**/api/view*', (route) =>
      route.fulfill({
        status: 401,
        contentType: 'application/json',
        body: '{"message":"Unauthorized"}',
      }),
    );
    await banner.getByText('HTTP 401').waitFor({ timeout: 5000 });
    await page.unroute('**/api/view*');
    await page.route('**/api/view*', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: '{"message":"coordinator down"}',
      }),
    );
    await banner.getByText('HTTP 503: coordinator down').waitFor({ timeout: 5000 });
    await page.unroute('**/api/view*');
    await banner.waitFor({ state: 'hidden', timeout: 5000 });
    await expect(page.locator('#updated').textContent()).resolves.toMatch(/^Updated/);
    // The browser logs the refused requests; nothing else went wrong.
    expect(
      problems.filter((problem) => !/status of (401|503)|ERR_CONNECTION_REFUSED/.test(problem)),
    ).toEqual([]);
    await page.context().close();
  });

  it('shows a lost replica greyed and counted', async () => {
    const { page } = await open();
    await page.route('**/api/view*', (route) =>
      rewrite(route, (view) => {
        view.replicas.push({
          ...view.replicas[0],
          id: 'gone',
          host: 'web-2',
          pid: 4242,
          lost: true,
          lostSince: Date.now() - 60_000,
        });
        view.summary.lost = 1;
      }),
    );
    const lost = page.locator('#replicas tr.lost');
    await lost.waitFor({ state: 'attached', timeout: 5000 });
    await expect(lost.textContent()).resolves.toContain('web-2');
    await expect(page.locator('#summary').textContent()).resolves.toContain('(1 lost)');
    await page.context().close();
  });

  it("lists a worker's jobs by state, searches them, and retries with a confirmation", async () => {
    const { page, problems } = await open(routineUrl('hard-deleter'));
    // hard-deleter stands in for a worker here: the jobs endpoints answer in their documented shape.
    await page.route('**/api/routines/hard-deleter?*', (route) =>
      rewrite(route, (detail) => {
        detail.worker = {
          inFlight: 0,
          stats: { jobs: 0, outcomes: {} },
          rows: { queued: 1, failed: 2 },
          recentErrors: [],
        };
      }),
    );
    const asked: string[] = [];
    await page.route('**/api/workers/hard-deleter/jobs?*', (route) => {
      asked.push(route.request().url());
      const url = new URL(route.request().url());
      const all = [
        {
          id: '7',
          state: 'failed',
          attempts: 3,
          maxAttempts: 3,
          queuedAt: Date.now() - 60_000,
          error: `${HOSTILE} smtp down`,
          key: 'invoice-7',
          cancel: false,
        },
        {
          id: '8',
          state: 'failed',
          attempts: 1,
          maxAttempts: 3,
          queuedAt: Date.now() - 30_000,
          error: 'timeout',
          cancel: false,
        },
        { id: '9', state: 'queued', attempts: 0, queuedAt: Date.now(), cancel: false },
      ];
      const state = url.searchParams.get('state');
      const q = url.searchParams.get('q');
      const jobs = all.filter(
        (job) => (!state || job.state === state) && (!q || JSON.stringify(job).includes(q)),
      );
      return route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ jobs }),
      });
    });
    let retried: unknown;
    await page.route('**/api/workers/hard-deleter/jobs/retry', (route) => {
      retried = route.request().postDataJSON();
      return route.fulfill({ status: 200, contentType: 'application/json', body: '{"count":2}' });
    });
    await page.locator('#jobs tr[data-job="9"]').waitFor();
    await expect(page.locator('#jobs tr[data-job="7"] td.error').textContent()).resolves.toContain(
      HOSTILE,
    );
    await page
      .locator('#jobs .tabs')
      .getByRole('button', { name: /^failed/ })
      .click();
    await page.locator('#jobs tr[data-job="9"]').waitFor({ state: 'detached' });
    await page.locator('#job-search').fill('invoice');
    await page.locator('#jobs tr[data-job="8"]').waitFor({ state: 'detached' });
    expect(asked.some((url) => url.includes('state=failed') && url.includes('q=invoice'))).toBe(
      true,
    );
    await page.locator('#jobs').getByRole('button', { name: 'Retry', exact: true }).click();
    const dialog = page.locator('dialog#confirm');
    await expect(dialog.textContent()).resolves.toContain('every failed job matching "invoice"');
    await dialog.getByRole('button', { name: 'Retry' }).click();
    await page.locator('#status').getByText('Retry: 2 job(s).').waitFor();
    expect(retried).toEqual({ state: 'failed', q: 'invoice' });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  describe('at 1,000 routines', () => {
    let big: INestApplication;
    let url: string;
    beforeAll(async () => {
      ({ app: big, url } = await consoleApp(1000, 2, '1s'));
    });
    afterAll(() => big?.close());

    it('stays light: bytes and main-thread work per refresh, DOM nodes, typing not blocked', async () => {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Performance.enable');
      await page.goto(url);
      await page.locator('#routines-table tbody tr').nth(49).waitFor();
      let bytes = 0;
      let answers = 0;
      cdp.on('Network.loadingFinished', (event) => {
        bytes += event.encodedDataLength;
        answers++;
      });
      const task = async () =>
        ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')
          ?.value ?? 0) * 1000;
      const before = await task();
      await refreshes(page, '/api/view', 4);
      const work = (await task()) - before;
      const perRefresh = {
        bytes: bytes / Math.max(1, answers),
        mainThreadMs: work / Math.max(1, answers),
      };
      const nodes = await page.evaluate(() => document.getElementsByTagName('*').length);
      const typed = Date.now();
      await page.locator('#q').click();
      await page.keyboard.type('job 77x');
      const typingMs = Date.now() - typed;
      console.log(
        `1,000 routines per refresh: ${Math.round(perRefresh.bytes)} bytes, ${Math.round(perRefresh.mainThreadMs)} ms main thread; ${nodes} DOM nodes; typing 7 keys ${typingMs} ms`,
      );
      expect(perRefresh.bytes).toBeLessThan(200 * 1024);
      expect(perRefresh.mainThreadMs).toBeLessThan(200); // the target is 50 ms; a busy 2-core CI machine gets 4x
      expect(nodes).toBeLessThan(3000);
      expect(typingMs).toBeLessThan(3000);
      await expect(page.locator('#q').inputValue()).resolves.toBe('job 77x');
      await context.close();
    });
  });
});
