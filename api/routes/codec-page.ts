/**
 * The codec server's sign-in page: one self-contained HTML document (no external assets, so it
 * works offline). Its script posts to /codec/session, which sets the HttpOnly `dt_codec` cookie.
 */
const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function codecLoginPage({ nonce, namespace, origins }: { nonce: string; namespace: string; origins: string[] }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Durable Trader codec server</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d2433}
input{display:block;width:100%;padding:.4rem;margin:.2rem 0 .8rem;font:inherit}
button{padding:.4rem 1rem;font:inherit}#status{padding:.6rem;border-radius:4px;background:#eef2f7}
.err{background:#fde8e8!important}code{background:#eef2f7;padding:0 .2rem}
</style></head><body>
<h1>Codec server sign-in</h1>
<p>Signing in here lets the Temporal Web UI decode the encrypted payloads of namespace <code>${escape(namespace)}</code>
in this browser. Only operators (<code>OPERATOR_EMAILS</code>) are answered.</p>
<p id="status">Checking…</p>
<form id="login"><label>Email<input name="email" type="email" autocomplete="username" required></label>
<label>Password<input name="password" type="password" autocomplete="current-password" required></label>
<button>Sign in</button> <button type="button" id="logout">Sign out</button></form>
<h2>Then, in the Web UI</h2>
<ol><li>Open the UI at ${origins.map((o) => `<code>${escape(o)}</code>`).join(' or ')} (the same host name as this page: <code>localhost</code> with <code>localhost</code>).</li>
<li>Click the glasses icon (top right, "Codec Server"), choose <em>Use my browser setting and ignore Cluster-level setting</em>.</li>
<li>Endpoint: <code id="endpoint"></code>; tick <em>Include cross-origin credentials</em>; leave <em>Pass the user access token</em> off. Apply.</li></ol>
<script nonce="${nonce}">
const status = document.getElementById('status');
document.getElementById('endpoint').textContent = location.origin + '/codec';
function show(text, bad) { status.textContent = text; status.className = bad ? 'err' : ''; }
async function refresh() {
  const res = await fetch('session');
  if (!res.ok) return show('Not signed in.');
  const s = await res.json();
  show('Signed in as ' + s.email + ' until ' + new Date(s.expiresAt).toLocaleTimeString() + (s.operator ? '.' : ' — not an operator: decoding will be refused.'), !s.operator);
}
document.getElementById('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const res = await fetch('session', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: form.get('email'), password: form.get('password') }) });
  if (!res.ok) { const body = await res.json().catch(() => null); return show(body?.error?.message ?? 'Sign-in failed', true); }
  refresh();
});
document.getElementById('logout').addEventListener('click', async () => { await fetch('session', { method: 'DELETE' }); refresh(); });
refresh();
</script></body></html>`;
}
