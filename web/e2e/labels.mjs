// Browser test of the map labels in real headless Chromium: the main map, zoomed onto a
// demo road, draws road names and house numbers with glyphs the server renders
// (/fonts/{fontstack}/{range}.pbf), Chinese included, and fetches nothing from outside.
// Run by `go test ./web` (TestLabelsBrowser), which passes the server URL, a road point and
// a house-number point from PostGIS, and the demo road names.
import { chromium } from 'playwright-core';

const base = process.env.FANGYUAN_URL;
const road = JSON.parse(process.env.FANGYUAN_ROAD || 'null'); // {name, lon, lat}
const house = JSON.parse(process.env.FANGYUAN_HOUSE || 'null'); // {lon, lat}
const names = new Set(JSON.parse(process.env.FANGYUAN_ROAD_NAMES || '[]'));
const shot = process.env.FANGYUAN_SCREENSHOT || 'labels.png';
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base || !road || !house || names.size === 0) { console.error('run through go test ./web'); process.exit(2); }

const failures = [];
const check = (ok, msg) => { if (!ok) failures.push(msg); console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`); };

const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 }, deviceScaleFactor: 1 });
  const errors = [];
  const external = [];
  const glyphs = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:')) external.push(u); });
  page.on('response', (r) => {
    if (r.url().includes('/fonts/')) glyphs.push({ url: decodeURIComponent(r.url()), status: r.status() });
    else if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });

  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
  const idle = () => page.waitForFunction(() => {
    const m = window.fangyuan && window.fangyuan.map;
    return m && m.isStyleLoaded() && m.areTilesLoaded() && !m.isMoving();
  }, null, { timeout: 30000, polling: 200 });
  // rendered features of a layer, once label placement has settled
  const rendered = (layer, prop) => page.waitForFunction(([layer, prop]) => {
    const m = window.fangyuan.map;
    if (!m.getLayer(layer)) return null;
    const fs = m.queryRenderedFeatures({ layers: [layer] });
    return fs.length ? fs.map((f) => f.properties[prop]) : null;
  }, [layer, prop], { timeout: 15000, polling: 250 }).then((h) => h.jsonValue()).catch(() => []);

  // 1. Road names at zoom 15 on a demo road.
  await page.evaluate(([lon, lat]) => window.fangyuan.map.jumpTo({ center: [lon, lat], zoom: 15 }), [road.lon, road.lat]);
  await idle();
  const roadLabels = await rendered('road-names', 'name');
  check(roadLabels.length > 0, `road-name labels rendered (${roadLabels.length}: ${[...new Set(roadLabels)].join(' ')})`);
  check(roadLabels.includes(road.name), `the road under the centre, ${road.name}, is labelled`);
  check(roadLabels.every((n) => names.has(n)), 'every label is a demo road name');
  await page.screenshot({ path: shot.replace(/\.png$/, '-roads.png') });

  // 2. House numbers at zoom 17.
  await page.evaluate(([lon, lat]) => window.fangyuan.map.jumpTo({ center: [lon, lat], zoom: 17 }), [house.lon, house.lat]);
  await idle();
  const numbers = await rendered('house-number-labels', 'label');
  check(numbers.length > 0 && numbers.every((l) => /号/.test(l)), `house-number labels rendered (${numbers.slice(0, 8).join(' ')}…)`);
  await page.screenshot({ path: shot });

  // 3. The glyphs came from the server, Chinese ranges included.
  check(glyphs.length > 0 && glyphs.every((g) => g.status === 200 || g.status === 304), `glyph requests answered 200 (${glyphs.length}: ${glyphs.map((g) => g.status).join(',')})`);
  check(glyphs.every((g) => g.url.includes('/fonts/Fangyuan Sans/')), 'glyphs are asked for the Fangyuan Sans stack');
  const cjk = glyphs.filter((g) => { const m = g.url.match(/\/(\d+)-(\d+)\.pbf/); return m && +m[1] >= 0x4e00 && +m[2] <= 0x9fff; });
  check(cjk.length > 0, `CJK glyph ranges come from the server (${cjk.map((g) => g.url.match(/\d+-\d+/)[0]).join(', ')})`);
  check(errors.length === 0, `no console or HTTP errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
  check(external.length === 0, `no request leaves the server${external.length ? ': ' + external.join(' ') : ''}`);
} finally {
  await browser.close();
}
if (failures.length) { console.error(`${failures.length} check(s) failed`); process.exit(1); }
