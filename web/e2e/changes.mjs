// Browser test of the yearly code update's page (区划代码年度更新, web/static/changes.js) in
// real headless Chromium. Run by `go test ./web` (TestChangesBrowser) against a server wired
// as `fangyuan serve` on the demo data with one update report holding two pending records:
// a facility (assigned to the candidate through the page) and a road (kept). Chinese first,
// English on the toggle; no console error, failed request or outside request.
import { chromium } from 'playwright-core';

const base = process.env.FANGYUAN_URL;
const token = process.env.FANGYUAN_TOKEN;
const report = Number(process.env.FANGYUAN_REPORT);
const facility = Number(process.env.FANGYUAN_FACILITY);
const target = process.env.FANGYUAN_TARGET;
const road = Number(process.env.FANGYUAN_ROAD_ID);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base || !token || !report || !facility || !target || !road) { console.error('run through go test ./web'); process.exit(2); }

const failures = [];
const check = (ok, msg) => { if (!ok) failures.push(msg); console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`); };

const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
  const errors = [];
  const external = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith(base) && !u.startsWith('data:')) external.push(u); });
  page.on('dialog', (d) => { errors.push('unexpected dialog: ' + d.message()); d.dismiss(); });
  await page.addInitScript((tok) => { localStorage.setItem('fangyuan.token', tok); localStorage.setItem('fangyuan.lang', 'zh'); }, token);
  await page.goto(`${base}/ui/changes.html?report=${report}`, { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60000 });

  const rows = await page.$$eval('#pending tbody tr', (trs) => trs.map((tr) => ({ key: tr.dataset.key, text: tr.textContent })));
  check(rows.length === 2, `two pending records listed (${rows.length})`);
  const facKey = `facility:${facility}:admin_code`;
  const roadKey = `road:${road}:admin_code`;
  const facRow = rows.find((r) => r.key === facKey);
  check(!!facRow && facRow.text.includes('设施') && facRow.text.includes('拆分'), `the facility's row in Chinese, with its reason (${facRow && facRow.text.replace(/\s+/g, ' ').slice(0, 120)})`);
  check(await page.textContent('#count') === '（2 条）', `count ${await page.textContent('#count')}`);
  check((await page.getAttribute('#pending-csv', 'href')) === `/api/divisions/changes/${report}/pending?format=csv`, 'CSV download link');

  // Assign without a code: the page asks for one and sends nothing.
  const fac = page.locator(`#pending tbody tr[data-key="${facKey}"]`);
  await fac.locator('input').fill('');
  await fac.locator('button.assign').click();
  check((await page.textContent('#status')).includes('请填写'), 'an empty code is refused on the page');
  // Assign the candidate.
  await fac.locator('input').fill(target);
  await fac.locator('button.assign').click();
  await page.waitForFunction((k) => !document.querySelector(`#pending tbody tr[data-key="${k}"]`), facKey, { timeout: 30000 });
  check((await page.textContent('#status')).includes(target), `status after assign: ${await page.textContent('#status')}`);
  check(await page.evaluate(() => document.body.dataset.remaining) === '1', 'the server counts one record still waiting');

  // English, then keep the road.
  await page.click('#lang');
  check((await page.textContent('h1')).includes('Yearly division-code update'), 'English title');
  const roadRow = page.locator(`#pending tbody tr[data-key="${roadKey}"]`);
  check((await roadRow.textContent()).includes('Road'), 'the road row in English');
  await roadRow.locator('button.keep').click();
  await page.waitForFunction(() => !document.querySelector('#pending tbody tr'), null, { timeout: 30000 });
  check(await page.isVisible('#empty') && (await page.textContent('#empty')) === 'No pending record', 'nothing pending is said');
  check(await page.evaluate(() => document.body.dataset.remaining) === '0', 'the server counts none waiting');
  check(errors.length === 0, `no console errors or failed requests (${errors.slice(0, 5).join(' | ')})`);
  check(external.length === 0, `no request outside the server (${external.slice(0, 3).join(' ')})`);
} finally {
  await browser.close();
}
if (failures.length) { console.error(`${failures.length} failure(s)`); process.exit(1); }
console.log('changes browser test passed');
