// Browser test of the accessibility toggle (web/static/access.js) on the coverage page: run
// by `go test ./web` (TestAccessBrowser) against a server on the demo data (FANGYUAN_URL).
import { chromium } from 'playwright-core';

const base = process.env.FANGYUAN_URL;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base) { console.error('FANGYUAN_URL is not set (run through go test ./web)'); process.exit(2); }
const failures = [];
const check = (ok, msg) => { if (!ok) failures.push(msg); console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`); };
const get = async (path) => { const r = await fetch(base + path); if (!r.ok) throw new Error(`${path}: ${r.status}`); return r.json(); };

const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.goto(base + '/#kind=eldercare_institution', { waitUntil: 'load' });
  await page.waitForFunction(() => window.fangyuan && window.fangyuan.state.kind === 'eldercare_institution' && document.body.dataset.ready, null, { timeout: 60000 });
  check(await page.isVisible('#show-access'), 'accessibility toggle shown');
  check(!(await page.evaluate(() => !!window.fangyuan.map.getLayer('access-cells'))), 'no accessibility layer before the toggle');

  // On: the layer over the townships' frame, the status line and the townships short of beds (from the API).
  const want = await get('/api/coverage/access?kind=eldercare_institution&decay=gaussian&measure=straight');
  await page.check('#show-access');
  await page.waitForFunction(() => !!window.fangyuan.map.getLayer('access-cells'), null, { timeout: 120000, polling: 250 });
  const src = await page.evaluate(() => window.fangyuan.map.getSource('access').coordinates);
  check(Array.isArray(src) && src.length === 4, `access layer is an image over ${JSON.stringify(src)}`);
  const short = want.Townships.filter((t) => t.Short).sort((a, b) => b.Shortfall - a.Shortfall).slice(0, 10).map((t) => t.Code);
  const listed = await page.$$eval('#access-table tbody tr[data-code]', (trs) => trs.map((tr) => tr.dataset.code));
  check(short.length > 0 && JSON.stringify(listed) === JSON.stringify(short), `townships short of beds listed as the API ranks them (${listed.length})`);
  const status = await page.textContent('#access-status');
  check(status.includes(want.Mean.toFixed(4)), `status gives the region mean (${status})`);

  // Step decay: a new image; off: the layer goes.
  await page.selectOption('#access-decay', 'step');
  await page.waitForFunction(() => !!window.fangyuan.map.getLayer('access-cells') && !document.querySelector('#access-status').textContent.includes('…'), null, { timeout: 120000, polling: 250 });
  await page.uncheck('#show-access');
  await page.waitForFunction(() => !window.fangyuan.map.getLayer('access-cells'), null, { timeout: 30000 });
  check(true, 'toggle off removes the layer');
  check(errors.length === 0, `no console errors (${errors.slice(0, 5).join(' | ')})`);
} finally {
  await browser.close();
}
if (failures.length) { console.error(`${failures.length} failure(s)`); process.exit(1); }
console.log('access browser test passed');
