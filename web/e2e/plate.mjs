// Browser test of the public page of a digital plate (/p/<id>) in real headless Chromium on
// a phone-sized viewport. Run by `go test ./gazetteer/plate` (TestPlatePageInBrowser),
// which serves a plate and passes FANGYUAN_URL, FANGYUAN_PLATE and FANGYUAN_ADDRESS.
import { chromium } from 'playwright-core';

const base = process.env.FANGYUAN_URL;
const id = process.env.FANGYUAN_PLATE;
const address = process.env.FANGYUAN_ADDRESS;
const shot = process.env.FANGYUAN_SCREENSHOT;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base || !id || !address) { console.error('FANGYUAN_URL, FANGYUAN_PLATE and FANGYUAN_ADDRESS must be set (run through go test ./gazetteer/plate)'); process.exit(2); }

const failures = [];
const check = (ok, msg) => { if (!ok) failures.push(msg); console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`); };

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const requests = [];
  const errors = [];
  page.on('request', (r) => { requests.push(r.url()); });
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));

  const res = await page.goto(`${base}/p/${id}`, { waitUntil: 'load' });
  check(res.status() === 200, `/p/${id} answers 200 (got ${res.status()})`);
  const full = (await page.textContent('#full-address')).trim();
  check(full === address, `the page shows the address ${address} (got ${full})`);
  check(await page.isVisible('#address'), 'the plate block is visible');
  const road = await page.textContent('#address .road');
  const box = await page.locator('#address').boundingBox();
  check(box && box.width <= 390 && box.width > 300, `the plate block fits the phone's width (${box && box.width} px)`);
  check(road && address.includes(road.trim()), `the plate block names the road (${road})`);
  check((await page.textContent('#plate-status')).trim().length > 0, 'the plate status is shown');
  const facilities = await page.locator('#facilities tr').count();
  check(facilities >= 1, `nearest facilities listed (${facilities})`);
  check(requests.length === 1, `one request, nothing else fetched: works offline once loaded (${requests.join(', ')})`);
  check(errors.length === 0, `no console errors (${errors.join('; ')})`);
  if (shot) await page.screenshot({ path: shot, fullPage: true });

  // An unknown id: a proper HTML 404 page.
  const missing = await page.goto(`${base}/p/00000000000`, { waitUntil: 'load' });
  check(missing.status() === 404, `an unknown plate answers 404 (got ${missing.status()})`);
  check((await page.textContent('h1')).includes('未找到该门牌'), 'the 404 page says the plate is not found');
} finally {
  await browser.close();
}
if (failures.length) { console.error(`${failures.length} failure(s)`); process.exit(1); }
console.log('plate page: all checks passed');
