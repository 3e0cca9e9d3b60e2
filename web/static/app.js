// 方圆 覆盖分析 — the coverage page: kind and run pickers, township choropleth from the
// service's own vector tiles, ranked gap table, facility popups, search, downloads.
(() => {
  'use strict';
  const $ = (s) => document.querySelector(s);
  const state = {
    lang: localStorage.getItem('fangyuan.lang') || 'zh',
    kinds: [], kind: '', runs: [], run: null, measure: 'straight', minutes: null,
    townships: new Map(), gaps: [], bboxes: new Map(), selected: '',
    searchAPI: null, fitted: false, ready: false,
  };
  const t = (k) => I18N[state.lang][k] ?? I18N.zh[k] ?? k;
  const flagName = (f) => t('flag')[f] || f;
  const num = (v, d = 0) => v == null ? '–' : Number(v).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en', { maximumFractionDigits: d });
  const pct = (v) => v == null ? '–' : (100 * v).toFixed(1) + '%';
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const token = () => localStorage.getItem('fangyuan.token') || '';
  const authHeaders = () => (token() ? { Authorization: 'Bearer ' + token() } : {});

  async function api(path, opts = {}, retried = false) {
    const r = await fetch(path, { ...opts, headers: { ...authHeaders(), ...(opts.headers || {}) } });
    if (r.status === 401 && !retried) { // the server wants a token for reads (--reads token)
      const tok = prompt(t('tokenPrompt'));
      if (tok) {
        localStorage.setItem('fangyuan.token', tok.trim());
        return api(path, opts, true);
      }
    }
    const body = r.status === 204 ? null : await r.json().catch(() => null);
    if (!r.ok) {
      const e = new Error((body && body.error && body.error.message) || r.statusText);
      e.status = r.status;
      throw e;
    }
    return body;
  }

  function setStatus(msg, error = false) {
    const el = $('#run-status');
    el.textContent = msg || '';
    el.classList.toggle('error', !!error);
  }

  // ---- map ----
  const map = new maplibregl.Map({
    container: 'map',
    style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f3f1ec' } }] },
    center: [120, 28.5], zoom: 8, maxZoom: 18,
    preserveDrawingBuffer: true, // lets the browser test read the canvas
    localIdeographFontFamily: false, // Chinese labels from the server's glyphs (/fonts) too, not the browser's fonts
    attributionControl: false,
    transformRequest: (url) => (token() && url.startsWith(location.origin) ? { url, headers: authHeaders() } : { url }),
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');

  let styleKey = '';
  async function loadStyle() {
    const q = new URLSearchParams();
    if (state.kind) q.set('kind', state.kind);
    if (state.run && state.run.status === 'done') q.set('run', state.run.id);
    const key = q.toString();
    if (key === styleKey) return;
    styleKey = key;
    const style = await api('/tiles/style.json?' + key);
    map.setStyle(style);
    map.once('styledata', applyMapState);
    if (!state.fitted) {
      state.fitted = true;
      const tj = await api('/tiles/township.json');
      const b = tj.bounds;
      map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 30, duration: 0 });
    }
  }

  // The travel time per cell (minutes.png of a travel-time run), drawn over the
  // choropleth from zoom 11 on, one pixel per cell (no smoothing).
  function addMinutesLayer() {
    const m = state.minutes;
    if (!m || m.run !== (state.run && state.run.id) || map.getSource('minutes')) return;
    if (!map.isStyleLoaded()) { map.once('idle', applyMapState); return; }
    const [w, s, e, n] = m.bounds;
    map.addSource('minutes', { type: 'image', url: m.url, coordinates: [[w, n], [e, n], [e, s], [w, s]] });
    const before = ['coverage-selected', 'facilities'].find((l) => map.getLayer(l));
    map.addLayer({ id: 'minutes-cells', type: 'raster', source: 'minutes', minzoom: 11,
      paint: { 'raster-opacity': 0.8, 'raster-resampling': 'nearest', 'raster-fade-duration': 0 } }, before);
  }

  function removeMinutesLayer() {
    if (map.getLayer('minutes-cells')) map.removeLayer('minutes-cells');
    if (map.getSource('minutes')) map.removeSource('minutes');
  }

  async function loadMinutes(run) {
    removeMinutesLayer();
    if (state.minutes) URL.revokeObjectURL(state.minutes.url);
    state.minutes = null;
    $('#minutes-legend').hidden = !(run && run.reach === 'travel' && run.status === 'done');
    if ($('#minutes-legend').hidden) return;
    const r = await fetch(`/api/coverage/runs/${run.id}/minutes.png`, { headers: authHeaders() });
    if (!r.ok || state.run !== run) return;
    const bounds = (r.headers.get('X-Fangyuan-Bounds') || '').split(',').map(Number);
    if (bounds.length !== 4 || bounds.some((v) => !isFinite(v))) return;
    state.minutes = { url: URL.createObjectURL(await r.blob()), bounds, run: run.id };
  }

  function applyMapState() {
    addMinutesLayer();
    if (map.getLayer('coverage-selected')) map.setFilter('coverage-selected', ['==', ['get', 'code'], state.selected || '']);
    for (const l of ['cells-fill', 'minutes-cells']) {
      if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', $('#show-cells').checked ? 'visible' : 'none');
    }
  }

  const popup = new maplibregl.Popup({ closeButton: true, maxWidth: '300px' });
  map.on('click', (e) => {
    const feats = map.queryRenderedFeatures(e.point, { layers: ['facilities', 'coverage-fill'].filter((l) => map.getLayer(l)) });
    const fac = feats.find((f) => f.layer.id === 'facilities');
    if (fac) {
      const p = fac.properties;
      const kind = state.kinds.find((k) => k.id === p.kind);
      popup.setLngLat(fac.geometry.coordinates).setHTML(
        `<h3>${esc(p.name)}</h3><div>${esc(kind ? kindName(kind) : p.kind)}</div>` +
        `<div>${t('status')}: ${esc(t('st')[p.status] || p.status)}</div>` +
        (p.beds != null ? `<div>${t('beds')}: ${num(p.beds)}</div>` : '')).addTo(map);
      return;
    }
    const cov = feats.find((f) => f.layer.id === 'coverage-fill');
    if (cov) selectTownship(cov.properties.code, false);
  });
  for (const l of ['facilities', 'coverage-fill']) {
    map.on('mouseenter', l, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', l, () => { map.getCanvas().style.cursor = ''; });
  }

  // ---- kinds and runs ----
  const kindName = (k) => (state.lang === 'zh' ? k.name : k.name_en || k.name);

  function renderKinds() {
    $('#kind').innerHTML = state.kinds.map((k) => `<option value="${esc(k.id)}">${esc(kindName(k))}</option>`).join('');
    $('#kind').value = state.kind;
  }

  function runLabel(r) {
    const st = { done: t('runDone'), running: t('runRunning'), failed: t('runFailed'), queued: t('runQueued') }[r.status] || r.status;
    const reach = r.reach === 'travel' ? t('travel') : `${num(r.radius_m)} m`;
    return `#${r.id} · ${r.as_of} · ${reach} · ${st}`;
  }

  function renderRuns() {
    const sel = $('#run');
    sel.innerHTML = state.runs.length ? state.runs.map((r) => `<option value="${r.id}">${esc(runLabel(r))}</option>`).join('')
      : `<option value="">${esc(t('noRuns'))}</option>`;
    if (state.run) sel.value = String(state.run.id);
  }

  async function selectKind(kind, runID) {
    state.kind = kind;
    $('#kind').value = kind;
    const { runs: all } = await api('/api/coverage/runs?kind=' + encodeURIComponent(kind));
    const wanted = all.find((r) => String(r.id) === String(runID));
    if (wanted) setMeasure(wanted.reach || 'straight');
    const runs = all.filter((r) => (r.reach || 'straight') === state.measure);
    state.runs = runs;
    const run = wanted || runs.find((r) => r.status === 'done') || runs[0] || null;
    renderRuns();
    await selectRun(run);
  }

  function setMeasure(m) {
    state.measure = m === 'travel' ? 'travel' : 'straight';
    $('#measure').value = state.measure;
  }

  async function selectRun(run) {
    state.ready = false;
    document.body.dataset.ready = '';
    state.run = run;
    state.selected = '';
    state.townships = new Map();
    state.gaps = [];
    $('#details').hidden = true;
    renderRuns();
    history.replaceState(null, '', '#' + new URLSearchParams({ kind: state.kind, measure: state.measure, ...(run ? { run: run.id } : {}) }));
    const links = { geojson: run && `/api/coverage/runs/${run.id}/townships.geojson`, csv: run && `/api/coverage/runs/${run.id}.csv`, xlsx: run && `/api/coverage/runs/${run.id}.xlsx` };
    for (const [k, href] of Object.entries(links)) {
      const a = $('#dl-' + k);
      if (href && run.status === 'done') { a.href = href; a.removeAttribute('aria-disabled'); } else { a.removeAttribute('href'); a.setAttribute('aria-disabled', 'true'); }
    }
    if (run && run.status !== 'done' && run.status !== 'failed') { poll(run.id); }
    setStatus(run && run.status === 'failed' ? t('failed') + (run.error || '') : '', run && run.status === 'failed');
    const jobs = [loadStyle(), loadMinutes(run)];
    if (run && run.status === 'done') {
      jobs.push(api(`/api/coverage/runs/${run.id}/townships`).then((b) => { for (const u of b.items) state.townships.set(u.code, u); }));
      jobs.push(api(`/api/coverage/runs/${run.id}/gaps`).then((b) => { state.gaps = b.items; }));
      jobs.push(api(`/api/coverage/runs/${run.id}/townships.geojson`).then((fc) => {
        state.bboxes = new Map();
        for (const f of fc.features) state.bboxes.set(f.properties.code, bbox(f.geometry));
      }));
    }
    await Promise.all(jobs);
    if (state.run !== run) return; // another choice was made meanwhile
    // The printable county report (PDF) of the first township's county.
    const first = state.townships.values().next().value, pdf = $('#dl-pdf');
    if (first && first.parent_code) { pdf.href = `/api/coverage/runs/${run.id}/report.pdf?county=${first.parent_code}`; pdf.title = first.parent_code; pdf.removeAttribute('aria-disabled'); } else { pdf.removeAttribute('href'); pdf.setAttribute('aria-disabled', 'true'); }
    applyMapState();
    renderSummary();
    renderGaps();
    state.ready = true;
    document.body.dataset.ready = run ? String(run.id) : 'none';
  }

  function bbox(g) {
    let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
    const walk = (c) => { if (typeof c[0] === 'number') { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); } else c.forEach(walk); };
    if (g) walk(g.coordinates);
    return [w, s, e, n];
  }

  let polling = 0;
  async function poll(id) {
    const me = ++polling;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      if (me !== polling) return;
      let run;
      try { run = await api('/api/coverage/runs/' + id); } catch (e) { setStatus(t('failed') + e.message, true); return; }
      setStatus(`${t('runRunning')} ${run.progress ? (run.progress.stage || '') + ' ' + Math.round(100 * (run.progress.fraction || 0)) + '%' : ''}`);
      if (run.status === 'done' || run.status === 'failed') {
        if (state.run && state.run.id === id) { await selectKind(state.kind, id); }
        return;
      }
    }
  }

  async function startRun() {
    let tok = token();
    if (!tok) {
      tok = prompt(t('tokenPrompt'));
      if (!tok) return;
      localStorage.setItem('fangyuan.token', tok.trim());
    }
    try {
      const run = await api('/api/coverage/runs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: state.kind, reach: state.measure }) });
      setStatus(t('started') + ' #' + run.id);
      await selectKind(state.kind, run.id);
    } catch (e) {
      if (e.status === 401 || e.status === 403) localStorage.removeItem('fangyuan.token');
      setStatus(t('failed') + e.message, true);
    }
  }

  // ---- panel ----
  function renderSummary() {
    const s = state.run && state.run.summary;
    $('#summary').innerHTML = !s ? `<span class="empty">${esc(state.run ? runLabel(state.run) : t('noRuns'))}</span>` : [
      [t('population'), num(s.population)], [t('covered'), num(s.covered)], [t('share'), pct(s.share)],
      [t('target'), pct(s.target)], [t('townships'), num(s.townships)], [t('flagged'), num(s.flagged)],
      ...(s.measures ? [[t('straightShare'), pct(s.measures.straight_share)], [t('travelShare'), pct(s.measures.travel_share)],
        [t('straightOnly'), num(s.measures.straight_only)]] : []),
    ].map(([k, v]) => `<div><small>${esc(k)}</small><b>${esc(v)}</b></div>`).join('');
  }

  const flagsHTML = (flags) => (flags || []).map((f) => `<span class="flag" title="${esc(f)}">${esc(flagName(f))}</span>`).join('');

  function renderGaps() {
    const body = $('#gap-table tbody');
    $('#gap-count').textContent = state.run && state.run.status === 'done' ? `(${state.gaps.length})` : '';
    body.innerHTML = state.gaps.length ? state.gaps.map((g) =>
      `<tr data-code="${esc(g.code)}"${g.code === state.selected ? ' class="selected"' : ''}><td class="num">${g.rank ?? ''}</td><td>${esc(g.name)}</td>` +
      `<td class="num">${num(g.uncovered)}</td><td class="num">${pct(g.share)}</td><td>${flagsHTML(g.flags)}</td></tr>`).join('')
      : `<tr><td colspan="5" class="empty">${esc(state.run ? t('noGaps') : t('noRuns'))}</td></tr>`;
  }

  function renderDetails() {
    const u = state.townships.get(state.selected) || state.gaps.find((g) => g.code === state.selected);
    const el = $('#details');
    if (!u) { el.hidden = true; return; }
    el.hidden = false;
    el.innerHTML = `<h2>${esc(t('details'))}: ${esc(u.name)}</h2><dl>` +
      `<dt>${t('code')}</dt><dd>${esc(u.code)}</dd>` +
      (u.rank != null ? `<dt>${t('rank')}</dt><dd>${u.rank}</dd>` : '') +
      `<dt>${t('population')}</dt><dd>${num(u.population)}</dd>` +
      `<dt>${t('covered')}</dt><dd>${num(u.covered)} (${pct(u.share)})</dd>` +
      `<dt>${t('uncovered')}</dt><dd>${num(u.uncovered)}</dd>` +
      (u.measures ? `<dt>${t('straightShare')}</dt><dd>${num(u.measures.straight_covered)} (${pct(u.measures.straight_share)})</dd>` +
        `<dt>${t('travelShare')}</dt><dd>${num(u.measures.travel_covered)} (${pct(u.measures.travel_share)})</dd>` +
        `<dt>${t('straightOnly')}</dt><dd class="straight-only">${num(u.measures.straight_only)}</dd>` : '') +
      `<dt>${t('facilities')}</dt><dd>${num(u.facilities)}</dd>` +
      `<dt>${t('flags')}</dt><dd>${flagsHTML(u.flags) || '–'}</dd></dl>` +
      (u.detail ? `<div class="detail">${esc(u.detail)}</div>` : '');
  }

  function selectTownship(code, zoom = true) {
    state.selected = code;
    document.querySelectorAll('#gap-table tbody tr').forEach((tr) => tr.classList.toggle('selected', tr.dataset.code === code));
    renderDetails();
    applyMapState();
    const b = state.bboxes.get(code);
    if (zoom && b && isFinite(b[0])) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, duration: 500, maxZoom: 14 });
  }

  // ---- search ----
  let searchTimer = 0;
  async function search(q) {
    const list = $('#search-results');
    q = q.trim();
    if (!q) { list.hidden = true; return; }
    let items = [];
    if (state.searchAPI !== false) {
      try {
        const b = await api('/api/search?limit=10&q=' + encodeURIComponent(q));
        state.searchAPI = true;
        // GET /api/search answers {query, as_of, hits: [{type, code, name, level_name, chain, point, ...}]}
        items = (b.hits || []).map((it) => ({
          name: it.name, code: it.code, point: it.point || null,
          sub: (it.chain || []).slice(0, -1).map((l) => l.name).join(' ') || it.level_name || it.kind || it.code || '',
        }));
      } catch (e) {
        if (e.status === 404) state.searchAPI = false;
      }
    }
    if (state.searchAPI === false) {
      for (const u of state.townships.values()) if (u.name.includes(q) || u.code.startsWith(q)) items.push({ name: u.name, sub: u.code, code: u.code });
    }
    list.innerHTML = items.length ? items.slice(0, 10).map((it, i) => `<li data-i="${i}" data-code="${esc(it.code || '')}">${esc(it.name)}<small>${esc(it.sub)}</small></li>`).join('')
      : `<li class="empty">${esc(t('noSearch'))}</li>`;
    list.hidden = false;
    list.onclick = (e) => {
      const li = e.target.closest('li[data-i]');
      if (!li) return;
      const it = items[+li.dataset.i];
      list.hidden = true;
      const code12 = it.code && it.code.padEnd(12, '0');
      if (code12 && state.bboxes.has(code12)) selectTownship(code12);
      else if (it.point) map.flyTo({ center: it.point, zoom: 15 });
    };
  }

  // ---- language ----
  function applyLang() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = (state.lang === 'zh' ? '方圆 · ' : 'Fangyuan · ') + t('title');
    $('#lang').textContent = state.lang === 'zh' ? 'EN' : '中文';
    document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
    renderKinds(); renderRuns(); renderSummary(); renderGaps(); renderDetails();
  }

  // ---- wiring ----
  $('#kind').addEventListener('change', (e) => selectKind(e.target.value).catch(fail));
  $('#measure').addEventListener('change', (e) => { setMeasure(e.target.value); selectKind(state.kind).catch(fail); });
  $('#run').addEventListener('change', (e) => selectRun(state.runs.find((r) => String(r.id) === e.target.value) || null).catch(fail));
  $('#start-run').addEventListener('click', () => startRun());
  $('#gap-table tbody').addEventListener('click', (e) => { const tr = e.target.closest('tr[data-code]'); if (tr) selectTownship(tr.dataset.code); });
  $('#show-cells').addEventListener('change', applyMapState);
  $('#lang').addEventListener('click', () => { state.lang = state.lang === 'zh' ? 'en' : 'zh'; localStorage.setItem('fangyuan.lang', state.lang); applyLang(); });
  $('#search').addEventListener('input', (e) => { clearTimeout(searchTimer); searchTimer = setTimeout(() => search(e.target.value).catch(fail), 200); });
  $('#search').addEventListener('keydown', (e) => { if (e.key === 'Escape') $('#search-results').hidden = true; });

  function fail(e) { setStatus(t('failed') + (e && e.message || e), true); }

  async function init() {
    // /api/search when this server has it (the API document says); else the loaded townships
    api('/api/openapi.json').then((doc) => { state.searchAPI = !!(doc && doc.paths && doc.paths['/api/search']); }, () => { state.searchAPI = false; });
    const { kinds } = await api('/api/facility-kinds');
    state.kinds = kinds;
    const h = new URLSearchParams(location.hash.slice(1));
    state.kind = kinds.some((k) => k.id === h.get('kind')) ? h.get('kind') : (kinds[0] && kinds[0].id) || '';
    setMeasure(h.get('measure') || 'straight');
    applyLang();
    await selectKind(state.kind, h.get('run'));
  }
  window.fangyuan = { map, state, selectKind, selectTownship };
  init().catch(fail);
})();
