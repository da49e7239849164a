import 'reflect-metadata';
import { chromium } from 'playwright-core';
import { consoleApp } from './scenarios/p11-console';
(async () => {
  const { app, url } = await consoleApp(Number(process.argv[2] ?? 60), 3, '2s');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('console', (m) => console.log('console', m.type(), m.text()));
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  await page.goto(url);
  await page.waitForTimeout(2500);
  await page.screenshot({ path: '/tmp/page-src/list.png' });
  await page.locator('a.name').first().click();
  await page.waitForTimeout(2500);
  await page.screenshot({ path: '/tmp/page-src/detail.png', fullPage: true });
  await browser.close();
  await app.close();
})();
