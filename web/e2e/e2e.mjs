// Browser test of the coverage page in real headless Chromium (playwright-core driving the
// system chromium; no browser is downloaded). Run by `go test ./web` (TestBrowser), which
// starts the server of internal/app (as fangyuan serve) on a fresh demo database and passes its URL in FANGYUAN_URL.
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const base = process.env.FANGYUAN_URL;
const shot = process.env.FANGYUAN_SCREENSHOT || 'screenshot.png';
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base) { console.error('FANGYUAN_URL is not set (run through go test ./web)'); process.exit(2); }

const failures = [];
const check = (ok, msg) => { if (!ok) failures.push(msg); console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`); };
const get = async (path) => { const r = await fetch(base + path); if (!r.ok) throw new Error(`${path}: ${r.status}`); return r.json(); };

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 820 }, deviceScaleFactor: 1 });
  const consoleErrors = [];
  const external = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:')) external.push(u); });
  page.on('response', (r) => { if (r.status() >= 400) consoleErrors.push(`HTTP ${r.status()} ${r.url()}`); });

  const waitReady = (runID) => page.waitForFunction((id) => document.body.dataset.ready === String(id), runID, { timeout: 30000 });
  const waitIdle = () => page.waitForFunction(() => {
    const m = window.fangyuan && window.fangyuan.map;
    return m && m.isStyleLoaded() && m.areTilesLoaded() && !m.isMoving();
  }, null, { timeout: 30000, polling: 200 }).then(() => page.waitForTimeout(300));

  // 1. The page loads, on the first kind's newest finished run.
  await page.goto(base + '/', { waitUntil: 'load' });
  const kinds = (await get('/api/facility-kinds')).kinds;
  const first = (await get(`/api/coverage/runs?kind=${kinds[0].id}`)).runs.find((r) => r.status === 'done');
  check(!!first, `a finished run exists for ${kinds[0].id}`);
  await waitReady(first.id);
  await waitIdle();
  check(await page.textContent('header h1') === '方圆 覆盖分析', 'Chinese first');

  // 2. The canvas shows non-blank tiles.
  const pixels = await page.evaluate(() => {
    const src = window.fangyuan.map.getCanvas();
    const c = document.createElement('canvas');
    c.width = src.width; c.height = src.height;
    const g = c.getContext('2d');
    g.drawImage(src, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set();
    let painted = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, gg, b] = [d[i], d[i + 1], d[i + 2]];
      colours.add((r << 16) | (gg << 8) | b);
      if (Math.abs(r - 0xf3) + Math.abs(gg - 0xf1) + Math.abs(b - 0xec) > 30) painted++;
    }
    return { colours: colours.size, painted: painted / (d.length / 4) };
  });
  check(pixels.painted > 0.2 && pixels.colours > 20, `canvas shows tiles (${(100 * pixels.painted).toFixed(0)}% painted, ${pixels.colours} colours)`);
  await page.screenshot({ path: shot });
  console.log('screenshot', shot);

  // 3. Choosing a kind lists the same flagged townships as the API, in rank order.
  let chosen = null;
  for (const k of kinds.slice(1)) {
    const run = (await get(`/api/coverage/runs?kind=${k.id}`)).runs.find((r) => r.status === 'done');
    if (!run) continue;
    const gaps = (await get(`/api/coverage/runs/${run.id}/gaps`)).items;
    if (gaps.length > 0) { chosen = { kind: k.id, run, gaps }; break; }
  }
  check(!!chosen, 'a second kind with flagged townships');
  await page.selectOption('#kind', chosen.kind);
  await waitReady(chosen.run.id);
  const rows = await page.$$eval('#gap-table tbody tr[data-code]', (trs) => trs.map((tr) => tr.dataset.code));
  check(JSON.stringify(rows) === JSON.stringify(chosen.gaps.map((g) => g.code)),
    `${chosen.kind}: table lists the API's ${chosen.gaps.length} flagged townships (${rows.length} rows)`);
  // The printable county report of the shown run.
  const pdfHref = await page.getAttribute('#dl-pdf', 'href');
  const pdfResp = pdfHref && await fetch(new URL(pdfHref, base));
  check(pdfHref === `/api/coverage/runs/${chosen.run.id}/report.pdf?county=339901` && pdfResp.ok && pdfResp.headers.get('content-type') === 'application/pdf',
    `PDF report link (${pdfHref})`);
  await waitIdle();

  // 4. Clicking a row zooms to the township and shows its details.
  const target = chosen.gaps[0];
  const fc = await get(`/api/coverage/runs/${chosen.run.id}/townships.geojson`);
  const feat = fc.features.find((f) => f.properties.code === target.code);
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => { if (typeof c[0] === 'number') { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); } else c.forEach(walk); };
  walk(feat.geometry.coordinates);
  const zoomBefore = await page.evaluate(() => window.fangyuan.map.getZoom());
  await page.click(`#gap-table tbody tr[data-code="${target.code}"]`);
  await page.waitForTimeout(200);
  await waitIdle();
  const view = await page.evaluate(() => { const m = window.fangyuan.map; const c = m.getCenter(); const b = m.getBounds(); return { zoom: m.getZoom(), lon: c.lng, lat: c.lat, b: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] }; });
  check(view.zoom > zoomBefore + 0.5, `row click zooms in (${zoomBefore.toFixed(2)} → ${view.zoom.toFixed(2)})`);
  check(view.lon > w && view.lon < e && view.lat > s && view.lat < n, `map centred on ${target.name} (${view.lon.toFixed(4)}, ${view.lat.toFixed(4)})`);
  check(view.b[0] <= w + 1e-6 && view.b[2] >= e - 1e-6 && view.b[1] <= s + 1e-6 && view.b[3] >= n - 1e-6, 'the whole township is in view');
  const details = await page.textContent('#details');
  check(details.includes(target.name) && !(await page.isHidden('#details')), 'details panel shows the township');
  if (process.env.FANGYUAN_SCREENSHOT_DETAIL) await page.screenshot({ path: process.env.FANGYUAN_SCREENSHOT_DETAIL });
  check(await page.$eval(`#gap-table tbody tr[data-code="${target.code}"]`, (tr) => tr.classList.contains('selected')), 'row is selected');

  // 5. Facility popup on a marker.
  const marker = await page.evaluate(() => {
    const m = window.fangyuan.map;
    const fs = m.queryRenderedFeatures({ layers: ['facilities'] });
    if (!fs.length) return null;
    const p = m.project(fs[0].geometry.coordinates);
    return { x: p.x, y: p.y, name: fs[0].properties.name };
  });
  if (marker) {
    const box = await page.$eval('#map', (el) => { const r = el.getBoundingClientRect(); return { x: r.left, y: r.top }; });
    await page.mouse.click(box.x + marker.x, box.y + marker.y);
    await page.waitForSelector('.maplibregl-popup', { timeout: 5000 }).catch(() => {});
    const txt = await page.textContent('.maplibregl-popup').catch(() => '');
    check((txt || '').length > 0, `facility popup (${marker.name})`);
  } else {
    check(false, 'facility markers rendered in the township view');
  }

  // 6. The search box asks /api/search (the same routes as fangyuan serve), lists the
  // township and flies the map there. The township comes from the demo's source table,
  // data/demo/divisions/fangyuan-demo/streets.csv: one other than the selected one.
  const csv = readFileSync(new URL('../../data/demo/divisions/fangyuan-demo/streets.csv', import.meta.url), 'utf8');
  const towns = csv.trim().split('\n').slice(1).map((l) => { const [code, name] = l.split(','); return { code: code + '000', name: name.replace(/"/g, '') }; });
  const pick = towns.find((u) => u.code !== target.code && fc.features.some((f) => f.properties.code === u.code));
  check(!!pick, `a demo township from streets.csv other than ${target.name}`);
  const pickFeat = fc.features.find((f) => f.properties.code === pick.code);
  [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  walk(pickFeat.geometry.coordinates);
  const before = await page.evaluate(() => { const m = window.fangyuan.map; const c = m.getCenter(); return { zoom: m.getZoom(), lon: c.lng, lat: c.lat }; });
  check(!(before.lon > w && before.lon < e && before.lat > s && before.lat < n), `the map is not on ${pick.name} before the search`);
  const searched = page.waitForResponse((r) => r.url().startsWith(base + '/api/search?') && r.status() === 200, { timeout: 10000 });
  await page.fill('#search', pick.name);
  const hits = (await (await searched).json()).hits;
  check(hits.length > 0 && hits[0].name === pick.name, `/api/search?q=${pick.name} answers it first (${hits.length} hits)`);
  await page.waitForSelector(`#search-results li[data-code]`, { timeout: 10000 });
  const listed = await page.$$eval('#search-results li[data-code]', (lis) => lis.map((li) => ({ code: li.dataset.code, text: li.textContent })));
  check(listed.length > 0 && listed[0].text.startsWith(pick.name) && (listed[0].code + '000000000000').slice(0, 12) === pick.code,
    `search box lists ${pick.name} first (${listed.map((l) => l.text).slice(0, 3).join(' | ')})`);
  await page.click('#search-results li[data-i="0"]');
  await page.waitForTimeout(200);
  await waitIdle();
  const flown = await page.evaluate(() => { const m = window.fangyuan.map; const c = m.getCenter(); const b = m.getBounds(); return { zoom: m.getZoom(), lon: c.lng, lat: c.lat, b: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] }; });
  check(flown.lon > w && flown.lon < e && flown.lat > s && flown.lat < n,
    `map flew to ${pick.name}: centre (${before.lon.toFixed(4)}, ${before.lat.toFixed(4)}) → (${flown.lon.toFixed(4)}, ${flown.lat.toFixed(4)}), zoom ${before.zoom.toFixed(2)} → ${flown.zoom.toFixed(2)}`);
  check(flown.b[0] <= w + 1e-6 && flown.b[2] >= e - 1e-6 && flown.b[1] <= s + 1e-6 && flown.b[3] >= n - 1e-6, `the whole of ${pick.name} is in view`);
  check((await page.textContent('#details')).includes(pick.name) && await page.isHidden('#search-results'), `search "${pick.name}" selects it`);

  // 7. English toggle.
  await page.click('#lang');
  check(await page.textContent('header h1') === '方圆 Coverage', 'English toggle');
  await page.click('#lang');

  // 8. A planner starts a new run; the page follows it until it is done and lists its gaps.
  if (process.env.FANGYUAN_TOKEN) {
    await page.evaluate((tok) => localStorage.setItem('fangyuan.token', tok), process.env.FANGYUAN_TOKEN);
    const before = await page.evaluate(() => window.fangyuan.state.run.id);
    await page.click('#start-run');
    await page.waitForFunction((b) => {
      const s = window.fangyuan.state;
      return s.run && s.run.id > b && s.run.status === 'done' && document.body.dataset.ready === String(s.run.id);
    }, before, { timeout: 90000, polling: 250 });
    const run = await page.evaluate(() => window.fangyuan.state.run);
    const gaps = (await get(`/api/coverage/runs/${run.id}/gaps`)).items.map((g) => g.code);
    const listed = await page.$$eval('#gap-table tbody tr[data-code]', (trs) => trs.map((tr) => tr.dataset.code));
    check(run.kind === chosen.kind && JSON.stringify(listed) === JSON.stringify(gaps), `new run #${run.id} followed to the end (${gaps.length} gaps listed)`);
    await waitIdle();
  }

  // 9. The measure toggle (覆盖口径): travel time shows the kind's newest travel-time run;
  // the choropleth and the gap table follow it; zoomed in, cells are coloured by minutes.
  {
    const all = (await get(`/api/coverage/runs?kind=${chosen.kind}`)).runs;
    const straightRun = all.find((r) => r.status === 'done' && r.reach === 'straight');
    const travelRun = all.find((r) => r.status === 'done' && r.reach === 'travel');
    check(!!straightRun && !!travelRun, `${chosen.kind}: finished straight-line and travel-time runs (#${straightRun && straightRun.id}, #${travelRun && travelRun.id})`);
    const tj = await get('/tiles/township.json');
    const fitCounty = () => page.evaluate((b) => window.fangyuan.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 30, duration: 0 }), tj.bounds);
    const shares = () => page.evaluate(() => {
      const out = {};
      for (const f of window.fangyuan.map.queryRenderedFeatures({ layers: ['coverage-fill'] })) out[f.properties.code] = f.properties.share;
      return out;
    });
    const apiShares = async (id) => Object.fromEntries((await get(`/api/coverage/runs/${id}/townships`)).items.map((u) => [u.code, u.share]));
    const [sAPI, tAPI] = [await apiShares(straightRun.id), await apiShares(travelRun.id)];
    const differ = Object.keys(tAPI).filter((c) => Math.abs(tAPI[c] - sAPI[c]) > 0.01);
    check(differ.length > 0, `the two measures differ in ${differ.length} townships (API)`);
    await page.selectOption('#kind', chosen.kind);
    await waitReady(straightRun.id);
    await fitCounty();
    await waitIdle();
    const before = await shares();
    await page.selectOption('#measure', 'travel');
    await waitReady(travelRun.id);
    await fitCounty();
    await waitIdle();
    const after = await shares();
    const matches = (got, want) => Object.keys(want).every((c) => got[c] === undefined || Math.abs(got[c] - want[c]) < 1e-3);
    check(Object.keys(after).length > 0 && matches(after, tAPI) && matches(before, sAPI),
      `choropleth shows each run's shares (${Object.keys(before).length} / ${Object.keys(after).length} townships rendered)`);
    check(differ.some((c) => before[c] !== undefined && after[c] !== undefined && Math.abs(before[c] - after[c]) > 0.01),
      `choropleth changes with the measure (${differ.filter((c) => after[c] !== undefined).map((c) => `${c}: ${(100 * before[c]).toFixed(0)}% → ${(100 * after[c]).toFixed(0)}%`).slice(0, 3).join(', ')})`);
    const tGaps = (await get(`/api/coverage/runs/${travelRun.id}/gaps`)).items.map((g) => g.code);
    const listedT = await page.$$eval('#gap-table tbody tr[data-code]', (trs) => trs.map((tr) => tr.dataset.code));
    check(JSON.stringify(listedT) === JSON.stringify(tGaps), `gap table follows the travel-time run (${tGaps.length} gaps)`);
    check((await page.textContent('#summary')).includes('直线覆盖但路网不可达'), 'summary gives both measures and the difference');
    check(await page.isVisible('#minutes-legend'), 'minutes legend shown for travel time');
    // The minutes layer: the run's minutes.png over the grid's extent, drawn from zoom 11 on.
    const png = await fetch(`${base}/api/coverage/runs/${travelRun.id}/minutes.png`);
    const bounds = (png.headers.get('X-Fangyuan-Bounds') || '').split(',').map(Number);
    const layer = await page.evaluate(() => {
      const m = window.fangyuan.map;
      const l = m.getLayer('minutes-cells');
      const src = m.getSource('minutes');
      return l && src ? { minzoom: l.minzoom, type: l.type, coords: src.coordinates } : null;
    });
    check(png.ok && bounds.length === 4 && !!layer && layer.type === 'raster' && layer.minzoom === 11 &&
      Math.abs(layer.coords[0][0] - bounds[0]) < 1e-9 && Math.abs(layer.coords[0][1] - bounds[3]) < 1e-9 &&
      Math.abs(layer.coords[2][0] - bounds[2]) < 1e-9 && Math.abs(layer.coords[2][1] - bounds[1]) < 1e-9,
    `minutes layer: raster from zoom 11 over the grid (${bounds.map((v) => v.toFixed(4)).join(', ')})`);
    // And back.
    await page.selectOption('#measure', 'straight');
    await waitReady(straightRun.id);
    check(await page.isHidden('#minutes-legend'), 'straight line: no minutes legend');
  }

  check(external.length === 0, `no request leaves the server (${external.slice(0, 3).join(', ')})`);
  check(consoleErrors.length === 0, `no console errors (${consoleErrors.slice(0, 5).join(' | ')})`);
} finally {
  await browser.close();
}
if (failures.length) { console.error(`${failures.length} failure(s)`); process.exit(1); }
console.log('browser test passed');
