// Browser test of the boundary inspection page (界线联检) in real headless Chromium. Run by
// `go test ./web` (TestBoundaryBrowser) against a server on the demo county with the
// boundary demo (lines, markers, rounds); FANGYUAN_ROUND names the round to open and
// FANGYUAN_DOWNLOAD where to save the team package the test downloads.
import { chromium } from 'playwright-core';

const base = process.env.FANGYUAN_URL;
const round = process.env.FANGYUAN_ROUND;
const team = process.env.FANGYUAN_TEAM;
const download = process.env.FANGYUAN_DOWNLOAD;
const problemsFile = process.env.FANGYUAN_PROBLEMS; // the village layer with planted topology problems
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base || !round || !team || !download || !problemsFile) { console.error('run through go test ./web'); process.exit(2); }

const failures = [];
const check = (ok, msg) => { if (!ok) failures.push(msg); console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`); };
const get = async (path) => { const r = await fetch(base + path); if (!r.ok) throw new Error(`${path}: ${r.status}`); return r.json(); };

const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 820 }, acceptDownloads: true });
  const errors = [];
  const external = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:')) external.push(u); });
  page.on('dialog', (d) => { errors.push('unexpected dialog: ' + d.message()); d.dismiss(); });
  await page.addInitScript((tok) => localStorage.setItem('fangyuan.token', tok), process.env.FANGYUAN_TOKEN);

  const rounds = (await get('/api/boundary/rounds')).rounds;
  const r = rounds.find((x) => x.name === round);
  check(!!r, `round ${round} exists`);
  await page.goto(`${base}/ui/boundary.html?round=${encodeURIComponent(round)}`, { waitUntil: 'load' });
  await page.waitForFunction((id) => document.body.dataset.ready === String(id), r.id, { timeout: 30000 });
  check(await page.textContent('header h1') === '方圆 界线联检', 'Chinese first');

  // The round's markers are listed with their conditions, as the API has them.
  const api = (await get(`/api/boundary/markers?round=${r.id}`)).features;
  const rows = await page.$$eval('#markers tbody tr', (trs) => trs.map((tr) => [tr.dataset.number, tr.dataset.condition, tr.querySelector('.cond').textContent]));
  check(rows.length === api.length && rows.length > 0, `${rows.length} marker rows for ${api.length} markers`);
  const byNumber = new Map(api.map((f) => [f.properties.number, f.properties.condition]));
  const zh = { intact: '完好', damaged: '损坏', missing: '丢失', moved: '移位' };
  check(rows.every(([n, c, label]) => byNumber.get(n) === c && zh[c] === label), 'every row shows the marker\'s condition');
  const conditions = new Set(rows.map((x) => x[1]));
  check(conditions.has('damaged') && conditions.has('intact'), `the past round's findings show (conditions ${[...conditions].join(', ')})`);

  // Markers and lines are drawn on the map.
  await page.waitForFunction(() => { const m = window.fangyuanBoundary.map; return m.loaded() && !m.isMoving(); }, null, { timeout: 30000 });
  const drawn = await page.evaluate(() => window.fangyuanBoundary.map.queryRenderedFeatures({ layers: ['markers'] }).length);
  check(drawn > 0, `${drawn} markers drawn`);
  const lines = await page.evaluate(() => window.fangyuanBoundary.map.queryRenderedFeatures({ layers: ['lines'] }).length);
  check(lines > 0, `${lines} line features drawn`);

  // Topology findings (拓扑检查): first of the villages in the database, as the API has
  // them; then of the copy with planted problems chosen as a file: listed and drawn.
  await page.waitForFunction(() => document.body.dataset.topology === 'db:village', null, { timeout: 60000 });
  const dbFindings = (await get('/api/boundary/topology?level=village&within=339901')).features;
  const dbRows = await page.$$eval('#topology-list li[data-kind]', (lis) => lis.length);
  check(dbRows === dbFindings.length, `${dbRows} topology rows for the ${dbFindings.length} findings of the database`);
  await page.setInputFiles('#topo-file', problemsFile);
  await page.waitForFunction(() => document.body.dataset.topology === 'file:villages-with-problems.geojson', null, { timeout: 60000 });
  const topo = await page.$$eval('#topology-list li[data-kind]', (lis) => lis.map((li) => [li.dataset.kind, li.dataset.codes, li.textContent]));
  const kinds = new Set(topo.map((x) => x[0]));
  check(kinds.has('overlap') && kinds.has('gap') && kinds.has('outside_parent'), `the planted problems show (kinds ${[...kinds].join(', ')})`);
  check(topo.some(([k, codes]) => k === 'outside_parent' && codes === '339901101200,339901101000'), 'the grown village sticks out of its township');
  check(topo.some(([k, codes, text]) => k === 'overlap' && codes.includes('339901002001') && text.startsWith('重叠')), 'the shifted village overlaps its neighbour (in Chinese)');
  check(await page.textContent('#topology-count') === `(${topo.length})`, `count (${topo.length}) shown`);
  await page.click('#topology-list li[data-kind="outside_parent"]');
  await page.waitForFunction(() => { const m = window.fangyuanBoundary.map; return m.loaded() && !m.isMoving(); }, null, { timeout: 30000 });
  const topoDrawn = await page.evaluate(() => window.fangyuanBoundary.map.queryRenderedFeatures({ layers: ['topology'] }).map((f) => f.properties.kind));
  check(topoDrawn.includes('outside_parent'), `findings drawn on the map (${topoDrawn.length} features)`);

  // Team progress, and the team's package download.
  const teamRows = await page.$$eval('#teams tbody tr', (trs) => trs.map((tr) => tr.dataset.team));
  check(teamRows.includes(team), `team ${team} listed (${teamRows.join(', ')})`);
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 30000 }),
    page.click(`#teams tbody tr[data-team="${team}"] button`),
  ]);
  await dl.saveAs(download);
  check(dl.suggestedFilename().endsWith('.zip'), `downloaded ${dl.suggestedFilename()}`);

  if (process.env.FANGYUAN_SCREENSHOT) await page.screenshot({ path: process.env.FANGYUAN_SCREENSHOT });

  // English on the toggle.
  await page.click('#lang');
  check(await page.textContent('header h1') === '方圆 Boundary inspection', 'English on the toggle');

  check(external.length === 0, `no request leaves the server (${external.join(', ')})`);
  check(errors.length === 0, `no console errors (${errors.join(' | ')})`);
} finally {
  await browser.close();
}
if (failures.length) { console.error(`${failures.length} check(s) failed`); process.exit(1); }
