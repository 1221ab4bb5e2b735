/**
 * /docs: a small, dependency-free API explorer (no CDN, works offline). The page loads
 * /openapi.json and renders each operation with its parameters, schemas, examples and errors,
 * plus a form that sends the request with the token you paste or get from the login box.
 * Everything from the document is inserted as text, never as HTML.
 */
export const DOCS_CSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const docsHtml = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Durable Trader API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#1d2433;background:#f7f8fa}
header{background:#1d2433;color:#fff;padding:1rem 2rem}header h1{margin:0 0 .3rem;font-size:1.3rem}
main{max-width:70rem;margin:0 auto;padding:1rem 2rem}
.auth{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center;margin-top:.5rem}
.auth input{padding:.3rem;font:inherit;min-width:12rem}.auth #token{flex:1}
details{background:#fff;border:1px solid #d8dde6;border-radius:6px;margin:.4rem 0}
summary{cursor:pointer;padding:.5rem .8rem;font-family:ui-monospace,monospace}
.m{display:inline-block;width:4.5rem;font-weight:bold}.get{color:#0a6}.post{color:#06c}.put{color:#a60}.delete{color:#c33}
.op{padding:.2rem 1rem 1rem}pre{background:#f0f2f5;padding:.6rem;overflow:auto;max-height:24rem;font-size:12px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #e3e6eb;padding:.2rem .6rem;text-align:left;vertical-align:top}
textarea{width:100%;min-height:7rem;font:12px ui-monospace,monospace}input.p{font:inherit;padding:.2rem}
button{font:inherit;padding:.3rem .9rem}.lock{color:#a60}
</style></head><body>
<header><h1>Durable Trader API</h1><div id="intro"></div>
<div class="auth"><input id="email" placeholder="email" autocomplete="username"><input id="password" type="password" placeholder="password" autocomplete="current-password">
<button id="login">Log in</button><input id="token" placeholder="or paste an access token"></div></header>
<main id="ops">Loading /openapi.json…</main>
<script src="/docs/app.js"></script>
</body></html>`;

export const docsScript = `'use strict';
const $ = (tag, attrs = {}, ...children) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) (k === 'class' ? (el.className = v) : el.setAttribute(k, v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
};
const pretty = (v) => JSON.stringify(v, null, 2);
const tokenInput = document.getElementById('token');
tokenInput.value = sessionStorage.getItem('dt-token') || '';
tokenInput.addEventListener('change', () => sessionStorage.setItem('dt-token', tokenInput.value.trim()));
document.getElementById('login').addEventListener('click', async () => {
  const res = await fetch('/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: document.getElementById('email').value, password: document.getElementById('password').value }) });
  const body = await res.json();
  if (!res.ok) return alert(body.error ? body.error.message : 'login failed');
  tokenInput.value = body.token; sessionStorage.setItem('dt-token', body.token);
});

function tryIt(path, method, op) {
  const inputs = [];
  const form = $('div');
  for (const p of op.parameters || []) {
    const input = $('input', { class: 'p', placeholder: p.example !== undefined ? String(p.example) : p.name });
    if (p.in === 'path' && p.example !== undefined) input.value = String(p.example);
    inputs.push([p, input]);
    form.append($('div', {}, p.in + ' ', $('b', {}, p.name), p.required ? ' * ' : ' ', input));
  }
  const json = op.requestBody && op.requestBody.content['application/json'];
  const body = json ? $('textarea') : null;
  if (body) { body.value = json.example !== undefined ? pretty(json.example) : ''; form.append(body); }
  const out = $('pre', {}, '');
  const send = $('button', {}, 'Send');
  send.addEventListener('click', async () => {
    let url = path; const query = new URLSearchParams(); const headers = {};
    for (const [p, input] of inputs) {
      const v = input.value; if (v === '') continue;
      if (p.in === 'path') url = url.replace('{' + p.name + '}', encodeURIComponent(v));
      else if (p.in === 'query') query.set(p.name, v); else if (p.in === 'header') headers[p.name] = v;
    }
    if (tokenInput.value) headers.Authorization = 'Bearer ' + tokenInput.value.trim();
    if (body && body.value.trim() !== '') headers['Content-Type'] = 'application/json';
    const qs = query.toString();
    out.textContent = '…';
    const res = await fetch(url + (qs ? '?' + qs : ''), { method: method.toUpperCase(), headers, body: body && body.value.trim() !== '' ? body.value : undefined });
    const text = await res.text();
    let shown = text; try { shown = pretty(JSON.parse(text)); } catch {}
    out.textContent = res.status + ' ' + res.statusText + '\\nX-Request-Id: ' + res.headers.get('x-request-id') + '\\n\\n' + shown;
  });
  form.append(send, out);
  return form;
}

function operation(path, method, op) {
  const d = $('details');
  d.append($('summary', {}, $('span', { class: 'm ' + method }, method.toUpperCase()), path + '  ', op.summary, op.security && op.security.length ? $('span', { class: 'lock' }, '  (token)') : ''));
  const box = $('div', { class: 'op' });
  if (op.description) box.append($('p', {}, op.description));
  if (op.parameters) {
    const t = $('table', {}, $('tr', {}, $('th', {}, 'parameter'), $('th', {}, 'in'), $('th', {}, 'schema'), $('th', {}, 'description')));
    for (const p of op.parameters) t.append($('tr', {}, $('td', {}, p.name + (p.required ? ' *' : '')), $('td', {}, p.in), $('td', {}, $('code', {}, JSON.stringify(p.schema))), $('td', {}, p.description || '')));
    box.append($('h4', {}, 'Parameters'), t);
  }
  const json = op.requestBody && op.requestBody.content['application/json'];
  if (json) box.append($('h4', {}, 'Request body' + (op.requestBody.required ? '' : ' (optional)')), $('pre', {}, pretty(json.schema)), $('h4', {}, 'Example'), $('pre', {}, pretty(json.example)));
  box.append($('h4', {}, 'Responses'));
  for (const [status, res] of Object.entries(op.responses)) {
    const item = $('details', {}, $('summary', {}, status + ' ' + res.description));
    for (const [type, c] of Object.entries(res.content || {})) {
      item.append($('div', { class: 'op' }, $('div', {}, type), c.schema ? $('pre', {}, pretty(c.schema)) : '', c.example !== undefined ? $('pre', {}, pretty(c.example)) : ''));
    }
    box.append(item);
  }
  box.append($('h4', {}, 'Try it'), tryIt(path, method, op));
  d.append(box);
  return d;
}

fetch('/openapi.json').then((r) => r.json()).then((spec) => {
  document.getElementById('intro').textContent = spec.info.description;
  const main = document.getElementById('ops'); main.textContent = '';
  const errorSchema = spec.components.schemas.Error;
  for (const tag of spec.tags) {
    main.append($('h2', {}, tag.name));
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) if (op.tags[0] === tag.name) main.append(operation(path, method, op));
    }
  }
  main.append($('h2', {}, 'Error shape (every 4xx and 5xx)'), $('pre', {}, pretty(errorSchema)));
});
`;
