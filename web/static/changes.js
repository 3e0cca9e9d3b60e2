// 方圆 区划代码年度更新 — the records a yearly division-code update could not move by itself
// (GET /api/divisions/changes/{id}/pending), each decided by a person: assign the code it
// belongs to now, or keep it (POST /api/divisions/changes/{id}/pending/resolve). The owning
// team's token decides (planner, names-editor, boundary-editor, or admin). Chinese first.
(() => {
  'use strict';
  const $ = (s) => document.querySelector(s);
  const I18N = {
    zh: {
      title: '区划代码年度更新', coverage: '覆盖分析', officePage: '门牌管理', boundaryPage: '界线联检', setToken: '令牌', report: '更新批次',
      help: '更新时一对一对应的记录已随区划调整；下列记录（拆分、合并目标不唯一、撤销无承继或重名冲突）仍带原代码，需要逐条决定：指定新代码，或保持不变。设施由规划员决定，道路、门牌、地名由地名编辑员决定，界线和联检轮次由界线编辑员决定。',
      pending: '待定记录', entity: '类型', record: '记录', field: '字段', code: '原代码', reason: '原因', decision: '决定', none: '没有待定记录',
      assign: '指定', keep: '保持不变', newCode: '新代码', noReports: '还没有区划代码年度更新（fangyuan import divisions）', failed: '出错：', loading: '加载中…',
      tokenPrompt: '处理待定记录需要相应的令牌（规划员、地名编辑员或界线编辑员），请粘贴：', needCode: '请填写或选择新代码',
      count: (n) => `（${n} 条）`, assigned: (l, c) => `已将“${l}”指定到 ${c}`, kept: (l) => `“${l}”保持不变`,
      summary: (r) => `${r.valid_from} 起施行 · ${r.source} · ${r.provinces.join('、')} · 随调整 ${sum(r.summary.moved)} 条，待定 ${sum(r.summary.pending)} 条`,
      e: { facility: '设施', road: '道路', house_number: '门牌', place_name: '地名', boundary_line: '界线', inspection_round: '联检轮次' },
      f: { admin_code: '所属区划', scope_unit: '联检范围', left_code: '左侧区划', right_code: '右侧区划', sides: '两侧区划' },
      k: { split: '拆分', merged: '合并', retired: '撤销', conflict: '冲突' },
      sidesHint: '两侧代码，用 | 分隔',
    },
    en: {
      title: 'Yearly division-code update', coverage: 'Coverage', officePage: 'House numbers', boundaryPage: 'Boundary inspection', setToken: 'Token', report: 'Update',
      help: 'Records on a one-to-one change followed their unit; these (a split, an ambiguous merge, a unit retired without successor, or a name clash) still carry their old code and wait for a decision: assign the code they belong to now, or keep them. Planners decide facilities, names editors roads, house numbers and place names, boundary editors lines and inspection rounds.',
      pending: 'Pending records', entity: 'Kind', record: 'Record', field: 'Field', code: 'Old code', reason: 'Reason', decision: 'Decision', none: 'No pending record',
      assign: 'Assign', keep: 'Keep', newCode: 'New code', noReports: 'No yearly update yet (fangyuan import divisions)', failed: 'Error: ', loading: 'Loading…',
      tokenPrompt: "Deciding needs the owning team's token (planner, names-editor or boundary-editor); paste it:", needCode: 'Give or pick the new code',
      count: (n) => `(${n})`, assigned: (l, c) => `“${l}” assigned to ${c}`, kept: (l) => `“${l}” kept as it is`,
      summary: (r) => `valid from ${r.valid_from} · ${r.source} · ${r.provinces.join(', ')} · ${sum(r.summary.moved)} followed, ${sum(r.summary.pending)} pending`,
      e: { facility: 'Facility', road: 'Road', house_number: 'House number', place_name: 'Place name', boundary_line: 'Boundary line', inspection_round: 'Inspection round' },
      f: { admin_code: 'division', scope_unit: 'scope', left_code: 'left side', right_code: 'right side', sides: 'both sides' },
      k: { split: 'split', merged: 'merged', retired: 'retired', conflict: 'conflict' },
      sidesHint: 'two codes, LEFT|RIGHT',
    },
  };
  const sum = (m) => Object.values(m || {}).reduce((a, b) => a + b, 0);
  const state = { lang: localStorage.getItem('fangyuan.lang') || 'zh', reports: [], report: null, pending: [] };
  const t = (k) => I18N[state.lang][k] ?? I18N.zh[k] ?? k;
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const token = () => localStorage.getItem('fangyuan.token') || '';
  const status = (msg, error = false) => { const el = $('#status'); el.textContent = msg || ''; el.classList.toggle('error', !!error); };
  const fail = (e) => status(t('failed') + e.message, true);

  const send = window.fangyuanRequest(() => t('tokenPrompt'));
  const request = async (path, opts) => (await send(path, opts)).json();

  async function loadReports() {
    const { reports } = await request('/api/divisions/changes');
    state.reports = reports.slice().reverse(); // newest first
    const sel = $('#report');
    sel.innerHTML = state.reports.map((r) => `<option value="${r.id}">${esc(r.valid_from)} · #${r.id}</option>`).join('');
    if (!state.reports.length) { status(t('noReports')); renderPending(); return; }
    const want = Number(new URLSearchParams(location.search).get('report'));
    state.report = state.reports.find((r) => r.id === want) || state.reports[0];
    sel.value = String(state.report.id);
    await loadPending();
  }

  async function loadPending() {
    const r = state.report;
    $('#summary').textContent = r ? t('summary')(r) : '';
    $('#pending-csv').href = `/api/divisions/changes/${r.id}/pending?format=csv`;
    $('#pending-xlsx').href = `/api/divisions/changes/${r.id}/pending?format=xlsx`;
    const { pending } = await request(`/api/divisions/changes/${r.id}/pending`);
    state.pending = pending;
    renderPending();
    document.body.dataset.ready = '1';
  }

  const kindOf = (reason) => (String(reason).match(/^(split|merged|retired|conflict)/) || [])[1] || '';
  const keyOf = (p) => `${p.entity}:${p.id}:${p.field}`;

  function renderPending() {
    const rows = state.pending;
    $('#count').textContent = state.report ? t('count')(rows.length) : '';
    $('#empty').hidden = rows.length > 0 || !state.report;
    $('#pending tbody').innerHTML = rows.map((p) => {
      const k = kindOf(p.reason);
      const sides = p.field === 'sides';
      const opts = (p.candidates || []).map((c) => `<option value="${esc(c)}"></option>`).join('');
      const prefill = sides ? (p.candidates || []).join('|') : (p.candidates || []).length === 1 ? p.candidates[0] : '';
      return `<tr data-key="${esc(keyOf(p))}">
        <td>${esc(t('e')[p.entity] || p.entity)}</td>
        <td>${esc(p.label)} <small>#${p.id}</small></td>
        <td>${esc(t('f')[p.field] || p.field)}</td>
        <td><code>${esc(p.code)}</code></td>
        <td>${k ? `<span class="reason-kind ${k}">${esc(t('k')[k])}</span>` : ''}<small>${esc(p.reason)}</small></td>
        <td class="decide"><input type="text" list="cands-${esc(keyOf(p))}" value="${esc(prefill)}" placeholder="${esc(sides ? t('sidesHint') : t('newCode'))}" aria-label="${esc(t('newCode'))}">
          <datalist id="cands-${esc(keyOf(p))}">${opts}</datalist>
          <button type="button" class="assign">${esc(t('assign'))}</button><button type="button" class="keep">${esc(t('keep'))}</button></td></tr>`;
    }).join('');
  }

  async function decide(tr, action) {
    const p = state.pending.find((x) => keyOf(x) === tr.dataset.key);
    if (!p) return;
    const code = action === 'assign' ? tr.querySelector('input').value.trim() : '';
    if (action === 'assign' && !code) { status(t('needCode'), true); return; }
    try {
      const res = await request(`/api/divisions/changes/${state.report.id}/pending/resolve`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ entity: p.entity, id: p.id, field: p.field, action, ...(code ? { code } : {}) }),
      });
      state.pending = state.pending.filter((x) => x !== p);
      renderPending();
      status(action === 'assign' ? t('assigned')(p.label, code) : t('kept')(p.label));
      document.body.dataset.remaining = String(res.remaining);
    } catch (e) { fail(e); }
  }

  function applyLang() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = (state.lang === 'zh' ? '方圆 · ' : 'Fangyuan · ') + t('title');
    $('#lang').textContent = state.lang === 'zh' ? 'EN' : '中文';
    document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
    if (state.report) $('#summary').textContent = t('summary')(state.report);
    renderPending();
  }

  $('#pending tbody').addEventListener('click', (ev) => {
    const b = ev.target.closest('button');
    if (b) decide(b.closest('tr'), b.classList.contains('assign') ? 'assign' : 'keep');
  });
  $('#report').addEventListener('change', () => {
    state.report = state.reports.find((r) => String(r.id) === $('#report').value);
    loadPending().catch(fail);
  });
  $('#lang').addEventListener('click', () => { state.lang = state.lang === 'zh' ? 'en' : 'zh'; localStorage.setItem('fangyuan.lang', state.lang); applyLang(); });
  $('#token').addEventListener('click', () => { const tok = prompt(t('tokenPrompt'), token()); if (tok !== null) localStorage.setItem('fangyuan.token', tok.trim()); });
  applyLang();
  status(t('loading'));
  loadReports().then(() => { if (state.reports.length) status(''); }).catch(fail);
})();
