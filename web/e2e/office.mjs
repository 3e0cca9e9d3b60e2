// Browser test of the place-name office's page (门牌管理) in real headless Chromium. Run by
// `go test ./web` (TestOfficeBrowser) against a server on the demo data wired as
// `fangyuan serve`: open a demo road, click beside it, accept the suggested number, see it
// on the map and in the table, find it through /api/search within 1 s of the POST, renumber
// it (lineage shown), issue and install its plate, run the name check, toggle English.
// It prints one line `RESULT {...}` with the ids for the Go test to check in PostGIS.
import { chromium } from 'playwright-core';

const base = process.env.FANGYUAN_URL;
const township = process.env.FANGYUAN_TOWNSHIP;
const roadName = process.env.FANGYUAN_ROAD;
const placeID = Number(process.env.FANGYUAN_PLACE_ID); // the demo place name the name check must find
const placeName = process.env.FANGYUAN_PLACE_NAME;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base || !township || !roadName || !placeID || !placeName) { console.error('run through go test ./web'); process.exit(2); }

const failures = [];
const check = (ok, msg) => { if (!ok) failures.push(msg); console.log(`${ok ? 'ok  ' : 'FAIL'} ${msg}`); };
const get = async (path) => { const r = await fetch(base + path); if (!r.ok) throw new Error(`${path}: ${r.status}`); return r.json(); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// The canonical written form, the plate's (人民路12号, 人民路甲12号, 人民路附12号, 人民路12号之一).
const written = (road, n, s) => (!s ? `${road}${n}号` : ['甲', '乙', '丙', '丁', '附'].includes(s) ? `${road}${s}${n}号` : `${road}${n}号${s}`);
const result = {};

const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  const errors = [];
  const external = [];
  const glyphs = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Labels need the glyph server (/fonts/…); this test does not depend on it.
    if ((m.location().url || '').includes('/fonts/') || m.text().includes('/fonts/')) return;
    errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('request', (r) => { const u = r.url(); if (!u.startsWith(base) && !u.startsWith('data:') && !u.startsWith('blob:')) external.push(u); });
  page.on('response', (r) => { if (r.url().includes('/fonts/')) glyphs.push(r.status()); });
  page.on('dialog', (d) => { errors.push('unexpected dialog: ' + d.message()); d.dismiss(); });
  await page.addInitScript((tok) => localStorage.setItem('fangyuan.token', tok), process.env.FANGYUAN_TOKEN);

  const roads = (await get(`/api/roads?within=${township}&limit=5000`)).items;
  const road = roads.find((r) => r.name === roadName);
  check(!!road, `road ${roadName} in township ${township}`);
  await page.goto(`${base}/ui/office.html?township=${township}&road=${road.id}`, { waitUntil: 'load' });
  await page.waitForFunction((id) => document.body.dataset.ready === String(id), road.id, { timeout: 30000 });

  // Chinese first.
  check(await page.textContent('header h1') === '方圆 门牌管理', 'Chinese first: 门牌管理');
  check(await page.evaluate(() => document.documentElement.lang) === 'zh-CN', 'html lang zh-CN');
  check(await page.textContent('#numbers thead th') === '门牌号', 'table headers in Chinese');
  const tw = (await get('/api/roads/townships')).townships.find((x) => x.code === township + '000');
  check(!!tw && await page.$eval('#township', (s) => [s.value, s.options[s.selectedIndex].textContent]).then(([v, txt]) => v === tw.code && txt.includes(tw.name)), `the township ${tw && tw.name} is chosen`);

  // The road's numbers in the table, as the API has them.
  const api = await get(`/api/roads/${road.id}/numbers`);
  const rows = await page.$$eval('#numbers tbody tr[data-id]', (trs) => trs.map((tr) => Number(tr.dataset.id)));
  check(rows.length === api.numbers.length && rows.length > 10, `${rows.length} number rows for the API's ${api.numbers.length}`);
  check(new Set(rows).size === rows.length && api.numbers.every((h) => rows.includes(h.id)), 'every number of the road is listed once');

  // A point between two neighbours on one side of the road, away from every number.
  const side = api.numbers.filter((h) => h.side === 'left' && h.suffix === '').sort((a, b) => a.along_m - b.along_m);
  const i = Math.floor(side.length / 2);
  const [a, b] = [side[i], side[i + 1]];
  const target = [(a.lon + b.lon) / 2, (a.lat + b.lat) / 2];
  await page.evaluate((c) => window.fangyuanOffice.map.jumpTo({ center: c, zoom: 18 }), target);
  await page.waitForFunction(() => { const m = window.fangyuanOffice.map; return m.loaded() && !m.isMoving() && m.areTilesLoaded(); }, null, { timeout: 30000 });
  const drawn = await page.evaluate(() => window.fangyuanOffice.map.queryRenderedFeatures({ layers: ['numbers'] }).length);
  check(drawn > 0, `${drawn} numbers drawn around the point`);
  const box = await page.$eval('#map', (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y }; });
  const px = await page.evaluate((c) => { const p = window.fangyuanOffice.map.project(c); return [p.x, p.y]; }, target);
  await page.mouse.click(box.x + px[0], box.y + px[1]);
  await page.waitForFunction(() => document.body.dataset.suggestion, null, { timeout: 15000 });

  // The suggestion shown is what the API suggests at the clicked point, explained in Chinese.
  const sg = await page.evaluate(() => window.fangyuanOffice.state.suggestion);
  const want = await get(`/api/roads/${road.id}/suggest?lon=${sg.point[0]}&lat=${sg.point[1]}`);
  check(Math.abs(sg.point[0] - target[0]) < 2e-5 && Math.abs(sg.point[1] - target[1]) < 2e-5, `clicked at ${sg.point} (aimed at ${target})`);
  check(sg.number === want.number && sg.suffix === want.suffix, `suggestion ${sg.number}${sg.suffix} = the API's ${want.number}${want.suffix}`);
  const shown = await page.textContent('#sg-address');
  check(shown === written(roadName, want.number, want.suffix), `suggestion shown as ${shown}`);
  const explain = await page.$$eval('#sg-explain li', (lis) => lis.map((li) => li.textContent));
  check(explain.length >= 4 && explain[0].includes('米') && explain[0].includes('左侧'), `explained in Chinese: ${explain[0]}`);
  const sgDrawn = await page.waitForFunction(() => window.fangyuanOffice.map.queryRenderedFeatures({ layers: ['suggestion'] }).length === 1, null, { timeout: 10000 })
    .then(() => true, () => false);
  check(sgDrawn, 'the suggestion is drawn');

  // Accept it: the POST, then the search must find the address within 1 s.
  await page.fill('#sg-approval', '澄地名〔2026〕88号');
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.url() === base + '/api/housenumbers' && r.request().method() === 'POST', { timeout: 15000 }),
    page.click('#sg-accept'),
  ]);
  const posted = Date.now();
  check(resp.status() === 201, `POST /api/housenumbers: ${resp.status()}`);
  const hn = await resp.json();
  result.house = hn.id;
  const q = written(roadName, hn.number, hn.suffix);
  const searched = (async () => {
    for (;;) {
      const res = await get(`/api/search?q=${encodeURIComponent(q)}`);
      if ((res.hits || res.items || res.results || []).some((h) => h.type === 'address' && h.id === hn.id)) return Date.now() - posted;
      if (Date.now() - posted > 5000) return Infinity;
      await sleep(25);
    }
  })();
  check(hn.number === want.number && hn.suffix === want.suffix && hn.status === 'active', `assigned ${hn.address}`);

  // The new number in the table and on the map.
  await page.waitForFunction((id) => document.body.dataset.assigned === String(id), hn.id, { timeout: 15000 });
  const row = await page.$eval(`#numbers tbody tr[data-id="${hn.id}"]`, (tr) => [tr.dataset.label, tr.classList.contains('selected')]).catch(() => null);
  check(!!row && row[1], `the new number is in the table, selected (${row && row[0]})`);
  check(await page.textContent('#hn-address').then((s) => s.startsWith(hn.address)), 'its details are shown');
  await page.waitForFunction(() => { const m = window.fangyuanOffice.map; return m.loaded() && !m.isMoving(); }, null, { timeout: 30000 });
  const onMap = await page.evaluate(([id, c]) => {
    const m = window.fangyuanOffice.map;
    const p = m.project(c);
    return m.queryRenderedFeatures([[p.x - 4, p.y - 4], [p.x + 4, p.y + 4]], { layers: ['numbers'] }).filter((f) => f.properties.id === id).map((f) => f.properties.label);
  }, [hn.id, [hn.lon, hn.lat]]);
  check(onMap.length === 1, `drawn on the map at its point (${onMap.join(',')})`);
  const ms = await searched;
  result.search_ms = ms;
  check(ms <= 1000, `/api/search finds ${q} ${ms} ms after the POST returned (≤ 1000)`);

  // Renumber it: the successor is selected, the lineage shows the retired predecessor.
  const newNumber = hn.number + 1000;
  await page.fill('#hn-number', String(newNumber));
  await page.click('#hn-renumber');
  await page.waitForFunction(() => (document.body.dataset.changed || '').startsWith('renumber:'), null, { timeout: 15000 });
  const succ = Number(await page.getAttribute('#house', 'data-id'));
  result.successor = succ;
  const lineage = await page.$$eval('#hn-lineage li', (lis) => lis.map((li) => [li.dataset.kind, Number(li.dataset.id), li.textContent]));
  check(lineage.length === 2 && lineage[0][0] === 'predecessor' && lineage[0][1] === hn.id && lineage[0][2].includes('已注销')
    && lineage[1][0] === 'current' && lineage[1][1] === succ && lineage[1][2].includes(`${newNumber}号`), `lineage shown: ${lineage.map((x) => x[2].replace(/\s+/g, ' ')).join(' → ')}`);
  const apiLineage = await get(`/api/housenumbers/${succ}`);
  check(apiLineage.predecessors.length === 1 && apiLineage.predecessors[0].id === hn.id, 'the API has the same lineage');
  const retiredRow = await page.$eval(`#numbers tbody tr[data-id="${hn.id}"]`, (tr) => tr.dataset.status).catch(() => null);
  check(retiredRow === 'retired', 'the old number stays listed as retired');

  // A digital plate for the successor: issued, then installed.
  await page.click('#plate-issue');
  await page.waitForSelector('#hn-plate[data-status="ordered"]', { timeout: 15000 });
  check((await page.textContent('#hn-plate')).includes('已订制'), 'plate ordered (in Chinese)');
  await page.click('#hn-plate button[data-to="installed"]');
  await page.waitForSelector('#hn-plate[data-status="installed"]', { timeout: 15000 });
  const plateRow = await page.$eval(`#numbers tbody tr[data-id="${succ}"] .ps`, (el) => el.textContent).catch(() => null);
  check(plateRow === '已安装', `the table shows the plate installed (${plateRow})`);
  result.plate = await page.$eval('#hn-plate code', (el) => el.textContent);

  // The name check finds the existing record of a proposed duplicate.
  await page.fill('#nc-name', placeName);
  await page.click('#nc-form button[type="submit"]');
  await page.waitForFunction(() => document.body.dataset.namecheck, null, { timeout: 15000 });
  const findings = await page.$$eval('#nc-findings li', (lis) => lis.map((li) => [li.dataset.kind, li.textContent]));
  check(findings.some(([k, txt]) => k === 'duplicate' && txt.startsWith('重名') && txt.includes(`#${placeID}`)), `name check: ${findings.map((f) => f[1]).join(' | ')}`);

  if (process.env.FANGYUAN_SCREENSHOT) {
    await page.evaluate(([c]) => { window.fangyuanOffice.map.jumpTo({ center: c, zoom: 16.5 }); document.querySelector('#panel').scrollTop = 0; }, [[hn.lon, hn.lat]]);
    await page.waitForFunction(() => { const m = window.fangyuanOffice.map; return m.loaded() && !m.isMoving() && m.areTilesLoaded(); }, null, { timeout: 30000 });
    await page.screenshot({ path: process.env.FANGYUAN_SCREENSHOT });
  }

  // English on the toggle.
  await page.click('#lang');
  check(await page.textContent('header h1') === '方圆 House numbers', 'English on the toggle');
  check(await page.textContent('#numbers thead th') === 'Number' && await page.evaluate(() => document.documentElement.lang) === 'en', 'table and lang in English');
  check((await page.textContent('#hn-plate')).includes('installed'), 'plate status in English');

  console.log(`glyph responses: ${glyphs.length} (${[...new Set(glyphs)].join(', ') || 'none'})`);
  check(external.length === 0, `no request leaves the server (${external.join(', ')})`);
  check(errors.length === 0, `no console errors (${errors.join(' | ')})`);
} finally {
  await browser.close();
}
console.log('RESULT ' + JSON.stringify(result));
if (failures.length) { console.error(`${failures.length} check(s) failed`); process.exit(1); }
