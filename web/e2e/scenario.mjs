// Browser test of the what-if scenario mode of the coverage map (情景模拟), in real headless
// Chromium. Run by `go test ./web` (TestScenarioBrowser), which serves the demo with the
// wiring of fangyuan serve and passes FANGYUAN_URL, FANGYUAN_TOKEN (a planner), FANGYUAN_KIND,
// FANGYUAN_RUN and a point FANGYUAN_LON/FANGYUAN_LAT inside a township below target
// (FANGYUAN_TOWNSHIP). It adds a planned facility by clicking the map there, checks the gap
// table against GET /api/scenarios/{id}, drags the facility, undoes both edits and checks the
// table is the run's again. It prints the table after the add (RESULT line) for the Go test
// to compare with a full run on the same facilities in PostGIS.
import { chromium } from 'playwright-core';

const base = process.env.FANGYUAN_URL;
const shot = process.env.FANGYUAN_SCREENSHOT || 'scenario.png';
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const [kind, runID, township] = [process.env.FANGYUAN_KIND, process.env.FANGYUAN_RUN, process.env.FANGYUAN_TOWNSHIP];
const [lon, lat] = [Number(process.env.FANGYUAN_LON), Number(process.env.FANGYUAN_LAT)];
if (!base || !kind || !runID || !township || !isFinite(lon)) { console.error('run through go test ./web (TestScenarioBrowser)'); process.exit(2); }

