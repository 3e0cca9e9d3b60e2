// 方圆 门牌管理 — the place-name office's page: a township's roads, the house numbers along
// the chosen road on the map and in a table; a click beside the road asks for the suggested
// number (GET /api/roads/{id}/suggest), which the editor assigns (POST /api/housenumbers);
// retire, activate and renumber with the lineage shown; digital plate status; the name
// check (GET /api/placenames/check). Writes need a names-editor token. Chinese first.
(() => {
  'use strict';
  const $ = (s) => document.querySelector(s);
  const I18N = {
    zh: {
      title: '门牌管理', coverage: '覆盖分析', boundaryPage: '界线联检', changesPage: '区划代码更新', setToken: '令牌', township: '乡镇', road: '道路',
      clickHint: '在地图上点击道路旁的位置，得到建议门牌号；点击已有门牌查看详情。', suggestion: '建议门牌', approvalNo: '批准文号',
      hnStatus: '状态', s_active: '现行', s_planned: '拟编', s_retired: '已注销', accept: '采纳并编配', cancel: '取消',
      houseDetails: '门牌详情', activate: '启用', retire: '注销', newNumber: '新门牌号', renumber: '改号', lineage: '沿革（前后门牌）',
      plate: '数字门牌', numbers: '门牌', showRetired: '含已注销', number: '门牌号', along: '沿路', side: '侧',
      sheetPdf: '打印门牌（PDF）', checkXlsx: '校验报告（XLSX）', nameCheck: '地名审核', proposedName: '拟用名称', category: '类别',
      check: '审核', anyCategory: '（全部类别）', left: '左', right: '右', odd: '单号', even: '双号', loading: '加载中…', failed: '出错：',
      tokenPrompt: '编配、注销、改号和数字门牌需要地名编辑员令牌（fangyuan token create --role names-editor），请粘贴：',
      noRoads: '该乡镇没有道路', noNumbers: '这条路还没有门牌', pickRoad: '请先选择道路', assigned: (a) => `已编配 ${a}`,
      retired: (a) => `已注销 ${a}`, activated: (a) => `已启用 ${a}`, renumbered: (a, b) => `${a} 已改为 ${b}`,
      roadInfo: (r, n) => `${r.length_m.toLocaleString()} 米，${n} 个门牌；编号规则：${r.rule.override ? '本路单独设定' : '预设 ' + (r.rule.preset || '')}，起点在${r.rule.origin === 'start' ? '首端' : '末端'}，单号在${r.rule.odd_side === 'left' ? '左' : '右'}侧${r.rule.one_sided ? '（单侧编号）' : ''}${r.rule.metric ? `，按米编号（步长 ${r.rule.step_m} 米）` : ''}`,
      sgExplain: (s) => [`距编号起点 ${s.along_m.toFixed(1)} 米，在道路${s.side === 'left' ? '左' : '右'}侧 ${s.offset_m.toFixed(1)} 米，应编${s.odd ? '单' : '双'}号`,
        `按规则此处为 ${s.ideal} 号`, s.lower ? `下邻：${s.lower.number}${s.lower.suffix}号（${s.lower.along_m.toFixed(1)} 米）` : '下方没有同侧门牌',
        s.upper ? `上邻：${s.upper.number}${s.upper.suffix}号（${s.upper.along_m.toFixed(1)} 米）` : '上方没有同侧门牌',
        s.suffix ? `两邻之间没有空余整数号，加后缀“${s.suffix}”` : `建议 ${s.number} 号`],
      f_valid: '有效期', f_approval: '批准文号', f_planned: '拟编日期', f_activated: '启用日期', f_retired: '注销日期', f_source: '来源',
      f_version: '版本', f_along: '沿路位置', f_point: '坐标', current: '当前', predecessor: '前序', successor: '后继', noLineage: '没有改号记录',
      noPlate: '还没有数字门牌', issuePlate: '发放数字门牌', plateIssued: '已发放数字门牌', qr: '二维码', publicPage: '公开页面',
      p_ordered: '已订制', p_installed: '已安装', p_damaged: '损坏', p_removed: '已拆除', to_installed: '标为已安装', to_damaged: '标为损坏', to_removed: '标为已拆除',
      plateChanged: (id, s) => `数字门牌 ${id}：${s}`, ncOK: (n) => `“${n}”未发现重名、同音、近似或禁用字词`, ncFound: (n, k) => `“${n}”有 ${k} 项需要注意`,
      k_duplicate: '重名', k_homophone: '同音', k_near_duplicate: '近似（一字之差）', k_disallowed_word: '含禁用字词',
      scope: (s) => s ? `比较范围：${s}` : '比较范围：全部', renumberNeedsNumber: '请填写新门牌号',
    },
    en: {
      title: 'House numbers', coverage: 'Coverage', boundaryPage: 'Boundary inspection', changesPage: 'Code updates', setToken: 'Token', township: 'Township', road: 'Road',
      clickHint: 'Click beside the road on the map for the suggested number; click a number for its details.', suggestion: 'Suggested number', approvalNo: 'Approval no.',
      hnStatus: 'Status', s_active: 'active', s_planned: 'planned', s_retired: 'retired', accept: 'Accept and assign', cancel: 'Cancel',
      houseDetails: 'House number', activate: 'Activate', retire: 'Retire', newNumber: 'New number', renumber: 'Renumber', lineage: 'Lineage',
      plate: 'Digital plate', numbers: 'Numbers', showRetired: 'with retired', number: 'Number', along: 'Along', side: 'Side',
      sheetPdf: 'Print sheet (PDF)', checkXlsx: 'Validation report (XLSX)', nameCheck: 'Name check', proposedName: 'Proposed name', category: 'Category',
      check: 'Check', anyCategory: '(any category)', left: 'left', right: 'right', odd: 'odd', even: 'even', loading: 'Loading…', failed: 'Error: ',
      tokenPrompt: 'Assigning, retiring, renumbering and plates need a names-editor token (fangyuan token create --role names-editor); paste it:',
      noRoads: 'No road in this township', noNumbers: 'No number on this road yet', pickRoad: 'Choose a road first', assigned: (a) => `Assigned ${a}`,
      retired: (a) => `Retired ${a}`, activated: (a) => `Activated ${a}`, renumbered: (a, b) => `${a} renumbered to ${b}`,
      roadInfo: (r, n) => `${r.length_m.toLocaleString()} m, ${n} numbers; rule: ${r.rule.override ? "the road's own" : 'preset ' + (r.rule.preset || '')}, from the ${r.rule.origin} vertex, odd on the ${r.rule.odd_side}${r.rule.one_sided ? ' (one-sided)' : ''}${r.rule.metric ? `, metric (step ${r.rule.step_m} m)` : ''}`,
      sgExplain: (s) => s.explain,
      f_valid: 'Valid', f_approval: 'Approval no.', f_planned: 'Planned on', f_activated: 'Activated on', f_retired: 'Retired on', f_source: 'Source',
      f_version: 'Version', f_along: 'Along the road', f_point: 'Point', current: 'this one', predecessor: 'predecessor', successor: 'successor', noLineage: 'Never renumbered',
      noPlate: 'No digital plate yet', issuePlate: 'Issue a digital plate', plateIssued: 'Plate issued', qr: 'QR code', publicPage: 'Public page',
      p_ordered: 'ordered', p_installed: 'installed', p_damaged: 'damaged', p_removed: 'removed', to_installed: 'Mark installed', to_damaged: 'Mark damaged', to_removed: 'Mark removed',
      plateChanged: (id, s) => `Plate ${id}: ${s}`, ncOK: (n) => `“${n}”: no duplicate, homophone, near-duplicate or disallowed word`, ncFound: (n, k) => `“${n}”: ${k} finding(s)`,
      k_duplicate: 'duplicate', k_homophone: 'homophone', k_near_duplicate: 'near-duplicate', k_disallowed_word: 'disallowed word',
      scope: (s) => s ? `compared within ${s}` : 'compared everywhere', renumberNeedsNumber: 'Give the new number',
    },
  };
  const SUFFIXES = ['', '甲', '乙', '丙', '丁', '之一', '之二', '之三', '附'];
  const PLATE_NEXT = { ordered: ['installed', 'removed'], installed: ['damaged', 'removed'], damaged: ['installed', 'removed'], removed: [] };
  const params = new URLSearchParams(location.search);
  const state = { lang: localStorage.getItem('fangyuan.lang') || 'zh', townships: [], township: null, roads: [], road: null,
    numbers: [], plates: new Map(), house: null, lineage: null, suggestion: null, categories: [], nc: null, fitted: '' };
  const t = (k) => I18N[state.lang][k] ?? I18N.zh[k] ?? k;
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const day = (v) => (v ? String(v).slice(0, 10) : '–');
  const token = () => localStorage.getItem('fangyuan.token') || '';
  const authHeaders = () => (token() ? { Authorization: 'Bearer ' + token() } : {});
  const status = (msg, error = false) => { const el = $('#status'); el.textContent = msg || ''; el.classList.toggle('error', !!error); };
  const fail = (e) => status(t('failed') + e.message, true);
  // The number as the plate writes it (GB 17733, as the API and the map labels do): 12号,
  // 甲12号 (甲乙丙丁 and 附 before the number), 12号之一 (之一/之二/之三 after 号); a plain
  // number is labelled 12 in the table and on the map.
  const label = (n, suffix) => (!suffix ? `${n}` : ['甲', '乙', '丙', '丁', '附'].includes(suffix) ? `${suffix}${n}号` : `${n}号${suffix}`);
  const written = (road, n, suffix) => road + (suffix ? label(n, suffix) : `${n}号`);

  const request = window.fangyuanRequest(() => t('tokenPrompt'));
  const api = async (path) => (await request(path)).json();
  const send = async (method, path, body) => (await request(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json();

  // ---- map: the township outline, its roads, the chosen road's numbers, labels from the
  // binary's glyph server (/fonts/{fontstack}/{range}.pbf, font stack "Fangyuan Sans").
  const empty = () => ({ type: 'FeatureCollection', features: [] });
  const map = new maplibregl.Map({
    container: 'map',
    style: { version: 8, glyphs: location.origin + '/fonts/{fontstack}/{range}.pbf', sources: {},
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f3f1ec' } }] },
    center: [120.01, 28.25], zoom: 13, maxZoom: 19, preserveDrawingBuffer: true, attributionControl: false,
    localIdeographFontFamily: false, // Chinese labels too come from the glyph server, not the browser's fonts
    transformRequest: (url) => (token() && url.startsWith(location.origin) ? { url, headers: authHeaders() } : { url }),
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.on('error', (e) => {
    const err = e.error || {};
    if (String(err.url || err.message || '').includes('/fonts/')) { console.warn('glyphs:', err.message); return; } // labels only
    console.error(err);
  });
  const mapReady = new Promise((resolve) => map.on('load', resolve));
  const statusColor = ['match', ['get', 'status'], 'active', '#1f78b4', 'planned', '#f28e2b', 'retired', '#9a9a9a', '#555'];
  const font = ['Fangyuan Sans'];

  async function setupLayers() {
    await mapReady;
    if (map.getSource('roads')) return;
    // Labels read their own copies of the data: a tile whose glyphs fail to load loses its
    // whole source, and the points and lines must show even then.
    for (const id of ['township', 'roads', 'numbers', 'suggestion', 'roads-text', 'numbers-text', 'suggestion-text']) map.addSource(id, { type: 'geojson', data: empty() });
    map.addLayer({ id: 'township-fill', type: 'fill', source: 'township', paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.6 } });
    map.addLayer({ id: 'township-line', type: 'line', source: 'township', paint: { 'line-color': '#7b3294', 'line-width': 1.5, 'line-dasharray': [3, 2] } });
    map.addLayer({ id: 'roads', type: 'line', source: 'roads', layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': ['case', ['get', 'selected'], '#e3a81c', '#c9c3b6'], 'line-width': ['case', ['get', 'selected'], 9, 5] } });
    map.addLayer({ id: 'road-labels', type: 'symbol', source: 'roads-text', layout: { 'symbol-placement': 'line', 'text-field': ['get', 'name'],
      'text-font': font, 'text-size': 13, 'symbol-spacing': 300 }, paint: { 'text-color': '#333', 'text-halo-color': '#fff', 'text-halo-width': 1.5 } });
    map.addLayer({ id: 'numbers', type: 'circle', source: 'numbers', paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 3, 17, 7],
      'circle-color': statusColor, 'circle-stroke-color': ['case', ['get', 'selected'], '#d7191c', '#fff'], 'circle-stroke-width': ['case', ['get', 'selected'], 3, 1] } });
    map.addLayer({ id: 'number-labels', type: 'symbol', source: 'numbers-text', minzoom: 15, layout: { 'text-field': ['get', 'label'], 'text-font': font,
      'text-size': 11, 'text-offset': [0, 1.1], 'text-anchor': 'top' }, paint: { 'text-color': statusColor, 'text-halo-color': '#fff', 'text-halo-width': 1.2 } });
    map.addLayer({ id: 'suggestion', type: 'circle', source: 'suggestion', paint: { 'circle-radius': 8, 'circle-color': '#d7191c', 'circle-opacity': 0.85,
      'circle-stroke-color': '#fff', 'circle-stroke-width': 2 } });
    map.addLayer({ id: 'suggestion-label', type: 'symbol', source: 'suggestion-text', layout: { 'text-field': ['get', 'label'], 'text-font': font,
      'text-size': 13, 'text-offset': [0, -1.3], 'text-anchor': 'bottom', 'text-allow-overlap': true }, paint: { 'text-color': '#d7191c', 'text-halo-color': '#fff', 'text-halo-width': 1.5 } });
    map.on('click', onMapClick);
    map.on('mouseenter', 'numbers', () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', 'numbers', () => { map.getCanvas().style.cursor = ''; });
  }

  function setData(id, data) {
    map.getSource(id).setData(data);
    if (map.getSource(id + '-text')) map.getSource(id + '-text').setData(data);
  }

  function bboxOf(coords, b = null) {
    const walk = (c) => { if (typeof c[0] === 'number') b = b ? [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])] : [c[0], c[1], c[0], c[1]]; else c.forEach(walk); };
    walk(coords);
    return b;
  }

  function drawRoads() {
    const fc = { type: 'FeatureCollection', features: state.roads.map((r) => ({ type: 'Feature', id: r.id, geometry: r.geometry,
      properties: { id: r.id, name: r.name, selected: !!state.road && state.road.id === r.id } })) };
    setData('roads', fc);
  }

  function numbersGeoJSON() {
    const sel = state.house && state.house.id;
    return { type: 'FeatureCollection', features: state.numbers.map((h) => ({ type: 'Feature', id: h.id, geometry: { type: 'Point', coordinates: [h.lon, h.lat] },
      properties: { id: h.id, label: label(h.number, h.suffix), number: h.number, suffix: h.suffix, status: h.status, address: h.address, selected: h.id === sel } })) };
  }
  const drawNumbers = () => setData('numbers', numbersGeoJSON());

  function drawSuggestion() {
    const s = state.suggestion;
    setData('suggestion', !s ? empty() : { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: s.point },
      properties: { label: label(s.number, s.suffix) } }] });
  }

  // ---- townships and roads ----
  function renderTownships() {
    const sel = $('#township');
    sel.innerHTML = '';
    for (const tw of state.townships) {
      const o = document.createElement('option');
      o.value = tw.code;
      o.textContent = `${tw.county ? tw.county + ' ' : ''}${tw.name}（${tw.roads}${state.lang === 'zh' ? ' 条路，' : ' roads, '}${tw.numbers}${state.lang === 'zh' ? ' 个门牌' : ' numbers'}）`;
      sel.appendChild(o);
    }
    if (state.township) sel.value = state.township.code;
  }
  function renderRoads() {
    const sel = $('#road');
    sel.innerHTML = '';
    for (const r of state.roads) {
      const o = document.createElement('option');
      o.value = r.id;
      o.textContent = r.name;
      sel.appendChild(o);
    }
    if (state.road) sel.value = state.road.id;
  }

  async function selectTownship(code, roadID) {
    status(t('loading'));
    document.body.dataset.ready = '';
    state.township = state.townships.find((x) => x.code === code) || null;
    const short = code.replace(/000$/, '');
    const [roads, div] = await Promise.all([api(`/api/roads?within=${short}&limit=5000`), api(`/api/divisions/${code}?geometry=true`).catch(() => null)]);
    state.roads = roads.items;
    renderRoads();
    await setupLayers();
    map.getSource('township').setData(div && div.geometry ? { type: 'Feature', geometry: div.geometry, properties: {} } : empty());
    drawRoads();
    $('#check-xlsx').href = `/api/housenumbers/check.xlsx?within=${short}`;
    if (!state.roads.length) { status(t('noRoads')); state.road = null; document.body.dataset.ready = 'none'; return; }
    const r = state.roads.find((x) => String(x.id) === String(roadID)) || state.roads[0];
    await selectRoad(r.id);
  }

  async function loadNumbers() {
    const id = state.road.id;
    const [nums, plates] = await Promise.all([api(`/api/roads/${id}/numbers?all=${$('#show-retired').checked}`), api(`/api/roads/${id}/plates`)]);
    Object.assign(state.road, nums.road);
    state.numbers = nums.numbers;
    state.plates = new Map(plates.plates.map((p) => [p.house_number_id, p]));
    renderNumbers();
    drawNumbers();
  }

  async function selectRoad(id) {
    status(t('loading'));
    document.body.dataset.ready = '';
    state.road = { ...state.roads.find((x) => x.id === Number(id)) };
    state.house = null;
    state.suggestion = null;
    $('#house').hidden = true;
    $('#suggestion').hidden = true;
    renderRoads();
    drawRoads();
    drawSuggestion();
    await loadNumbers();
    $('#sheet-pdf').href = `/api/roads/${id}/plates.pdf`;
    const b = bboxOf(state.road.geometry.coordinates);
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, duration: 0, maxZoom: 17 });
    status('');
    document.body.dataset.ready = String(id);
  }

  function renderNumbers() {
    const tb = $('#numbers tbody');
    tb.innerHTML = '';
    const rows = [...state.numbers].sort((a, b) => (a.along_m ?? 0) - (b.along_m ?? 0) || a.number - b.number);
    for (const h of rows) {
      const p = state.plates.get(h.id);
      const tr = document.createElement('tr');
      tr.dataset.id = h.id;
      tr.dataset.label = label(h.number, h.suffix);
      tr.dataset.status = h.status;
      if (state.house && state.house.id === h.id) tr.classList.add('selected');
      tr.innerHTML = `<td>${esc(label(h.number, h.suffix))}${h.building ? ' <small>' + esc(h.building) + '幢</small>' : ''}</td>
        <td><span class="hs ${esc(h.status)}">${esc(t('s_' + h.status))}</span></td><td class="num">${h.along_m == null ? '–' : h.along_m.toFixed(0) + ' m'}</td>
        <td>${esc(t(h.side || ''))}</td><td>${p ? `<span class="ps ${esc(p.status)}">${esc(t('p_' + p.status))}</span>` : ''}</td>`;
      tr.addEventListener('click', () => selectHouse(h.id, true).catch(fail));
      tb.appendChild(tr);
    }
    $('#number-count').textContent = `(${state.numbers.length})`;
    if (!state.numbers.length) tb.innerHTML = `<tr><td colspan="5" class="empty">${t('noNumbers')}</td></tr>`;
    const active = state.numbers.filter((h) => h.status !== 'retired').length;
    $('#road-info').textContent = state.road && state.road.rule ? t('roadInfo')(state.road, active) : '';
  }

  // ---- map clicks: a number opens it; elsewhere, the suggestion for the chosen road ----
  function onMapClick(e) {
    const hit = map.queryRenderedFeatures([[e.point.x - 5, e.point.y - 5], [e.point.x + 5, e.point.y + 5]], { layers: ['numbers'] });
    if (hit.length) { selectHouse(hit[0].properties.id, false).catch(fail); return; }
    suggestAt(e.lngLat.lng, e.lngLat.lat).catch(fail);
  }

  async function suggestAt(lon, lat) {
    if (!state.road) { status(t('pickRoad'), true); return; }
    document.body.dataset.suggestion = '';
    state.suggestion = await api(`/api/roads/${state.road.id}/suggest?lon=${lon.toFixed(7)}&lat=${lat.toFixed(7)}`);
    renderSuggestion();
    drawSuggestion();
    status('');
    document.body.dataset.suggestion = label(state.suggestion.number, state.suggestion.suffix);
  }

  function renderSuggestion() {
    const s = state.suggestion;
    $('#suggestion').hidden = !s;
    if (!s) return;
    $('#sg-address').textContent = written(s.road, s.number, s.suffix);
    $('#sg-address').dataset.label = label(s.number, s.suffix);
    const ul = $('#sg-explain');
    ul.innerHTML = '';
    for (const line of t('sgExplain')(s)) { const li = document.createElement('li'); li.textContent = line; ul.appendChild(li); }
  }

  async function acceptSuggestion() {
    const s = state.suggestion;
    if (!s) return;
    const body = { road_id: s.road_id, number: s.number, suffix: s.suffix, lon: s.point[0], lat: s.point[1], status: $('#sg-status').value,
      approval_no: $('#sg-approval').value.trim() };
    const h = await send('POST', '/api/housenumbers', body);
    state.suggestion = null;
    renderSuggestion();
    drawSuggestion();
    await loadNumbers();
    await selectHouse(h.id, false);
    status(t('assigned')(h.address));
    document.body.dataset.assigned = String(h.id);
  }

  // ---- one house number: details, lineage, actions, plate ----
  async function selectHouse(id, fly) {
    const res = await api(`/api/housenumbers/${id}`);
    state.house = res.house_number;
    state.lineage = res;
    renderHouse();
    renderNumbers();
    drawNumbers();
    if (fly) map.easeTo({ center: [state.house.lon, state.house.lat], zoom: Math.max(map.getZoom(), 17) });
  }

  function renderHouse() {
    const h = state.house;
    $('#house').hidden = !h;
    if (!h) return;
    $('#house').dataset.id = h.id;
    $('#house').dataset.status = h.status;
    $('#hn-address').innerHTML = `${esc(h.address)} <span class="hs ${esc(h.status)}">${esc(t('s_' + h.status))}</span>`;
    const listed = state.numbers.find((x) => x.id === h.id);
    const fields = [['f_valid', `${day(h.valid_from)} – ${h.valid_to ? day(h.valid_to) : ''}`], ['f_approval', h.approval_no || '–'],
      ['f_planned', day(h.planned_on)], ['f_activated', day(h.activated_on)], ['f_retired', day(h.retired_on)],
      ['f_along', listed && listed.along_m != null ? `${listed.along_m.toFixed(1)} m，${t(listed.side)}` : '–'],
      ['f_point', `${h.lon.toFixed(6)}, ${h.lat.toFixed(6)}`], ['f_source', h.source], ['f_version', h.version]];
    $('#hn-fields').innerHTML = fields.map(([k, v]) => `<dt>${t(k)}</dt><dd>${esc(v)}</dd>`).join('');
    $('#hn-activate').hidden = h.status !== 'planned';
    $('#hn-retire').hidden = h.status === 'retired';
    $('#hn-renumber').disabled = h.status === 'retired';
    $('#hn-number').value = '';
    const ol = $('#hn-lineage');
    const lin = state.lineage;
    const steps = [...lin.predecessors.map((x) => ['predecessor', x]), ['current', h], ...lin.successors.map((x) => ['successor', x])];
    ol.innerHTML = steps.length > 1 ? '' : `<li class="empty">${t('noLineage')}</li>`;
    if (steps.length > 1) {
      for (const [kind, x] of steps) {
        const li = document.createElement('li');
        li.dataset.id = x.id;
        li.dataset.kind = kind;
        li.className = kind;
        li.innerHTML = `<b>${esc(t(kind))}</b> ${esc(x.address)} <span class="hs ${esc(x.status)}">${esc(t('s_' + x.status))}</span>
          <small>${day(x.valid_from)} – ${x.valid_to ? day(x.valid_to) : ''}${x.approval_no ? '，' + esc(x.approval_no) : ''}</small>`;
        if (kind !== 'current') li.addEventListener('click', () => selectHouse(x.id, true).catch(fail));
        ol.appendChild(li);
      }
    }
    renderPlate();
  }

  function renderPlate() {
    const h = state.house;
    const p = state.plates.get(h.id);
    const box = $('#hn-plate');
    box.dataset.status = p ? p.status : '';
    if (!p) {
      box.innerHTML = `<p class="empty">${t('noPlate')}</p>` + (h.status === 'active' ? `<button type="button" id="plate-issue">${t('issuePlate')}</button>` : '');
      const b = $('#plate-issue');
      if (b) b.addEventListener('click', () => issuePlate().catch(fail));
      return;
    }
    const dates = [['p_ordered', p.ordered_on], ['p_installed', p.installed_on], ['p_damaged', p.damaged_on]].filter(([, d]) => d)
      .map(([k, d]) => `${t(k)} ${day(d)}`).join('，');
    box.innerHTML = `<p><code>${esc(p.id)}</code> <span class="ps ${esc(p.status)}">${esc(t('p_' + p.status))}</span> <small>${esc(dates)}</small></p>
      <p><a href="/api/plates/${esc(p.id)}/qr.svg" target="_blank">${t('qr')}</a> · <a href="/p/${esc(p.id)}" target="_blank">${t('publicPage')}</a></p>
      <div class="row">${PLATE_NEXT[p.status].map((s) => `<button type="button" data-to="${s}">${t('to_' + s)}</button>`).join(' ')}</div>`;
    for (const b of box.querySelectorAll('button[data-to]')) b.addEventListener('click', () => setPlateStatus(p, b.dataset.to).catch(fail));
  }

  async function issuePlate() {
    const p = await send('POST', '/api/plates', { house_number_id: state.house.id });
    await loadNumbers();
    renderPlate();
    status(t('plateChanged')(p.id, t('p_' + p.status)));
  }
  async function setPlateStatus(p, to) {
    const np = await send('POST', `/api/plates/${p.id}/status`, { version: p.version, status: to });
    await loadNumbers();
    renderPlate();
    status(t('plateChanged')(np.id, t('p_' + np.status)));
  }

  async function changeHouse(action) {
    const h = state.house;
    const body = { version: h.version, approval_no: $('#hn-approval').value.trim() };
    if (action === 'renumber') {
      const n = Number($('#hn-number').value);
      if (!n) { status(t('renumberNeedsNumber'), true); return; }
      body.number = n;
      body.suffix = $('#hn-suffix').value;
    }
    const res = await send('POST', `/api/housenumbers/${h.id}/${action}`, body);
    if (action === 'renumber' || action === 'retire') $('#show-retired').checked = true; // keep the old number in view
    await loadNumbers();
    if (action === 'renumber') {
      await selectHouse(res.house_number.id, false);
      status(t('renumbered')(res.predecessor.address, res.house_number.address));
    } else {
      await selectHouse(res.id, false);
      status(t(action === 'retire' ? 'retired' : 'activated')(res.address));
    }
    document.body.dataset.changed = `${action}:${state.house.id}`;
  }

  // ---- name check (地名审核) ----
  function renderCategories() {
    const sel = $('#nc-category');
    const cur = sel.value;
    sel.innerHTML = `<option value="">${t('anyCategory')}</option>` + state.categories.map((c) => `<option value="${esc(c.code)}">${esc(c.code)} ${esc(c.name)}</option>`).join('');
    sel.value = cur;
  }
  function renderNameCheck() {
    const r = state.nc;
    if (!r) return;
    $('#nc-summary').textContent = (r.ok ? t('ncOK')(r.name) : t('ncFound')(r.name, r.findings.length)) + '；' + t('scope')(r.scope) + (r.pinyin ? `；${r.pinyin}` : '');
    const ul = $('#nc-findings');
    ul.innerHTML = '';
    for (const f of r.findings) {
      const li = document.createElement('li');
      li.dataset.kind = f.kind;
      li.textContent = f.kind === 'disallowed_word' ? `${t('k_' + f.kind)}：${f.word}`
        : `${t('k_' + f.kind)}：${f.name}（${f.category}，${f.admin_code}${f.pinyin ? '，' + f.pinyin : ''}，#${f.id}）`;
      ul.appendChild(li);
    }
  }
  async function nameCheck(ev) {
    ev.preventDefault();
    const q = new URLSearchParams({ name: $('#nc-name').value.trim() });
    if ($('#nc-category').value) q.set('category', $('#nc-category').value);
    if (state.township) q.set('within', state.township.code);
    document.body.dataset.namecheck = '';
    state.nc = await api('/api/placenames/check?' + q);
    renderNameCheck();
    document.body.dataset.namecheck = String(state.nc.findings.length);
  }

  function applyLang() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = (state.lang === 'zh' ? '方圆 · ' : 'Fangyuan · ') + t('title');
    $('#lang').textContent = state.lang === 'zh' ? 'EN' : '中文';
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    renderTownships();
    renderCategories();
    if (state.road) renderNumbers();
    if (state.suggestion) renderSuggestion();
    if (state.house) renderHouse();
    renderNameCheck();
  }

  $('#hn-suffix').innerHTML = SUFFIXES.map((s) => `<option value="${s}">${s || '—'}</option>`).join('');
  $('#lang').addEventListener('click', () => { state.lang = state.lang === 'zh' ? 'en' : 'zh'; localStorage.setItem('fangyuan.lang', state.lang); applyLang(); });
  $('#token').addEventListener('click', () => { const tok = prompt(t('tokenPrompt'), token()); if (tok !== null) localStorage.setItem('fangyuan.token', tok.trim()); });
  $('#township').addEventListener('change', (e) => selectTownship(e.target.value).catch(fail));
  $('#road').addEventListener('change', (e) => selectRoad(e.target.value).catch(fail));
  $('#show-retired').addEventListener('change', () => state.road && loadNumbers().catch(fail));
  $('#sg-accept').addEventListener('click', () => acceptSuggestion().catch(fail));
  $('#sg-cancel').addEventListener('click', () => { state.suggestion = null; renderSuggestion(); drawSuggestion(); });
  $('#hn-retire').addEventListener('click', () => changeHouse('retire').catch(fail));
  $('#hn-activate').addEventListener('click', () => changeHouse('activate').catch(fail));
  $('#hn-renumber').addEventListener('click', () => changeHouse('renumber').catch(fail));
  $('#nc-form').addEventListener('submit', (e) => nameCheck(e).catch(fail));

  (async () => {
    applyLang();
    try {
      const [tw, cats] = await Promise.all([api('/api/roads/townships'), api('/api/placename-categories')]);
      state.townships = tw.townships;
      state.categories = cats.categories;
      renderCategories();
      renderTownships();
      if (!state.townships.length) { status(t('noRoads')); document.body.dataset.ready = 'none'; return; }
      const want = params.get('township');
      const pick = state.townships.find((x) => x.code === want || x.code.startsWith(want || '-')) || state.townships[0];
      await selectTownship(pick.code, params.get('road'));
      renderTownships();
    } catch (e) {
      fail(e);
    }
  })();
  window.fangyuanOffice = { map, state, suggestAt };
})();
