/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by
 * playwright-core, loads `/1/lb/dash` from golb on Bun while traffic flows.
 * The page must show every function and backend with its weight and health,
 * its numbers must change as requests arrive, and it must fetch nothing but
 * golb's own URLs. A screenshot goes to test-output/dash.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startBackend, startGolb, type Backend, type GolbProcess } from '../support/harness.ts';

/** Chromium's executable on PATH (`chromium`, as Debian names it, or `chromium-browser`). */
function findChromium(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    for (const name of ['chromium', 'chromium-browser']) {
      const path = join(dir, name);
      if (dir !== '' && existsSync(path)) return path;
    }
  }
  return undefined;
}

const chromium = findChromium();
const playwright = await import('playwright-core').catch(() => undefined);
const skip = chromium === undefined ? 'chromium is not installed (Debian package chromium; `npm test` installs it when apt-get can)' : playwright === undefined ? 'playwright-core is not installed (npm install)' : false;

describe('the dashboard in headless Chromium (golb on bun)', { skip }, () => {
  let a: Backend;
  let b: Backend;
  let golb: GolbProcess;
  let flowing = true;
  let traffic: Promise<void>;

  before(async () => {
    [a, b] = await Promise.all([startBackend(), startBackend()]);
    golb = await startGolb('bun', { weights: { resnet: { ips: [a.address, b.address], weights: [3, 1] }, hello: { ips: [b.address], weights: [1] } } });
    traffic = (async () => {
      while (flowing) {
        // A quarter of the requests name a function golb does not know: golb answers them 404 itself.
        for (const fn of ['resnet', 'resnet', 'hello', 'nope']) await fetch(`${golb.url}/function/${fn}/`).then((r) => r.arrayBuffer());
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
  });
  after(async () => {
    flowing = false;
    await traffic;
    assert.equal(await golb.stop(), 0);
    await Promise.all([a.close(), b.close()]);
  });

  test('shows every function and backend, weights and health, and its numbers move', async () => {
    const browser = await playwright!.chromium.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
      page.on('request', (r) => requests.push(r.url()));
      const res = await page.goto(`${golb.url}/1/lb/dash`);
      assert.equal(res?.status(), 200);
      assert.match(res?.headers()['content-security-policy'] ?? '', /default-src 'none'/);

      const row = (fn: string, node: string) => page.locator(`[data-func="${fn}"] tr[data-node="${node}"]`);
      await row('resnet', a.address).waitFor({ timeout: 20_000 });
      await row('resnet', b.address).waitFor();
      await row('hello', b.address).waitFor();
      assert.match(await page.locator('[data-func="resnet"] h2').innerText(), /^resnet$/);
      assert.match(await page.locator('[data-func="hello"] h2').innerText(), /^hello$/);
      assert.match(await row('resnet', a.address).innerText(), new RegExp(`${a.address}\\s+3\\b`));
      assert.match(await row('resnet', b.address).innerText(), new RegExp(`${b.address}\\s+1\\b`));
      assert.equal(await row('resnet', a.address).locator('.dot.up').count(), 1, 'healthy backends show the up mark');
      assert.equal(await page.locator('#function-count').innerText(), '2');
      assert.equal(await page.locator('#backends-up').innerText(), '2 / 2');

      // The page redraws from /1/lb/stats every second: the minute's request count climbs.
      const total = async () => Number((await page.locator('#total-requests').innerText()).replace(/,/g, ''));
      const first = await total();
      await page.waitForFunction((seen) => Number(document.getElementById('total-requests')!.textContent!.replace(/,/g, '')) > seen, first, { timeout: 20_000 });
      assert.ok((await total()) > first);
      await page.waitForFunction(() => Number(document.getElementById('total-rps')!.textContent) > 0, undefined, { timeout: 20_000 });
      assert.equal(await page.locator('canvas').count() >= 4, true, 'sparklines are drawn');

      // golb's own 404s are no backend's error, but they show, by reason, next to the backends' errors.
      const stats = (await fetch(`${golb.url}/1/lb/stats`).then((r) => r.json())) as { rejected: Record<string, number>; functions: { errors: number }[] };
      assert.ok(stats.rejected.unknown_function! > 0, `the stats count golb's 404s by reason: ${JSON.stringify(stats.rejected)}`);
      assert.equal(stats.functions.reduce((n, f) => n + f.errors, 0), 0, 'no backend failed');
      const reason = page.locator('#rejections [data-reason="unknown_function"]');
      await reason.waitFor({ timeout: 20_000 });
      assert.match(await reason.innerText(), /^unknown_function\s+[1-9][\d,]*$/);
      await page.waitForFunction(() => Number(document.getElementById('total-rejected')!.textContent!.replace(/,/g, '')) > 0, undefined, { timeout: 20_000 });
      assert.equal(await page.locator('#total-errors').innerText(), '0', 'the backends answered every request they got');

      mkdirSync(join(ROOT, 'test-output'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'test-output', 'dash.png'), fullPage: true });
      assert.deepEqual(problems, []);
      const foreign = requests.filter((u) => !u.startsWith(golb.url + '/') && !u.startsWith('data:'));
      assert.deepEqual(foreign, [], 'the page is self-contained');
      assert.equal(requests.filter((u) => u === `${golb.url}/1/lb/stats`).length, 1, 'the whole minute once');
      assert.ok(requests.some((u) => /\/1\/lb\/stats\?since=\d+$/.test(u)), `then what is new: ${requests.join(' ')}`);
    } finally {
      await browser.close();
    }
    // The access log is off by default: no line per request.
    assert.doesNotMatch(golb.output(), /\baccess\b.*function=resnet/);
  });
});

describe('the dashboard when management reads need the admin token (golb on bun)', { skip }, () => {
  let a: Backend;
  let golb: GolbProcess;

  before(async () => {
    a = await startBackend();
    golb = await startGolb('bun', { weights: { resnet: { ips: [a.address], weights: [1] } }, env: { eb_go_lb_admin_token: 's3cret', eb_go_lb_protect_reads: 'true' } });
    await fetch(`${golb.url}/function/resnet/`).then((r) => r.arrayBuffer());
  });
  after(async () => {
    assert.equal(await golb.stop(), 0);
    await a.close();
  });

  test('the page opens without a header; its stats need the token, which #token= supplies', async () => {
    assert.equal((await fetch(`${golb.url}/1/lb/stats`).then(async (r) => (await r.arrayBuffer(), r.status))), 401);
    const browser = await playwright!.chromium.launch({ executablePath: chromium, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const without = await page.goto(`${golb.url}/1/lb/dash`);
      assert.equal(without?.status(), 200);
      await page.locator('#error').waitFor({ state: 'visible', timeout: 20_000 });
      assert.match(await page.locator('#error').innerText(), /401/);
      await page.goto(`${golb.url}/1/lb/dash#token=s3cret`);
      await page.reload();
      await page.locator(`[data-func="resnet"] tr[data-node="${a.address}"]`).waitFor({ timeout: 20_000 });
      assert.equal(await page.locator('#error').isVisible(), false);
      assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar once read');
    } finally {
      await browser.close();
    }
  });
});
