// The pages' API calls (门牌管理, 界线联检, 区划代码年度更新): fetch with the stored token
// (localStorage fangyuan.token); on 401 or 403 ask once for a token (the page's own words,
// in its language) and retry; an answer that is not 2xx throws an Error carrying the
// API's message and the status. Returns the Response.
window.fangyuanRequest = (tokenPrompt) => async function request(path, opts = {}, retried = false) {
  const tok = localStorage.getItem('fangyuan.token') || '';
  const r = await fetch(path, { ...opts, headers: { ...(tok ? { Authorization: 'Bearer ' + tok } : {}), ...(opts.headers || {}) } });
  if ((r.status === 401 || r.status === 403) && !retried) {
    const given = prompt(tokenPrompt());
    if (given) { localStorage.setItem('fangyuan.token', given.trim()); return request(path, opts, true); }
  }
  if (!r.ok) {
    const body = await r.json().catch(() => null);
    const e = new Error((body && body.error && body.error.message) || r.statusText);
    e.status = r.status;
    throw e;
  }
  return r;
};
