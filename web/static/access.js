// Capacity-aware accessibility (可及性, E2SFCA) over the coverage map: a toggle
// in the panel draws /api/coverage/access.png (beds per person reachable from
// each cell, in classes of the kind's ratio) over the choropleth and lists the
// townships furthest below the ratio. Kept apart from app.js: it only uses
// window.fangyuan (map, state) and the #kind and #measure selects.
(() => {
  'use strict';
  const fy = window.fangyuan;
  if (!fy) return;
  const { map, state } = fy;
  const zh = () => (state.lang || 'zh') === 'zh';
  const L = (a, b) => (zh() ? a : b);
  const token = () => localStorage.getItem('fangyuan.token') || '';
  const headers = () => (token() ? { Authorization: 'Bearer ' + token() } : {});
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

  const box = document.createElement('section');
  box.className = 'access';
  box.id = 'access';
  box.innerHTML =
    '<label class="toggle"><input type="checkbox" id="show-access"> <span id="access-label"></span></label> ' +
    '<select id="access-decay"><option value="gaussian">Gaussian</option><option value="step">step 1/0.68/0.22</option></select>' +
    '<div class="ramp" id="access-legend" hidden><i style="background:linear-gradient(to right,#a50026,#f46d43,#fdae61,#fee08b,#a6d96a,#1a9850)"></i>' +
    '<small>0</small><small class="r" id="access-need"></small></div>' +
    '<div id="access-status" class="status" role="status"></div><table id="access-table" hidden><thead></thead><tbody></tbody></table>';
  const legend = document.getElementById('legend');
  legend.parentNode.insertBefore(box, legend.nextSibling);
  const $ = (id) => document.getElementById(id);
  let overlay = null; // {url, bounds}
  let seq = 0;

  function label() {
    $('access-label').textContent = L('床位可及性（E2SFCA，每人可及床位）', 'Bed accessibility (E2SFCA, beds per person)');
  }

  function addLayer() {
    if (!overlay || map.getSource('access')) return;
    if (!map.isStyleLoaded()) { map.once('idle', addLayer); return; }
    const [w, s, e, n] = overlay.bounds;
    map.addSource('access', { type: 'image', url: overlay.url, coordinates: [[w, n], [e, n], [e, s], [w, s]] });
    const before = ['coverage-selected', 'facilities'].find((l) => map.getLayer(l));
    map.addLayer({ id: 'access-cells', type: 'raster', source: 'access',
      paint: { 'raster-opacity': 0.85, 'raster-resampling': 'nearest', 'raster-fade-duration': 0 } }, before);
  }

  function removeLayer() {
    if (map.getLayer('access-cells')) map.removeLayer('access-cells');
    if (map.getSource('access')) map.removeSource('access');
  }

  async function refresh() {
    const my = ++seq;
    removeLayer();
    if (overlay) URL.revokeObjectURL(overlay.url);
    overlay = null;
    $('access-legend').hidden = true;
    $('access-table').hidden = true;
    $('access-status').textContent = '';
    if (!$('show-access').checked || !state.kind) return;
    const q = new URLSearchParams({ kind: state.kind, decay: $('access-decay').value, measure: ($('measure') || {}).value || 'straight' });
    $('access-status').textContent = L('计算中…', 'Computing…');
    const tr = await fetch('/api/coverage/access?' + q, { headers: headers() });
    const body = await tr.json().catch(() => ({}));
    if (my !== seq) return;
    if (!tr.ok) { $('access-status').textContent = (body.error && body.error.message) || tr.statusText; return; }
    const r = await fetch('/api/coverage/access.png?' + q, { headers: headers() });
    if (!r.ok || my !== seq) return;
    const bounds = (r.headers.get('X-Fangyuan-Bounds') || '').split(',').map(Number);
    if (bounds.length !== 4 || bounds.some((v) => !isFinite(v))) return;
    overlay = { url: URL.createObjectURL(await r.blob()), bounds };
    addLayer();
    const need = body.Need || body.Mean;
    $('access-need').textContent = need ? `≥ ${(1.5 * need).toFixed(3)}` : '';
    $('access-legend').hidden = false;
    const short = (body.Townships || []).filter((t) => t.Short).sort((a, b) => b.Shortfall - a.Shortfall);
    $('access-status').textContent = L(`区域均值 ${body.Mean.toFixed(4)} 床/人，标准 ${need.toFixed(3)}；${short.length} 个乡镇不足`,
      `region mean ${body.Mean.toFixed(4)} beds per person, ratio ${need.toFixed(3)}; ${short.length} townships short`);
    const tbl = $('access-table');
    tbl.tHead.innerHTML = `<tr><th>${L('乡镇', 'Township')}</th><th>${L('均值', 'Mean')}</th><th>${L('最低', 'Min')}</th><th>${L('缺床位', 'Beds short')}</th></tr>`;
    tbl.tBodies[0].innerHTML = short.slice(0, 10).map((t) =>
      `<tr data-code="${esc(t.Code)}"><td>${esc(t.Name || t.Code)}</td><td>${t.Mean.toFixed(4)}</td><td>${t.Min.toFixed(4)}</td><td>${Math.ceil(t.Shortfall)}</td></tr>`).join('');
    tbl.hidden = short.length === 0;
  }

  $('access-table').addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-code]');
    if (tr && fy.selectTownship) fy.selectTownship(tr.dataset.code, true);
  });
  $('show-access').addEventListener('change', refresh);
  $('access-decay').addEventListener('change', refresh);
  for (const id of ['kind', 'measure']) {
    const el = $(id);
    if (el) el.addEventListener('change', () => setTimeout(refresh, 0));
  }
  // The coverage page replaces the style when the run changes: draw again.
  map.on('styledata', () => { if (overlay && !map.getSource('access')) addLayer(); });
  const lang = $('lang');
  if (lang) lang.addEventListener('click', () => setTimeout(label, 0));
  label();
})();
