// 方圆 界线联检 — the boundary inspection page: lines coloured by their last inspection,
// markers by condition, each team's progress in the chosen round with its field-package
// download, the marker checks, and the round's XLSX summary. Chinese first.
(() => {
  'use strict';
  const $ = (s) => document.querySelector(s);
  const I18N = {
    zh: {
      title: '界线联检', coverage: '覆盖分析', officePage: '门牌管理', changesPage: '区划代码更新', round: '联检轮次', gcj: '数据包用 GCJ-02（高德等设备）', progress: '各组进度',
      team: '联检组', lines: '界线', markers: '界桩', inspected: '已检', conflicts: '冲突', package: '数据包', summary: '下载汇总表 XLSX',
      legend: '图例', c_intact: '完好', c_damaged: '损坏', c_missing: '丢失', c_moved: '移位', l_recent: '近5年已检界线', l_old: '5年以上', l_never: '未检',
      problems: '检查发现的问题', markerList: '界桩', number: '编号', kind: '类型', condition: '状况', lastInspected: '最近检查',
      download: '下载', downloading: '正在生成数据包…', downloaded: '已下载数据包', noRounds: '还没有联检轮次', noProblems: '没有问题',
      tokenPrompt: '下载数据包需要界线编辑员令牌（fangyuan token create --role boundary-editor）：', failed: '出错：', loading: '加载中…',
      k_single: '单立', k_paired: '同号双立', k_triple: '三面型', line: '界线', installed: '埋设日期', notes: '备注', photos: '照片', version: '版本',
      countsFmt: (l, m) => `${l} 条界线，${m} 个界桩`, st_open: '进行中', st_closed: '已结束', st_planned: '计划中',
      topology: '拓扑检查', topoLevel: '层级', topoFile: '检查文件', lv_township: '乡级', lv_village: '村级',
      t_overlap: '重叠', t_gap: '缝隙', t_sliver: '碎片', t_outside_parent: '超出上级', t_uncovered: '上级未覆盖', t_other: '其他',
      noTopology: '没有拓扑问题', topoDb: (lv, w) => `数据库中 ${w} 的${lv}区划`, topoUpload: (n) => `文件 ${n}（对照数据库中的上级区划）`,
    },
    en: {
      title: 'Boundary inspection', coverage: 'Coverage', officePage: 'House numbers', changesPage: 'Code updates', round: 'Round', gcj: 'Packages in GCJ-02 (Amap devices)', progress: 'Team progress',
      team: 'Team', lines: 'Lines', markers: 'Markers', inspected: 'Inspected', conflicts: 'Conflicts', package: 'Package', summary: 'Download the XLSX summary',
      legend: 'Legend', c_intact: 'Intact', c_damaged: 'Damaged', c_missing: 'Missing', c_moved: 'Moved', l_recent: 'Inspected within 5 years', l_old: 'Older', l_never: 'Never',
      problems: 'Check findings', markerList: 'Markers', number: 'Number', kind: 'Kind', condition: 'Condition', lastInspected: 'Last inspected',
      download: 'Download', downloading: 'Building the package…', downloaded: 'Package downloaded', noRounds: 'No inspection round yet', noProblems: 'No problems',
      tokenPrompt: 'Downloading a package needs a boundary-editor token (fangyuan token create --role boundary-editor):', failed: 'Error: ', loading: 'Loading…',
      k_single: 'single', k_paired: 'paired', k_triple: 'three-way', line: 'Line', installed: 'Installed', notes: 'Notes', photos: 'Photos', version: 'Version',
      countsFmt: (l, m) => `${l} lines, ${m} markers`, st_open: 'open', st_closed: 'closed', st_planned: 'planned',
      topology: 'Topology check', topoLevel: 'Level', topoFile: 'Check a file', lv_township: 'townships', lv_village: 'villages',
      t_overlap: 'overlap', t_gap: 'gap', t_sliver: 'sliver', t_outside_parent: 'outside parent', t_uncovered: 'uncovered', t_other: 'other',
      noTopology: 'No topology problems', topoDb: (lv, w) => `the ${lv} in the database within ${w}`, topoUpload: (n) => `file ${n} (against the parents in the database)`,
    },
  };
  const state = { lang: localStorage.getItem('fangyuan.lang') || 'zh', rounds: [], round: null, lines: null, markers: null, fitted: false,
    topology: null, topoSource: null };
  const t = (k) => I18N[state.lang][k] ?? I18N.zh[k] ?? k;
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const status = (msg, error = false) => { const el = $('#status'); el.textContent = msg || ''; el.classList.toggle('error', !!error); };

  const request = window.fangyuanRequest(() => t('tokenPrompt'));
  const api = async (path) => (await request(path)).json();

  const map = new maplibregl.Map({
    container: 'map',
    style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f3f1ec' } }] },
    center: [120, 28.5], zoom: 8, maxZoom: 18, preserveDrawingBuffer: true, attributionControl: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  const mapReady = new Promise((resolve) => map.on('load', resolve));
  const condColor = ['match', ['get', 'condition'], 'intact', '#1a9641', 'damaged', '#f28e2b', 'missing', '#d7191c', 'moved', '#7b3294', '#555'];

  async function drawMap() {
    await mapReady;
    const year = state.round ? state.round.year : new Date().getFullYear();
    for (const f of state.lines.features) {
      const last = f.properties.last_inspected;
      f.properties.insp = !last ? 'never' : (year - Number(last.slice(0, 4)) <= 5 ? 'recent' : 'old');
    }
    for (const [id, data] of [['lines', state.lines], ['markers', state.markers]]) {
      if (map.getSource(id)) map.getSource(id).setData(data);
      else map.addSource(id, { type: 'geojson', data });
    }
    if (!map.getLayer('lines')) {
      map.addLayer({ id: 'lines', type: 'line', source: 'lines', paint: {
        'line-width': ['interpolate', ['linear'], ['zoom'], 9, 2, 14, 4],
        'line-color': ['match', ['get', 'insp'], 'recent', '#1b7837', 'old', '#e08214', '#8c8c8c'] } });
      map.addLayer({ id: 'markers', type: 'circle', source: 'markers', paint: {
        'circle-radius': ['match', ['get', 'kind'], 'triple', 7, 5], 'circle-color': condColor,
        'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
      map.on('click', 'markers', (e) => showMarker(e.features[0].properties, e.lngLat));
      map.on('mouseenter', 'markers', () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', 'markers', () => { map.getCanvas().style.cursor = ''; });
    }
    if (!state.fitted && state.lines.features.length) {
      state.fitted = true;
      let b = null;
      for (const f of state.lines.features) for (const part of f.geometry.coordinates) for (const [x, y] of part) {
        b = b ? [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)] : [x, y, x, y];
      }
      map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 30, duration: 0 });
    }
  }

  const popup = new maplibregl.Popup({ closeButton: true, maxWidth: '300px' });
  function showMarker(p, lngLat) {
    const photos = typeof p.photos === 'string' ? JSON.parse(p.photos || '[]') : (p.photos || []);
    popup.setLngLat(lngLat).setHTML(`<h3>${esc(p.number)} <span class="cond ${esc(p.condition)}">${esc(t('c_' + p.condition))}</span></h3>
      <dl class="details"><dt>${t('kind')}</dt><dd>${esc(t('k_' + p.kind))}</dd><dt>${t('line')}</dt><dd>${esc(p.line_name)}</dd>
      <dt>${t('installed')}</dt><dd>${esc(p.installed_on || '–')}</dd><dt>${t('lastInspected')}</dt><dd>${esc(p.last_inspected || '–')}</dd>
      <dt>${t('notes')}</dt><dd>${esc(p.notes || '–')}</dd><dt>${t('photos')}</dt><dd>${esc(photos.join('、') || '–')}</dd>
      <dt>${t('version')}</dt><dd>${esc(p.version)}</dd></dl>`).addTo(map);
  }

  function renderTeams() {
    const tb = $('#teams tbody');
    const r = state.round;
    tb.innerHTML = '';
    for (const tm of (r && r.teams) || []) {
      const share = tm.markers ? tm.inspected / tm.markers : 0;
      const tr = document.createElement('tr');
      tr.dataset.team = tm.name;
      tr.innerHTML = `<td>${esc(tm.name)}${tm.leader ? ' <small>' + esc(tm.leader) + '</small>' : ''}</td><td class="num">${tm.lines}</td>
        <td class="num">${tm.markers}</td><td class="num">${tm.inspected}<span class="bar"><i style="width:${(100 * share).toFixed(0)}%"></i></span></td>
        <td class="num">${tm.conflicts}</td><td><button type="button" class="dl">${t('download')}</button></td>`;
      tr.querySelector('button').addEventListener('click', () => downloadPackage(tm));
      tb.appendChild(tr);
    }
    $('#summary-xlsx').href = r ? `/api/boundary/rounds/${r.id}/summary.xlsx` : '#';
  }

  async function downloadPackage(tm) {
    status(t('downloading'));
    try {
      const crs = $('#gcj02').checked ? 'gcj02' : 'wgs84';
      const r = await request(`/api/boundary/rounds/${state.round.id}/teams/${tm.id}/package.zip?crs=${crs}`);
      const blob = await r.blob();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `${state.round.name}-${tm.name}-package-${r.headers.get('X-Package-Id') || ''}.zip`;
      document.body.appendChild(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      status(t('downloaded'));
      await loadRound(state.round.id); // the package count changed
    } catch (e) {
      status(t('failed') + e.message, true);
    }
  }

  function renderMarkers() {
    const tb = $('#markers tbody');
    tb.innerHTML = '';
    for (const f of state.markers.features) {
      const p = f.properties;
      const tr = document.createElement('tr');
      tr.dataset.number = p.number;
      tr.dataset.condition = p.condition;
      tr.innerHTML = `<td>${esc(p.number)}</td><td>${esc(t('k_' + p.kind))}</td><td><span class="cond ${esc(p.condition)}">${esc(t('c_' + p.condition))}</span></td><td>${esc(p.last_inspected || '–')}</td>`;
      tr.addEventListener('click', () => { map.flyTo({ center: f.geometry.coordinates, zoom: 15 }); showMarker(p, f.geometry.coordinates); });
      tb.appendChild(tr);
    }
    $('#counts').textContent = I18N[state.lang].countsFmt(state.lines.features.length, state.markers.features.length);
  }

  async function loadProblems() {
    const res = await api('/api/boundary/markers/check');
    const ul = $('#problems');
    ul.innerHTML = res.problems.length ? '' : `<li class="empty">${t('noProblems')}</li>`;
    for (const p of res.problems) {
      const li = document.createElement('li');
      li.textContent = `${p.number}（${p.line}）：${p.reason}`;
      ul.appendChild(li);
    }
    $('#problem-count').textContent = res.problems.length ? `(${res.problems.length})` : '';
  }

  // Topology findings (拓扑检查): of the units in the database (GET /api/boundary/topology), or
  // of an uploaded GeoJSON checked against the parents in the database (POST .../check).
  const within = () => {
    const f = state.lines && state.lines.features[0];
    return f ? String(f.properties.left_code).slice(0, 6) : '';
  };
  const topoColor = ['match', ['get', 'kind'], 'overlap', '#d7191c', 'gap', '#2c7bb6', 'outside_parent', '#7b3294', '#fdae61'];
  async function drawTopology() {
    await mapReady;
    const data = state.topology || { type: 'FeatureCollection', features: [] };
    if (map.getSource('topology')) map.getSource('topology').setData(data);
    else {
      map.addSource('topology', { type: 'geojson', data });
      const before = map.getLayer('lines') ? 'lines' : undefined;
      map.addLayer({ id: 'topology', type: 'fill', source: 'topology', paint: { 'fill-color': topoColor, 'fill-opacity': 0.55 } }, before);
      map.addLayer({ id: 'topology-outline', type: 'line', source: 'topology', paint: { 'line-color': topoColor, 'line-width': 1.5 } }, before);
    }
  }
  function renderTopology() {
    const ul = $('#topology-list');
    const feats = state.topology ? state.topology.features : [];
    ul.innerHTML = feats.length ? '' : `<li class="empty">${t('noTopology')}</li>`;
    feats.forEach((f, i) => {
      const p = f.properties;
      const li = document.createElement('li');
      li.dataset.kind = p.kind;
      li.dataset.codes = p.codes.join(',');
      li.dataset.index = i;
      li.textContent = `${t('t_' + p.kind)}${p.of ? '（' + t('t_' + p.of) + '）' : ''}：${p.codes.join('、')}，${Math.round(p.area_m2).toLocaleString()} m²`;
      li.addEventListener('click', () => {
        let b = null;
        const walk = (c) => { if (typeof c[0] === 'number') b = b ? [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])] : [c[0], c[1], c[0], c[1]]; else c.forEach(walk); };
        walk(f.geometry.coordinates);
        if (b) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 80, maxZoom: 16 });
      });
      ul.appendChild(li);
    });
    $('#topology-count').textContent = feats.length ? `(${feats.length})` : '';
    const src = state.topoSource;
    $('#topology-source').textContent = !src ? '' : src.file ? t('topoUpload')(src.file) : t('topoDb')(t('lv_' + src.level), src.within);
  }
  async function loadTopology(file) {
    const level = $('#topo-level').value;
    const w = within();
    if (!w) return;
    document.body.dataset.topology = '';
    const q = `level=${level}&within=${w}`;
    if (file) {
      const r = await request(`/api/boundary/topology/check?${q}&name=${encodeURIComponent(file.name)}`, { method: 'POST', headers: { 'Content-Type': 'application/geo+json' }, body: await file.text() });
      state.topology = await r.json();
      state.topoSource = { file: file.name, level, within: w };
    } else {
      state.topology = await api(`/api/boundary/topology?${q}`);
      state.topoSource = { level, within: w };
    }
    renderTopology();
    await drawTopology();
    document.body.dataset.topology = file ? 'file:' + file.name : 'db:' + level;
  }
  const topoFailed = (e) => { status(t('failed') + e.message, true); document.body.dataset.topology = 'error'; };
  $('#topo-level').addEventListener('change', () => { const f = $('#topo-file').files[0]; loadTopology(f).catch(topoFailed); });
  $('#topo-file').addEventListener('change', (e) => loadTopology(e.target.files[0]).catch(topoFailed));

  async function loadRound(id) {
    state.round = await api(`/api/boundary/rounds/${id}`);
    renderTeams();
  }

  async function selectRound(id) {
    status(t('loading'));
    document.body.dataset.ready = '';
    await loadRound(id);
    [state.lines, state.markers] = await Promise.all([api(`/api/boundary/lines?round=${id}`), api(`/api/boundary/markers?round=${id}`)]);
    renderMarkers();
    await drawMap();
    if (!state.topology) loadTopology().catch(topoFailed);
    status('');
    document.body.dataset.ready = String(id);
  }

  function renderRounds() {
    const sel = $('#round');
    sel.innerHTML = '';
    for (const r of state.rounds) {
      const o = document.createElement('option');
      o.value = r.id;
      o.textContent = `${r.name}（${r.year}，${t('st_' + r.status)}）`;
      sel.appendChild(o);
    }
    if (state.round) sel.value = state.round.id;
  }

  function applyLang() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = (state.lang === 'zh' ? '方圆 · ' : 'Fangyuan · ') + t('title');
    $('#lang').textContent = state.lang === 'zh' ? 'EN' : '中文';
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    renderRounds();
    if (state.round) renderTeams();
    if (state.markers) renderMarkers();
    if (state.topology) renderTopology();
  }

  $('#lang').addEventListener('click', () => { state.lang = state.lang === 'zh' ? 'en' : 'zh'; localStorage.setItem('fangyuan.lang', state.lang); applyLang(); });
  $('#round').addEventListener('change', (e) => selectRound(e.target.value).catch((err) => status(t('failed') + err.message, true)));

  (async () => {
    applyLang();
    try {
      state.rounds = (await api('/api/boundary/rounds')).rounds;
      renderRounds();
      loadProblems().catch((e) => status(t('failed') + e.message, true));
      if (!state.rounds.length) { status(t('noRounds')); document.body.dataset.ready = 'none'; return; }
      const want = new URLSearchParams(location.search).get('round');
      const r = state.rounds.find((x) => String(x.id) === want || x.name === want) || state.rounds[0];
      await selectRound(r.id);
      renderRounds();
    } catch (e) {
      status(t('failed') + e.message, true);
    }
  })();
  window.fangyuanBoundary = { map, state };
})();
