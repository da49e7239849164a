/**
 * The page's stylesheet and script, served by the module itself: no build, no CDN, no web font,
 * nothing inline (a CSP of `'self'` passes). System fonts; cards that stack on a phone.
 */
export const DASHBOARD_CSS = `:root{--bg:#f6f7f9;--card:#fff;--text:#1d2430;--muted:#667085;--line:#e3e7ee;--ok:#1f9d55;--bad:#d64545;--warn:#c77c02;--skip:#a0a8b8}
@media (prefers-color-scheme:dark){:root{--bg:#12151a;--card:#1b2027;--text:#e6e9ef;--muted:#98a2b3;--line:#2b323c;--skip:#5b6472}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.top{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.6rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}
h1{font-size:1.15rem;margin:0}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;flex:1}
.filters input[type=search]{flex:1;min-width:12rem;max-width:28rem;padding:.35rem .5rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--text)}
main{padding:1rem;max-width:1400px;margin:0 auto}
.summary{margin:.2rem 0 .8rem;font-weight:600}
.muted{color:var(--muted);font-weight:400}
.bad{color:var(--bad)}
.warning{padding:.5rem .75rem;border-left:3px solid var(--warn);background:var(--card)}
.routines{display:grid;grid-template-columns:repeat(auto-fill,minmax(24rem,1fr));gap:.8rem}
@media (max-width:640px){.routines{grid-template-columns:1fr}main{padding:.5rem}.routine dl{grid-template-columns:6rem 1fr}}
.routine{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.7rem .9rem;min-width:0;overflow-wrap:anywhere}
.routine.problem{border-left:4px solid var(--bad)}
.routine[hidden]{display:none}
.routine header{display:flex;flex-wrap:wrap;gap:.35rem;align-items:baseline}
h2{font-size:1rem;margin:0 .3rem 0 0}
.description{margin:.25rem 0;color:var(--muted)}
dl{display:grid;grid-template-columns:7rem 1fr;gap:.1rem .6rem;margin:.5rem 0}
dt{color:var(--muted)}
dd{margin:0}
.state,.flag{font-size:.75rem;padding:.05rem .45rem;border-radius:999px;background:var(--bg);border:1px solid var(--line)}
.state-running,.state-delayed{color:var(--ok);border-color:var(--ok)}
.state-paused,.state-disabled,.state-idle{color:var(--warn);border-color:var(--warn)}
.state-failed,.state-stopped,.state-stopping{color:var(--bad);border-color:var(--bad)}
.flag{color:var(--bad);border-color:var(--bad)}
.flag-slow{color:var(--warn);border-color:var(--warn)}
.outcome-succeeded{color:var(--ok)}.outcome-failed{color:var(--bad)}.outcome-skipped,.outcome-cancelled{color:var(--muted)}
.strip{display:block;max-width:100%;height:24px;margin:.3rem 0}
.run{fill:var(--ok)}.run-failed{fill:var(--bad)}.run-cancelled{fill:var(--warn)}.run-skipped{fill:var(--skip)}
.run-slow{fill:none;stroke:var(--warn);stroke-width:1}
.errors{margin:.3rem 0;padding-left:1.1rem;color:var(--bad)}
pre{white-space:pre-wrap;font-size:.75rem}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{text-align:left;padding:.2rem .4rem;border-bottom:1px solid var(--line)}
.replicas{margin-bottom:.8rem;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.4rem .8rem;overflow-x:auto}
.replicas summary{cursor:pointer;font-weight:600}
tr.self td:first-child::after{content:" (this one)";color:var(--muted)}
.on-replicas{margin:.4rem 0}
.controls{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin-top:.5rem}
.controls form{display:flex;gap:.3rem;margin:0}
.controls input{width:7rem;padding:.25rem .4rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--text)}
button{padding:.25rem .65rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--text);cursor:pointer}
button:hover{border-color:var(--muted)}
.empty{grid-column:1/-1}
.migrations{margin-bottom:.8rem}
.migrations h2{margin:.2rem 0 .5rem}
.migration-list{display:grid;grid-template-columns:repeat(auto-fill,minmax(24rem,1fr));gap:.8rem}
@media (max-width:640px){.migration-list{grid-template-columns:1fr}}
.migration{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.7rem .9rem;min-width:0;overflow-wrap:anywhere}
.migration.problem{border-left:4px solid var(--bad)}
.migration header{display:flex;flex-wrap:wrap;gap:.35rem;align-items:baseline}
.migration h3{font-size:1rem;margin:0 .3rem 0 0}
.meter{display:flex;gap:.6rem;align-items:center;margin:.4rem 0}
.meter progress{flex:1;height:.8rem;accent-color:var(--ok)}
.state-complete{color:var(--ok);border-color:var(--ok)}.state-reverse{color:var(--warn);border-color:var(--warn)}
`;

/**
 * Filters as you type (kept in the URL), refreshes the content in place every few seconds
 * (filters and scroll kept), and sends control forms as JSON so they work on every adapter.
 */
export const DASHBOARD_JS = `(() => {
  const form = document.querySelector('.filters'), content = document.getElementById('content');
  const q = form.elements.q, problems = form.elements.problems;
  const filter = () => {
    const text = q.value.trim().toLowerCase();
    for (const card of content.querySelectorAll('.routine'))
      card.hidden = (problems.checked && card.dataset.problem !== '1') || (!!text && !card.dataset.text.includes(text));
    const params = new URLSearchParams();
    if (q.value) params.set('q', q.value);
    if (problems.checked) params.set('problems', '1');
    history.replaceState(null, '', location.pathname + (params.size ? '?' + params : ''));
  };
  const refresh = async () => {
    const params = new URLSearchParams(location.search); params.set('fragment', '1');
    const response = await fetch(location.pathname + '?' + params, { headers: { accept: 'text/html' } });
    if (response.ok) { content.innerHTML = await response.text(); filter(); }
  };
  let pending;
  form.addEventListener('input', () => { filter(); clearTimeout(pending); pending = setTimeout(refresh, 250); });
  form.addEventListener('submit', (event) => { event.preventDefault(); filter(); });
  content.addEventListener('submit', async (event) => {
    event.preventDefault();
    const target = event.target, body = JSON.stringify(Object.fromEntries(new FormData(target)));
    const response = await fetch(target.action, { method: 'POST', body, headers: { 'content-type': 'application/json', accept: 'application/json' } });
    if (!response.ok) alert((await response.json().catch(() => ({}))).message || response.statusText);
    await refresh();
  });
  const every = Number(document.body.dataset.refresh);
  if (every > 0) setInterval(() => refresh().catch(() => undefined), every);
})();
`;
