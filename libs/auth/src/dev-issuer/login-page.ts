/** The dev issuer's sign-in page: static HTML, no scripts, so it works under a strict CSP. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function loginPage(action: string, opts: { clientName: string; error?: string; email?: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · confide (development issuer)</title>
<style>
body{font-family:system-ui,sans-serif;background:#f5f6f8;margin:0;display:grid;place-items:center;min-height:100vh;color:#1b1f24}
main{background:#fff;padding:2rem 2.5rem;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.08);width:min(360px,90vw)}
h1{font-size:1.25rem;margin:0 0 .25rem}p.note{color:#57606a;font-size:.85rem;margin:0 0 1.5rem}
label{display:block;font-size:.9rem;margin:.75rem 0 .25rem}input{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #c9ced6;border-radius:6px;font-size:1rem}
button{margin-top:1.25rem;width:100%;padding:.6rem;border:0;border-radius:6px;background:#1f6feb;color:#fff;font-size:1rem;cursor:pointer}
button:focus,input:focus{outline:3px solid #9ec5ff;outline-offset:1px}.error{color:#b42318;background:#fef3f2;padding:.5rem .75rem;border-radius:6px;font-size:.9rem}
</style></head>
<body><main>
<h1>Sign in to confide</h1>
<p class="note">Development issuer — ${escapeHtml(opts.clientName)} is asking you to sign in.</p>
${opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}" autocomplete="on">
<label for="email">Email</label><input id="email" name="email" type="email" required autofocus value="${escapeHtml(opts.email ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form></main></body></html>`;
}
