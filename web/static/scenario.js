// 情景模拟 what-if scenarios on the coverage map (/api/scenarios): click the map to add a
// planned facility, drag a facility to move it; the gap table and the township choropleth
// show the scenario (computed incrementally by the server), and undo restores. Loaded after
// app.js; uses window.fangyuan (map, state, selectKind) and window.I18N.
(() => {
  'use strict';
  const $ = (s) => document.querySelector(s);
  const F = () => window.fangyuan;
  const sc = { active: false, id: null, view: null, geo: null, geoRun: null, busy: false, drag: null, dragged: false };
  const lang = () => (F() && F().state.lang) || 'zh';
  const t = (k) => I18N[lang()][k] ?? I18N.zh[k] ?? k;
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const num = (v, d = 0) => v == null ? '–' : Number(v).toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en', { maximumFractionDigits: d });
  const pct = (v) => v == null ? '–' : (100 * v).toFixed(1) + '%';
  const signed = (v, d = 0) => (v > 0 ? '+' : '') + num(v, d);
  const token = () => localStorage.getItem('fangyuan.token') || '';
  const SHARE = ['interpolate', ['linear'], ['get', 'share'], 0, '#b2182b', 0.5, '#ef8a62', 0.8, '#fddbc7', 0.9, '#d9f0d3', 1, '#1b7837'];

  async function api(path, opts = {}) {
    const headers = { ...(token() ? { Authorization: 'Bearer ' + token() } : {}), ...(opts.body ? { 'Content-Type': 'application/json' } : {}) };
    const r = await fetch(path, { ...opts, headers });
    const body = await r.json().catch(() => null);
    if (!r.ok) {
      const e = new Error((body && body.error && body.error.message) || r.statusText);
      e.status = r.status;
      throw e;
    }
    return body;
  }

  function status(msg, error = false) {
    const el = $('#scenario-status');
    el.textContent = msg || '';
    el.classList.toggle('error', !!error);
  }

  // ---- enter / leave ----
  async function start() {
    const st = F().state;
    if (!st.run || st.run.status !== 'done') { status(t('scenarioNeedsRun'), true); return; }
    if (!token()) {
      const tok = prompt(t('tokenPrompt'));
      if (!tok) return;
      localStorage.setItem('fangyuan.token', tok.trim());
    }
    try {
      const kind = st.kinds.find((k) => k.id === st.kind);
      const created = await api('/api/scenarios', { method: 'POST', body: JSON.stringify({ name: `${kind ? kind.name : st.kind} · ${t('scenario')} #${st.run.id}`, kind: st.kind, base_run: st.run.id }) });
      if (sc.geoRun !== st.run.id) {
        sc.geo = await api(`/api/coverage/runs/${st.run.id}/townships.geojson`);
        sc.geoRun = st.run.id;
      }
      sc.id = created.id;
      sc.active = true;
      document.body.classList.add('scenario-mode');
      show(await api(`/api/scenarios/${sc.id}`));
    } catch (e) {
      if (e.status === 401 || e.status === 403) localStorage.removeItem('fangyuan.token');
      status(t('failed') + e.message, true);
    }
  }

  function clearMap() {
    const map = F().map;
    for (const l of ['scenario-drag', 'scenario-facilities', 'scenario-fill', 'scenario-line']) if (map.getLayer(l)) map.removeLayer(l);
    for (const s of ['scenario-drag', 'scenario-facilities', 'scenario-townships']) if (map.getSource(s)) map.removeSource(s);
    if (map.getLayer('coverage-fill')) map.setLayoutProperty('coverage-fill', 'visibility', 'visible');
    for (const l of ['cells-fill', 'minutes-cells']) if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', $('#show-cells').checked ? 'visible' : 'none');
    if (map.getLayer('facilities')) map.setFilter('facilities', null);
  }

  async function stop(reload = true) {
    if (!sc.active) return;
    sc.active = false;
    sc.id = null;
    sc.view = null;
    document.body.classList.remove('scenario-mode');
    delete document.body.dataset.scenario;
    clearMap();
    render();
    if (reload) { const st = F().state; await F().selectKind(st.kind, st.run && st.run.id); }
  }

  // ---- edits ----
  async function edit(body) {
    if (sc.busy || !sc.active) return;
    sc.busy = true;
    status(t('loading'));
    try {
      const r = await api(`/api/scenarios/${sc.id}/edits`, { method: 'POST', body: JSON.stringify(body) });
      show(r.scenario);
    } catch (e) {
      status(t('failed') + e.message, true);
    } finally { sc.busy = false; }
  }

  async function undo(id) {
    if (sc.busy || !sc.active) return;
    const edits = (sc.view && sc.view.edits) || [];
    const eid = id || (edits.length && edits[edits.length - 1].id);
    if (!eid) return;
    sc.busy = true;
    status(t('loading'));
    try {
      show(await api(`/api/scenarios/${sc.id}/edits/${eid}`, { method: 'DELETE' }));
    } catch (e) {
      status(t('failed') + e.message, true);
    } finally { sc.busy = false; }
  }

  // ---- rendering ----
  function show(view) {
    if (!sc.active) return;
    sc.view = view;
    status('');
    render();
    drawMap();
    document.body.dataset.scenario = `${view.scenario.id}:${view.edits.map((e) => e.id).join(',')}`;
  }

  const opName = (e) => ({ add: t('opAdd'), move: t('opMove'), close: t('opClose'), beds: t('opBeds') }[e.op] || e.op);

  function render() {
    $('#scenario-toggle').textContent = sc.active ? t('scenarioStop') : t('scenarioStart');
    $('#scenario-undo').textContent = t('undo');
    $('#scenario-hint').textContent = t('scenarioHint');
    const v = sc.active && sc.view;
    $('#scenario-undo').disabled = !(v && v.edits.length);
    $('#scenario-hint').hidden = !sc.active;
    if (!v) { $('#scenario-summary').innerHTML = ''; $('#scenario-edits').innerHTML = ''; return; }
    const s = v.summary;
    $('#scenario-summary').innerHTML =
      `<div><small>${esc(t('covered'))}</small><b>${esc(num(s.covered))}</b><span class="delta" id="scenario-delta">${esc(signed(s.delta_covered))}</span></div>` +
      `<div><small>${esc(t('share'))}</small><b>${esc(pct(s.share))}</b><span class="delta">${esc(t('before'))} ${esc(pct(s.base_share))}</span></div>` +
      `<div><small>${esc(t('flagged'))}</small><b id="scenario-flagged">${s.flagged}</b><span class="delta">${esc(t('before'))} ${s.base_flagged}</span></div>`;
    $('#scenario-edits').innerHTML = v.edits.map((e) =>
      `<li data-edit="${e.id}">${esc(opName(e))} ${esc(e.name || (e.facility ? '#' + e.facility : e.edit ? '↳' + e.edit : ''))}` +
      `${e.beds != null ? ' · ' + esc(t('beds')) + ' ' + num(e.beds) : ''} <button type="button" class="undo-one" data-edit="${e.id}" title="${esc(t('undo'))}">✕</button></li>`).join('');
    // The gap table shows the scenario.
    const gaps = v.gaps;
    $('#gap-count').textContent = `(${gaps.length})`;
    const sel = F().state.selected;
    $('#gap-table tbody').innerHTML = gaps.length ? gaps.map((g) =>
      `<tr data-code="${esc(g.code)}" class="${g.changed ? 'changed' : ''}${g.code === sel ? ' selected' : ''}"><td class="num">${g.rank ?? ''}</td><td>${esc(g.name)}</td>` +
      `<td class="num">${num(g.uncovered)}</td><td class="num">${pct(g.share)}${g.changed ? `<small class="delta">${esc(signed(100 * (g.share - g.base_share), 1))}</small>` : ''}</td>` +
      `<td>${(g.flags || []).map((f) => `<span class="flag" title="${esc(f)}">${esc(t('flag')[f] || f)}</span>`).join('')}</td></tr>`).join('')
      : `<tr><td colspan="5" class="empty">${esc(t('noGaps'))}</td></tr>`;
  }

  function drawMap() {
    const map = F().map;
    const v = sc.view;
    if (!v || !sc.geo) return;
    if (!map.isStyleLoaded()) { map.once('idle', drawMap); return; }
    const rows = new Map(v.townships.map((u) => [u.code, u]));
    const towns = { type: 'FeatureCollection', features: sc.geo.features.map((f) => {
      const u = rows.get(f.properties.code) || {};
      return { type: 'Feature', geometry: f.geometry, properties: { code: f.properties.code, share: u.share ?? f.properties.share, flagged: (u.flags || []).length > 0, changed: !!u.changed } };
    }) };
    const facs = { type: 'FeatureCollection', features: v.facilities.map((f) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [f.lon, f.lat] },
      properties: { key: f.key, facility: f.facility ?? null, edit: f.edit ?? null, name: f.name, planned: f.planned, status: f.status } })) };
    const before = ['coverage-selected', 'facilities'].find((l) => map.getLayer(l));
    if (map.getSource('scenario-townships')) map.getSource('scenario-townships').setData(towns);
    else {
      map.addSource('scenario-townships', { type: 'geojson', data: towns });
      map.addLayer({ id: 'scenario-fill', type: 'fill', source: 'scenario-townships', paint: { 'fill-color': SHARE, 'fill-opacity': 0.75 } }, before);
      map.addLayer({ id: 'scenario-line', type: 'line', source: 'scenario-townships', filter: ['get', 'changed'], paint: { 'line-color': '#2166ac', 'line-width': 2.5, 'line-dasharray': [2, 1] } }, before);
    }
    if (map.getSource('scenario-facilities')) map.getSource('scenario-facilities').setData(facs);
    else {
      map.addSource('scenario-facilities', { type: 'geojson', data: facs });
      map.addLayer({ id: 'scenario-facilities', type: 'circle', source: 'scenario-facilities', paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 6, 5, 14, 9],
        'circle-color': ['case', ['==', ['get', 'status'], 'closed'], '#8c8c8c', ['get', 'planned'], '#2c7bb6', '#1a9641'],
        'circle-stroke-color': '#102a43', 'circle-stroke-width': 2 } });
    }
    // The run's own layers (township fill, reached cells) are the base: hidden meanwhile.
    for (const l of ['coverage-fill', 'cells-fill', 'minutes-cells']) if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', 'none');
    // Stored facilities the scenario moves or closes are drawn by the scenario layer only.
    const hidden = v.facilities.filter((f) => f.facility != null).map((f) => f.facility);
    if (map.getLayer('facilities')) map.setFilter('facilities', hidden.length ? ['!', ['in', ['get', 'id'], ['literal', hidden]]] : null);
  }

  // ---- map interaction ----
  const facilityLayers = () => ['scenario-facilities', 'facilities'].filter((l) => F().map.getLayer(l));

  function wire() {
    const map = F().map;
    map.on('click', (e) => {
      if (!sc.active || sc.dragged) { sc.dragged = false; return; }
      if (map.queryRenderedFeatures(e.point, { layers: facilityLayers() }).length) return; // a facility: its popup
      edit({ op: 'add', lon: +e.lngLat.lng.toFixed(6), lat: +e.lngLat.lat.toFixed(6), name: t('plannedName') });
    });
    map.on('mousedown', (e) => {
      if (!sc.active || sc.busy) return;
      const f = map.queryRenderedFeatures(e.point, { layers: facilityLayers() })[0];
      if (!f) return;
      const p = f.properties;
      const target = f.layer.id === 'facilities' ? { facility: p.id } : (p.edit != null && p.edit !== 'null' ? { edit: +p.edit } : { facility: +p.facility });
      e.preventDefault(); // no map panning while dragging
      sc.drag = { target, from: e.point };
      map.getCanvas().style.cursor = 'grabbing';
    });
    map.on('mousemove', (e) => {
      if (!sc.drag) return;
      const pt = { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [e.lngLat.lng, e.lngLat.lat] }, properties: {} }] };
      if (map.getSource('scenario-drag')) map.getSource('scenario-drag').setData(pt);
      else {
        map.addSource('scenario-drag', { type: 'geojson', data: pt });
        map.addLayer({ id: 'scenario-drag', type: 'circle', source: 'scenario-drag', paint: { 'circle-radius': 8, 'circle-color': 'rgba(44,123,182,0.5)', 'circle-stroke-color': '#102a43', 'circle-stroke-width': 1.5 } });
      }
    });
    map.on('mouseup', (e) => {
      const d = sc.drag;
      if (!d) return;
      sc.drag = null;
      map.getCanvas().style.cursor = '';
      if (map.getLayer('scenario-drag')) map.removeLayer('scenario-drag');
      if (map.getSource('scenario-drag')) map.removeSource('scenario-drag');
      if (Math.hypot(e.point.x - d.from.x, e.point.y - d.from.y) < 4) return; // a click, not a drag
      sc.dragged = true;
      setTimeout(() => { sc.dragged = false; }, 0);
      edit({ op: 'move', ...d.target, lon: +e.lngLat.lng.toFixed(6), lat: +e.lngLat.lat.toFixed(6) });
    });
    $('#scenario-toggle').addEventListener('click', () => (sc.active ? stop() : start()).catch((e) => status(t('failed') + e.message, true)));
    $('#scenario-undo').addEventListener('click', () => undo());
    $('#scenario-edits').addEventListener('click', (e) => { const b = e.target.closest('button[data-edit]'); if (b) undo(+b.dataset.edit); });
    for (const id of ['#kind', '#run', '#measure']) $(id).addEventListener('change', () => stop(false));
    $('#lang').addEventListener('click', () => { render(); }); // after app.js re-rendered its texts and table
    render();
  }

  window.fangyuanScenario = { state: sc, start, stop, undo, edit };
  if (F()) wire(); else window.addEventListener('load', wire);
})();
