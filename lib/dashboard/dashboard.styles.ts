/**
 * The page's stylesheet.
 * Served by the module itself: no build, no CDN, no web font, nothing inline (a CSP of
 * `'self'` passes). A raw string: no backtick and no `${` in it.
 */

/**
 * System fonts; a palette that passes WCAG AA (4.5:1 for text and pills) in light and dark;
 * 44 px touch targets on narrow screens.
 * @internal
 */
export const DASHBOARD_CSS = String.raw`:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--text:#1d2430;--muted:#555e6d;--line:#d5dae2;--ok:#146c2e;--bad:#b42318;--warn:#8a4b00;--skip:#5c6470;--focus:#1a56db;--link:#1a4fbf;--lost:#eef0f3}
@media (prefers-color-scheme:dark){:root{--bg:#12151a;--card:#1b2027;--text:#e6e9ef;--muted:#a7b0bf;--line:#353d48;--ok:#5fd38a;--bad:#ff8f85;--warn:#f2b44c;--skip:#a3acba;--focus:#8ab4ff;--link:#8ab4ff;--lost:#22272f}}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{margin:0;background:var(--bg);color:var(--text);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--link)}
:focus-visible{outline:2px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:.5rem;z-index:3;padding:.4rem .7rem;background:var(--card);border:2px solid var(--focus);border-radius:6px}
.skip:focus{left:.5rem}
.sr-only{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.top{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.6rem 1rem;background:var(--card);border-bottom:1px solid var(--line)}
h1{font-size:1.15rem;margin:0}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;flex:1}
input,select,button{font:inherit;color:var(--text)}
input,select{padding:.3rem .5rem;border:1px solid var(--muted);border-radius:6px;background:var(--card)}
.filters input[type=search]{flex:1;min-width:12rem;max-width:28rem}
.updated{margin:0;font-size:.85rem}
main{padding:1rem;max-width:1500px;margin:0 auto}
main:focus{outline:none}
.banner{margin:0;padding:.6rem 1rem;background:var(--bad);color:var(--card);font-weight:600}
.status{min-height:1.45em;margin:.4rem 1rem 0}
.tone-ok{color:var(--ok)}.tone-bad{color:var(--bad)}.tone-info{color:var(--muted)}
.summary{margin:.2rem 0 .8rem;font-weight:600}
.summary.has-problems{color:var(--bad)}
.muted{color:var(--muted);font-weight:400}
.bad{color:var(--bad)}
.warning{padding:.5rem .75rem;border-left:3px solid var(--warn);background:var(--card)}
.panel{margin-bottom:.8rem;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.5rem .8rem}
.panel h2{font-size:1rem;margin:.2rem 0 .5rem}
.panel>summary{cursor:pointer;font-weight:600;padding:.2rem 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.875rem}
.routines-table{table-layout:fixed;min-width:60rem}
.routines-table th:nth-child(1){width:18%}.routines-table th:nth-child(2){width:11%}.routines-table th:nth-child(3){width:9%}.routines-table th:nth-child(4){width:13%}.routines-table th:nth-child(5){width:9%}.routines-table th:nth-child(6){width:18%}.routines-table th:nth-child(7){width:12%}.routines-table th:nth-child(8){width:10%}
.routines-table td{overflow-wrap:anywhere}
th,td{text-align:left;padding:.3rem .45rem;border-bottom:1px solid var(--line);vertical-align:top}
th{white-space:nowrap;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.lost td{color:var(--muted);background:var(--lost);font-style:italic}
.routines-table tr.problem td:first-child{box-shadow:inset 4px 0 0 var(--bad)}
.cell-name a{font-weight:600}
.cell-name .description{display:block;color:var(--muted);font-size:.8rem}
.cell-name .description:empty{display:none}
th button{all:unset;cursor:pointer;font-weight:600;border-radius:4px}
th button:focus-visible{outline:2px solid var(--focus)}
th[aria-sort=ascending] button::after{content:" \25B2"}
th[aria-sort=descending] button::after{content:" \25BC"}
.pager{display:flex;gap:.6rem;align-items:center;margin:.6rem 0}
.state,.flag{display:inline-block;font-size:.75rem;padding:.05rem .45rem;border-radius:999px;background:var(--card);border:1px solid currentColor;white-space:nowrap}
.state-running,.state-delayed,.state-complete,.state-forward,.state-succeeded{color:var(--ok)}
.state-paused,.state-disabled,.state-idle,.state-standby,.state-reverse,.state-restarting{color:var(--warn)}
.state-failed,.state-stopped,.state-stopping{color:var(--bad)}
.state-completed{color:var(--muted)}
.flag{color:var(--bad)}
.flag-slow{color:var(--warn)}
.outcome-succeeded{color:var(--ok)}.outcome-failed{color:var(--bad)}.outcome-skipped,.outcome-cancelled{color:var(--muted)}
.errors{margin:.3rem 0;padding-left:1.1rem;color:var(--bad)}
td.error{color:var(--bad);max-width:32rem;overflow-wrap:anywhere}
pre{white-space:pre-wrap;font-size:.75rem;max-height:24rem;overflow:auto}
button{padding:.3rem .7rem;border:1px solid var(--muted);border-radius:6px;background:var(--card);cursor:pointer}
button.primary{background:var(--link);border-color:var(--link);color:var(--card)}
button:disabled{opacity:.6;cursor:progress}
button[aria-pressed=true]{background:var(--text);color:var(--card)}
.controls,.control-row,.tabs{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:.35rem 0}
.controls form{display:flex;gap:.3rem;margin:0}
.controls input{width:7rem}
.control-row input:not([type=checkbox]){min-width:8rem}
dl{display:grid;grid-template-columns:8rem 1fr;gap:.15rem .6rem;margin:.5rem 0}
dt{color:var(--muted)}
dd{margin:0}
.description{margin:.25rem 0;color:var(--muted)}
.chart{display:block;width:100%;max-width:960px;height:auto}
.chart .axis{stroke:var(--muted);stroke-width:1}
.chart .tick{fill:var(--muted);font-size:11px}
.mark{fill:var(--ok)}.mark-cancelled{fill:var(--warn)}.mark-skipped{fill:var(--skip)}
.mark-failed{stroke:var(--bad);stroke-width:2.5;fill:none}
.key{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;background:var(--ok);vertical-align:middle}
.key-failed{background:var(--bad);border-radius:0}.key-cancelled{background:var(--warn)}.key-skipped{background:var(--skip)}
.next-runs{margin:.2rem 0;padding-left:1.5rem;columns:2 18rem}
.activity{margin:.2rem 0;padding-left:1.1rem}
dialog{border:1px solid var(--line);border-radius:10px;background:var(--card);color:var(--text);max-width:32rem;width:calc(100% - 2rem)}
dialog::backdrop{background:rgba(0,0,0,.45)}
dialog h2{font-size:1.05rem;margin:0 0 .5rem}
dialog .buttons{display:flex;justify-content:flex-end;gap:.5rem;margin-top:.8rem}
.routines{display:grid;grid-template-columns:repeat(auto-fill,minmax(24rem,1fr));gap:.8rem}
.routine,.migration{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.7rem .9rem;min-width:0;overflow-wrap:anywhere}
.routine.problem,.migration.problem{border-left:4px solid var(--bad)}
.routine header,.migration header{display:flex;flex-wrap:wrap;gap:.35rem;align-items:baseline}
.routine h2,.migration h3{font-size:1rem;margin:0 .3rem 0 0}
.migration-list{display:grid;grid-template-columns:repeat(auto-fill,minmax(24rem,1fr));gap:.8rem}
.meter{display:flex;gap:.6rem;align-items:center;margin:.4rem 0}
.meter progress{flex:1;height:.8rem;accent-color:var(--ok)}
.strip{display:block;max-width:100%;height:24px;margin:.3rem 0}
.run{fill:var(--ok)}.run-failed{fill:var(--bad)}.run-cancelled{fill:var(--warn)}.run-skipped{fill:var(--skip)}
.run-slow{fill:none;stroke:var(--warn);stroke-width:1}
@media (max-width:720px){
main{padding:.5rem}
.routines,.migration-list{grid-template-columns:1fr}
dl{grid-template-columns:6rem 1fr}
button,input:not([type=checkbox]),select,summary,td a,.filters label{min-height:44px}
.filters label,td a{display:inline-flex;align-items:center;gap:.4rem}
input[type=checkbox]{width:1.3rem;height:1.3rem}
.routines-table{min-width:0}
.routines-table th:nth-child(2),.routines-table td:nth-child(2),.routines-table th:nth-child(5),.routines-table td:nth-child(5),.routines-table th:nth-child(7),.routines-table td:nth-child(7),.routines-table th:nth-child(8),.routines-table td:nth-child(8){display:none}
.routines-table th:nth-child(1){width:34%}.routines-table th:nth-child(3){width:22%}.routines-table th:nth-child(4){width:22%}.routines-table th:nth-child(6){width:22%}
.routines-table .flag,.routines-table .state{white-space:normal}
th button{min-height:44px;display:inline-flex;align-items:center}
.cell-name a{display:inline-flex;align-items:center}
}
`;