const failures = [];
const check = (ok, msg) => { if (!ok) failures.push(msg); console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`); };
const get = async (path) => {
  const r = await fetch(base + path, { headers: { Authorization: 'Bearer ' + process.env.FANGYUAN_TOKEN } });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
};

const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 820 }, deviceScaleFactor: 1 });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  const waitIdle = () => page.waitForFunction(() => {
    const m = window.fangyuan && window.fangyuan.map;
    return m && m.isStyleLoaded() && m.areTilesLoaded() && !m.isMoving();
  }, null, { timeout: 60000, polling: 200 }).then(() => page.waitForTimeout(300));
  const edits = (n) => page.waitForFunction((n) => {
    const s = document.body.dataset.scenario;
    return s != null && (s.split(':')[1] === '' ? 0 : s.split(':')[1].split(',').length) === n;
  }, n, { timeout: 60000 });
  // The gap table's rows as shown.
  const table = () => page.$$eval('#gap-table tbody tr[data-code]', (trs) => trs.map((tr) => {
    const td = tr.querySelectorAll('td');
    return { code: tr.dataset.code, rank: td[0].textContent.trim(), uncovered: td[2].textContent.trim(), share: td[3].childNodes[0].textContent.trim() };
  }));
  // The rows the page should show for a list of gaps, formatted as the page formats.
  const expected = (gaps) => page.evaluate((gaps) => gaps.map((g) => ({ code: g.code, rank: String(g.rank ?? ''),
    uncovered: Number(g.uncovered).toLocaleString('zh-CN', { maximumFractionDigits: 0 }), share: (100 * g.share).toFixed(1) + '%' })), gaps);
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  await page.goto(base + '/', { waitUntil: 'load' });
  await page.evaluate((tok) => localStorage.setItem('fangyuan.token', tok), process.env.FANGYUAN_TOKEN);
  await page.goto(`${base}/#kind=${kind}&measure=straight&run=${runID}`, { waitUntil: 'load' });
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction((id) => document.body.dataset.ready === String(id), runID, { timeout: 60000 });
  await waitIdle();
  const runGaps = (await get(`/api/coverage/runs/${runID}/gaps`)).items;
  const before = await table();
  check(same(before, await expected(runGaps)), `the run's gap table (${before.length} rows)`);
  check(before.some((r) => r.code === township), `township ${township} is in the gap table`);

  // 1. Scenario mode.
  await page.click('#scenario-toggle');
  await edits(0);
  const scenarioID = +(await page.evaluate(() => document.body.dataset.scenario.split(':')[0]));
  check(scenarioID > 0, `scenario ${scenarioID} created`);
  check(await page.textContent('#scenario-toggle') === '退出情景模拟', 'Chinese first (退出情景模拟)');
  check(same(await table(), before), 'no edits: the same table');

  // 2. Click the map at the point: a planned facility there.
  await page.evaluate(([lon, lat]) => window.fangyuan.map.jumpTo({ center: [lon, lat], zoom: 12.5 }), [lon, lat]);
  await waitIdle();
  const box = await page.$eval('#map', (el) => { const r = el.getBoundingClientRect(); return { x: r.left, y: r.top }; });
  const px = await page.evaluate(([lon, lat]) => window.fangyuan.map.project([lon, lat]), [lon, lat]);
  await page.mouse.click(box.x + px.x, box.y + px.y);
  await edits(1);
  await waitIdle();
  const view = await get(`/api/scenarios/${scenarioID}`);
  const after = await table();
  check(view.edits.length === 1 && view.edits[0].op === 'add', 'one add edit stored');
  const fac = view.facilities[0];
  check(fac && fac.planned && Math.abs(fac.lon - lon) < 0.001 && Math.abs(fac.lat - lat) < 0.001, `planned facility at the click (${fac && fac.lon}, ${fac && fac.lat})`);
  check(fac && fac.township === township, `it lies in ${township}`);
  check(same(after, await expected(view.gaps)), `gap table shows the scenario (${after.length} rows)`);
  check(!same(after, before), 'the gap table changed');
  const t0 = view.townships.find((u) => u.code === township);
  const rowAfter = after.find((r) => r.code === township);
  check(t0 && t0.covered > t0.base_covered && (!rowAfter || rowAfter.share !== before.find((r) => r.code === township).share),
    `${township}: covered ${t0 && Math.round(t0.base_covered)} → ${t0 && Math.round(t0.covered)}`);
  const drawn = await page.evaluate(() => window.fangyuan.map.queryRenderedFeatures({ layers: ['scenario-facilities'] }).length);
  check(drawn === 1, 'the planned facility is drawn');
  const fill = await page.evaluate((code) => {
    const f = window.fangyuan.map.querySourceFeatures('scenario-townships').find((f) => f.properties.code === code);
    return f ? f.properties.share : null;
  }, township);
  check(fill != null && Math.abs(fill - t0.share) < 1e-9, `the choropleth shows ${township}'s scenario share (${fill})`);
  await page.screenshot({ path: shot });
  console.log('screenshot', shot);
  console.log('RESULT ' + JSON.stringify({ scenario: scenarioID, lon: fac.lon, lat: fac.lat, rows: after }));

  // 3. Drag the planned facility 80 px east: a move edit.
  const p2 = await page.evaluate(([lon, lat]) => window.fangyuan.map.project([lon, lat]), [fac.lon, fac.lat]);
  await page.mouse.move(box.x + p2.x, box.y + p2.y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(box.x + p2.x + 10 * i, box.y + p2.y);
  await page.mouse.up();
  await edits(2);
  const moved = await get(`/api/scenarios/${scenarioID}`);
  check(moved.edits[1].op === 'move' && moved.edits[1].edit === moved.edits[0].id && moved.facilities[0].lon > fac.lon + 1e-4,
    `drag: the planned facility moved (${fac.lon} → ${moved.facilities[0].lon})`);
  check(same(await table(), await expected(moved.gaps)), 'gap table follows the move');

  // 4. Undo twice: the run's table again.
  await page.click('#scenario-undo');
  await edits(1);
  check(same(await table(), after), 'undo the move: the table after the add');
  await page.click('#scenario-undo');
  await edits(0);
  check(same(await table(), before), 'undo the add: the run\'s table again');
  const restored = await get(`/api/scenarios/${scenarioID}`);
  check(restored.edits.length === 0 && restored.townships.every((u) => !u.changed), 'no edits, no township changed');

  // 5. English; leaving the scenario shows the run.
  await page.click('#lang');
  check(await page.textContent('#scenario-toggle') === 'Leave the scenario', 'English on the toggle');
  await page.click('#scenario-toggle');
  await page.waitForFunction((id) => document.body.dataset.ready === String(id) && document.body.dataset.scenario == null, runID, { timeout: 60000 });
  check(same(await table(), before), 'left the scenario: the run\'s table');
  check(errors.length === 0, `no console errors or failed requests (${errors.join('; ')})`);
} finally {
  await browser.close();
}
if (failures.length) { console.error(`${failures.length} failures`); process.exit(1); }
console.log('all browser checks passed');
