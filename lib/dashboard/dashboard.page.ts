import { formatDuration, isCronSpec } from '../core';
import { scheduleSpecOf } from '../controls';
import type { RunRecord } from '../observability';
import type { DashboardList, DashboardRoutine, DashboardWorker } from './dashboard-model';
import type { ResolvedDashboardSettings } from './dashboard.settings';
import { matchesQuery } from './dashboard-view';

/** What the page is rendered from: the list, each routine's recent runs, the filters asked for. */
export interface PageInput {
  list: DashboardList;
  history: (name: string) => RunRecord[];
  settings: ResolvedDashboardSettings;
  query: { q?: string; problems?: boolean };
  now: number;
}

/** Runs drawn in a routine's strip. */
export const STRIP_RUNS = 40;
/** Errors listed per routine. */
const ERRORS_SHOWN = 3;

/** Text for HTML content and quoted attribute values: every value from a routine or a user goes through it. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Routines drawn as cards for a browser without script: one page's worth, problems first. */
export const NO_SCRIPT_ROUTINES = 50;

/**
 * The list page: a shell the script fills from `api/view` (a table of one page of routines,
 * updated in place), and the first routines as cards inside `<noscript>` for a browser without
 * script. No inline script or style, so it passes a CSP of `'self'` only.
 */
export function renderPage(input: PageInput): string {
  const { settings, query } = input;
  const base = escapeHtml(basePath(settings));
  return shell(input, {
    title: settings.title,
    view: 'list',
    header: `<h1>${escapeHtml(settings.title)}</h1>
<form class="filters" method="get" action="${base || '/'}" role="search">
<label class="sr-only" for="q">Filter routines by name or description</label>
<input type="search" id="q" name="q" value="${escapeHtml(query.q ?? '')}" placeholder="Filter by name or description" autocomplete="off">
<label><input type="checkbox" name="problems" value="1"${query.problems ? ' checked' : ''}> Problems only</label>
<noscript><button>Apply</button></noscript>
</form>`,
    main: `<p class="summary" id="summary" role="status" aria-live="polite">${summaryText(input)}</p>
<details class="panel" id="replicas" hidden><summary>Replicas</summary>
<p class="warning" id="replicas-problem" hidden></p>
<div class="scroll"><table><thead><tr><th scope="col">Host</th><th scope="col">PID</th><th scope="col">Version</th><th scope="col">Started</th><th scope="col">Seen</th><th scope="col">Routines</th></tr></thead><tbody></tbody></table></div></details>
<section class="panel" id="migrations" aria-labelledby="migrations-title" hidden><h2 id="migrations-title">Out-of-band migrations</h2><p class="warning" hidden></p><div class="migration-list"></div></section>
<div id="table-wrap" hidden>
<div class="scroll"><table class="routines-table" id="routines-table"><caption class="sr-only">Routines, one page; the column buttons sort</caption>
<thead><tr><th scope="col" data-sort="name" aria-sort="none"><button type="button">Routine</button></th><th scope="col">Kind</th><th scope="col" data-sort="state" aria-sort="none"><button type="button">State</button></th><th scope="col" data-sort="problems" aria-sort="none"><button type="button">Problems</button></th><th scope="col" class="num" data-sort="failures" aria-sort="none"><button type="button">Failures</button></th><th scope="col" data-sort="last" aria-sort="none"><button type="button">Last run</button></th><th scope="col" data-sort="next" aria-sort="none"><button type="button">Next run</button></th><th scope="col" class="num">Replicas</th></tr></thead>
<tbody></tbody></table></div>
<p class="muted" id="empty" hidden>No routine matches.</p>
<nav class="pager" aria-label="Pages"><button type="button" id="page-prev">Previous page</button> <span id="page-info"></span> <button type="button" id="page-next">Next page</button></nav>
</div>
<noscript>
${renderContent(input)}
</noscript>`,
  });
}

/**
 * One routine's page, at `<path>/routines/:name` (deep-linkable): the script draws its history
 * chart, runs, next due times, replicas, jobs and activity from the JSON endpoints.
 */
export function renderRoutinePage(input: PageInput, routine: DashboardRoutine): string {
  const base = escapeHtml(basePath(input.settings));
  const section = (id: string, title: string) =>
    `<section class="panel" id="${id}" aria-labelledby="${id}-title" hidden><h2 id="${id}-title">${title}</h2><div class="body"></div></section>`;
  return shell(input, {
    title: `${routine.name} · ${input.settings.title}`,
    view: 'detail',
    name: routine.name,
    header: `<a id="back" href="${base || ''}/">← All routines</a>
<h1>${escapeHtml(routine.name)}</h1>`,
    main: `<section class="panel" id="overview" aria-label="Overview"><div class="body"></div></section>
${section('controls', 'Controls')}
${section('chart', 'Runs over time')}
${section('next', 'Next 10 due times')}
${section('runs', 'Runs')}
${section('on-replicas', 'On each replica')}
${section('stats', 'By hour')}
${section('jobs', 'Jobs')}
${section('activity', 'Activity')}
<noscript><section class="routines">${renderRoutine(routine, input)}</section></noscript>`,
  });
}

interface ShellParts {
  title: string;
  view: 'list' | 'detail';
  name?: string;
  header: string;
  main: string;
}

/** What both pages share: head, skip link, the disconnected banner, the action status, the confirmation dialog. */
function shell({ settings, list }: PageInput, parts: ShellParts): string {
  const base = escapeHtml(basePath(settings));
  const data = [
    `data-view="${parts.view}"`,
    `data-base="${base}"`,
    `data-refresh="${settings.refreshMs}"`,
    `data-control="${settings.control ? 1 : 0}"`,
    `data-shared="${list.shared ? 1 : 0}"`,
    `data-replica="${escapeHtml(`${list.replica.host} pid ${escapeHtml(list.replica.pid)}`)}"`,
    parts.name === undefined ? '' : `data-name="${escapeHtml(parts.name)}"`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(parts.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/assets/dashboard.css">
<script src="${base}/assets/dashboard.js" defer></script>
</head>
<body ${data.filter(Boolean).join(' ')}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
${parts.header}
<p class="updated muted" id="updated"></p>
</header>
<p class="banner" id="banner" role="alert" hidden></p>
<div class="status" id="status" role="status" aria-live="polite"></div>
<main id="main" tabindex="-1">
${parts.main}
</main>
<dialog id="confirm" aria-labelledby="confirm-title"><h2 id="confirm-title">Confirm</h2><dl></dl><div class="buttons"><button type="button" data-cancel>Cancel</button><button type="button" class="primary" data-ok>Confirm</button></div></dialog>
</body>
</html>
`;
}

function basePath(settings: ResolvedDashboardSettings): string {
  return settings.path === '/' ? '' : settings.path;
}

function summaryText({ list }: PageInput): string {
  const { summary } = list;
  const replicas = list.replicas.length;
  return `${summary.routines} routine${plural(summary.routines)} · ${summary.failing} failing · ${summary.late} late · ${summary.paused} paused · ${replicas} replica${plural(replicas)}`;
}

/** What the page refreshes every few seconds: the summary, the replicas and the routines. */
export function renderContent(input: PageInput): string {
  const { list, query } = input;
  const { summary } = list;
  const shown = list.routines.filter((routine) => matchesQuery(routine, query));
  // Problems first, and one page of them: a browser without script at 1,000 routines gets a
  // page it can render; the filters narrow it.
  const drawn = [
    ...shown.filter((routine) => routine.problems.length > 0),
    ...shown.filter((routine) => routine.problems.length === 0),
  ].slice(0, NO_SCRIPT_ROUTINES);
  const replicas = list.replicas.length;
  return `<p class="summary" id="summary">${summary.routines} routine${plural(summary.routines)} · <span class="${summary.failing ? 'bad' : ''}">${summary.failing} failing</span> · <span class="${summary.late ? 'bad' : ''}">${summary.late} late</span> · ${summary.paused} paused · ${replicas} replica${plural(replicas)}${shown.length < list.routines.length ? ` · <span class="muted">${shown.length} shown</span>` : ''}</p>
${list.replicasProblem ? `<p class="warning">${escapeHtml(list.replicasProblem)}</p>` : ''}
${renderReplicas(input)}
${renderMigrations(input)}
<section class="routines">
${drawn.map((routine) => renderRoutine(routine, input)).join('\n')}
${shown.length === 0 ? '<p class="muted empty">No routine matches.</p>' : ''}
${drawn.length < shown.length ? `<p class="muted">${drawn.length} of ${shown.length} shown: filter to see the others.</p>` : ''}
</section>`;
}

function renderReplicas({ list, now }: PageInput): string {
  const rows = list.replicas
    .map(
      (replica) =>
        `<tr${replica.id === list.replica.id ? ' class="self"' : ''}><td>${escapeHtml(replica.host)}</td><td>${escapeHtml(replica.pid)}</td><td>${escapeHtml(replica.version ?? '')}</td><td>${ago(replica.startedAt, now)}</td><td>${ago(replica.publishedAt, now)}</td><td>${escapeHtml(replica.routines)}</td></tr>`,
    )
    .join('');
  return `<details class="replicas"${list.replicas.length > 1 ? ' open' : ''}><summary>Replicas${list.shared ? '' : ' (this one only: no shared coordinator)'}</summary>
<table><thead><tr><th>Host</th><th>PID</th><th>Version</th><th>Started</th><th>Seen</th><th>Routines</th></tr></thead><tbody>${rows}</tbody></table></details>`;
}

/** Sourcegraph's migrations page: a meter per migration, its direction, pace and last errors. */
function renderMigrations({ list, now }: PageInput): string {
  if (!list.migrations && !list.migrationsProblem) return '';
  const cards = (list.migrations ?? []).map((migration) => {
    const percent = Math.floor(migration.progress * 100);
    const failing = migration.errors.length > 0 && !migration.complete;
    const rate =
      migration.ratePerMinute === undefined
        ? ''
        : ` · ${migration.ratePerMinute >= 0 ? '+' : ''}${(migration.ratePerMinute * 100).toFixed(1)}%/min`;
    const eta =
      migration.etaMs === undefined
        ? ''
        : ` · about ${formatDuration(Math.max(1000, Math.round(migration.etaMs / 1000) * 1000))} left`;
    const errors = migration.errors
      .map(
        (error) =>
          `<li><span class="muted">${ago(error.at, now)}</span> ${escapeHtml(error.message)}</li>`,
      )
      .join('');
    return `<article class="migration${failing ? ' problem' : ''}" data-migration="${escapeHtml(migration.id)}">
<header><h3>${escapeHtml(migration.id)}</h3> <span class="state state-${escapeHtml(migration.direction)}">${escapeHtml(migration.direction)}</span>${migration.complete ? ' <span class="state state-complete">complete</span>' : ''}${migration.declared ? '' : ' <span class="flag">not declared by this version</span>'}</header>
<p class="description">${escapeHtml(migration.description)}</p>
<div class="meter"><progress max="100" value="${percent}" aria-label="${escapeHtml(migration.id)} progress">${percent}%</progress> <strong>${percent}%</strong></div>
<p class="muted">${migration.updatedAt === undefined ? 'not measured yet' : `measured ${ago(migration.updatedAt, now)}`}${rate}${eta}${migration.nonDestructive ? ' · non-destructive' : ''}</p>
${errors ? `<ul class="errors">${errors}</ul>` : ''}
</article>`;
  });
  return `<section class="migrations"><h2>Out-of-band migrations</h2>
${list.migrationsProblem ? `<p class="warning">${escapeHtml(list.migrationsProblem)}</p>` : ''}
<div class="migration-list">${cards.join('\n')}</div></section>`;
}

function renderRoutine(routine: DashboardRoutine, input: PageInput): string {
  const { now, settings } = input;
  const history = routine.here ? input.history(routine.name) : [];
  const text = `${routine.name} ${routine.description ?? ''}`.toLowerCase();
  const classes = ['routine', routine.problems.length > 0 ? 'problem' : '']
    .filter(Boolean)
    .join(' ');
  const flags = routine.problems
    .map(
      (problem) =>
        `<span class="flag flag-${problem}">${problem === 'failing' ? `${routine.health.consecutiveFailures} failed in a row` : problem}</span>`,
    )
    .join(' ');
  return `<article class="${classes}" data-name="${escapeHtml(routine.name)}" data-text="${escapeHtml(text)}" data-problem="${routine.problems.length > 0 ? 1 : 0}">
<header><h2>${escapeHtml(routine.name)}</h2> <span class="state state-${escapeHtml(routine.state)}">${escapeHtml(routine.state)}</span> ${flags}</header>
${routine.description ? `<p class="description">${escapeHtml(routine.description)}</p>` : ''}
<dl>
<dt>Kind</dt><dd>${escapeHtml(routine.kind)}, ${escapeHtml(routine.scope)}</dd>
<dt>Schedule</dt><dd>${escapeHtml(routine.schedule ?? 'background')}${routine.overlap ? ` · overlap ${escapeHtml(routine.overlap.policy)}${routine.overlap.waiting > 0 ? `, ${escapeHtml(routine.overlap.waiting)} waiting` : ''}` : ''}</dd>
${routine.paused ? `<dt>Paused</dt><dd class="paused-note">${ago(routine.paused.at, now)}${routine.paused.by ? ` by ${escapeHtml(routine.paused.by)}` : ''}${routine.paused.note ? `: ${escapeHtml(routine.paused.note)}` : ''}</dd>` : ''}
<dt>Next run</dt><dd>${routine.nextRunAt === undefined ? '—' : until(routine.nextRunAt, now)}</dd>
<dt>Last run</dt><dd>${lastRun(routine, now)}</dd>
<dt>Runs</dt><dd>${counted(routine.counters.runs, 'run')} · ${counted(routine.counters.failures, 'failure')} · ${escapeHtml(routine.counters.skipped)} skipped${routine.counters.restarts ? ` · ${counted(routine.counters.restarts, 'restart')}` : ''}</dd>
<dt>Duration</dt><dd>${durations(routine, history)}</dd>
${routine.scope === 'cluster' ? `<dt>Cluster</dt><dd>${cluster(routine)}</dd>` : ''}
${routine.worker ? jobs(routine.worker, now) : ''}
</dl>
${routine.worker ? jobErrors(routine.worker, now) : ''}
${history.length > 0 ? strip(history, routine.intervalMs) : ''}
${errors(routine, history, settings.exposeStacks, now)}
${routine.replicas.length > 1 || !routine.here ? onReplicas(routine, now) : ''}
${settings.control && routine.here ? controls(routine, input) : ''}
</article>`;
}

function lastRun(routine: DashboardRoutine, now: number): string {
  const run = routine.lastRun;
  if (!run) return routine.runningSince ? `running since ${ago(routine.runningSince, now)}` : '—';
  const at = run.startedAt ?? run.dueAt;
  const took = run.durationMs === undefined ? '' : ` in ${ms(run.durationMs)}`;
  const reason = run.reason ? ` (${escapeHtml(run.reason)})` : '';
  return `<span class="outcome outcome-${escapeHtml(run.status)}">${escapeHtml(run.status)}</span>${reason} ${ago(at, now)}${took}`;
}

function durations(routine: DashboardRoutine, history: readonly RunRecord[]): string {
  const stats = routine.stats?.durationMs;
  if (!stats) return '—';
  const slowOver = slowThreshold(routine.intervalMs);
  const slow =
    slowOver === undefined ? 0 : history.filter((run) => (run.durationMs ?? 0) > slowOver).length;
  const marked = slow > 0 ? ` · <span class="bad">${slow} over 70% of the interval</span>` : '';
  return `min ${ms(stats.min)} · avg ${ms(stats.avg)} · p95 ${ms(stats.p95)} · max ${ms(stats.max)}${marked}`;
}

/** Rows by state are the table's (every replica); jobs and durations are this replica's. */
function jobs(worker: DashboardWorker, now: number): string {
  const rows = worker.rows
    ? Object.entries(worker.rows)
        .filter(([, count]) => count > 0)
        .map(
          ([state, count]) =>
            `<span class="job-state job-${escapeHtml(state)}">${escapeHtml(count)} ${escapeHtml(state)}</span>`,
        )
        .join(' · ') || 'none'
    : `<span class="bad">${escapeHtml(worker.rowsProblem ?? 'unknown')}</span>`;
  const oldest =
    worker.oldestQueuedMs === undefined
      ? ''
      : ` · oldest due ${ago(now - worker.oldestQueuedMs, now)}`;
  const { stats } = worker;
  const ended = Object.entries(stats.outcomes)
    .filter(([, count]) => count > 0)
    .map(([outcome, count]) =>
      outcome === 'succeeded'
        ? `${escapeHtml(count)} succeeded`
        : `<span class="bad">${escapeHtml(count)} ${escapeHtml(outcome)}</span>`,
    )
    .join(' · ');
  const took = stats.durationMs
    ? ` · p50 ${ms(stats.durationMs.p50)} · p95 ${ms(stats.durationMs.p95)} · max ${ms(stats.durationMs.max)}`
    : '';
  return `<dt>Rows</dt><dd>${rows}${oldest}</dd>
<dt>Jobs here</dt><dd>${escapeHtml(worker.inFlight)} in flight${stats.jobs > 0 ? ` · last ${escapeHtml(stats.jobs)}: ${ended}${took}` : ''}</dd>`;
}

function jobErrors(worker: DashboardWorker, now: number): string {
  if (worker.recentErrors.length === 0) return '';
  const items = worker.recentErrors.map(
    (job) =>
      `<li><span class="muted">${ago(job.startedAt, now)} · job ${escapeHtml(job.id)} attempt ${escapeHtml(job.attempt)} ${escapeHtml(job.outcome)}</span> ${escapeHtml(job.error!.message)}</li>`,
  );
  return `<ul class="errors job-errors">${items.join('')}</ul>`;
}

function cluster(routine: DashboardRoutine): string {
  const parts: string[] = [];
  const here = routine.cluster;
  if (here)
    parts.push(
      `here: ${escapeHtml(here.role)}${here.epoch !== undefined ? `, epoch ${escapeHtml(here.epoch)}` : ''}`,
    );
  const runner = routine.runner;
  if (runner) {
    const what =
      runner.epoch !== undefined
        ? `holds the lease (epoch ${escapeHtml(runner.epoch)})`
        : `ran the latest slot (${new Date(runner.slot!).toISOString()})`;
    parts.push(`${escapeHtml(runner.host)} pid ${escapeHtml(runner.pid)} ${what}`);
  }
  const pause = routine.controls?.pause;
  if (pause?.paused) parts.push('<span class="flag">paused on every replica</span>');
  return parts.join(' · ') || '—';
}

/**
 * Recent runs, oldest on the left: height for duration, colour for outcome, an outline on slow
 * ones. One path per outcome rather than an element per run: a page of 1,000 routines stays
 * small (measured, bench P7).
 */
function strip(history: readonly RunRecord[], intervalMs: number | undefined): string {
  const runs = history.slice(0, STRIP_RUNS).reverse();
  let longest = 1;
  for (const run of runs) longest = Math.max(longest, run.durationMs ?? 0);
  const slowOver = slowThreshold(intervalMs);
  const paths: Record<string, string> = { succeeded: '', failed: '', cancelled: '', skipped: '' };
  let slow = '';
  runs.forEach((run, i) => {
    const duration = run.durationMs ?? 0;
    const height =
      run.status === 'skipped' ? 3 : Math.max(2, Math.round((duration / longest) * 22));
    const bar = `M${i * 5} 24v-${height}h4v${height}z`;
    paths[run.status] = (paths[run.status] ?? '') + bar;
    if (slowOver !== undefined && duration > slowOver) slow += bar;
  });
  const drawn = Object.entries(paths)
    .filter(([, d]) => d !== '')
    .map(([status, d]) => `<path class="run run-${escapeHtml(status)}" d="${d}"/>`)
    .join('');
  const outline = slow ? `<path class="run-slow" d="${slow}"/>` : '';
  const counts = Object.entries(countBy(runs.map((run) => run.status)))
    .map(([status, count]) => `${escapeHtml(count)} ${escapeHtml(status)}`)
    .join(', ');
  const label = `Last ${runs.length} runs, oldest first: ${counts}; longest ${ms(longest)}`;
  return `<svg class="strip" viewBox="0 0 ${STRIP_RUNS * 5} 24" width="${STRIP_RUNS * 5}" height="24" role="img" aria-label="${escapeHtml(label)}"><title>${escapeHtml(label)}</title>${drawn}${outline}</svg>`;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function errors(
  routine: DashboardRoutine,
  history: readonly RunRecord[],
  exposeStacks: boolean,
  now: number,
): string {
  const failed = history.filter((run) => run.error).slice(0, ERRORS_SHOWN);
  const items = failed.map(
    (run) =>
      `<li><span class="muted">${ago(run.startedAt ?? run.dueAt, now)}</span> ${escapeHtml(run.error!.message)}</li>`,
  );
  if (items.length === 0 && routine.lastError) {
    items.push(
      `<li><span class="muted">${ago(routine.lastError.at, now)}</span> ${escapeHtml(routine.lastError.message)}</li>`,
    );
  }
  const stack = exposeStacks ? routine.lastRun?.error?.stack : undefined;
  if (items.length === 0) return '';
  return `<ul class="errors">${items.join('')}</ul>${stack ? `<details><summary>Stack</summary><pre>${escapeHtml(stack)}</pre></details>` : ''}`;
}

function onReplicas(routine: DashboardRoutine, now: number): string {
  const rows = routine.replicas
    .map(
      (replica) =>
        `<tr><td>${escapeHtml(replica.host)} (${escapeHtml(replica.pid)})</td><td><span class="state state-${escapeHtml(replica.state)}">${escapeHtml(replica.state)}</span></td><td>${escapeHtml(replica.counters.runs)}</td><td>${escapeHtml(replica.counters.failures)}</td><td>${replica.lastRun ? ago(replica.lastRun.startedAt ?? replica.lastRun.dueAt, now) : '—'}</td><td>${replica.cluster ? escapeHtml(replica.cluster.role) : ''}</td></tr>`,
    )
    .join('');
  return `<table class="on-replicas"><thead><tr><th>Replica</th><th>State</th><th>Runs</th><th>Failures</th><th>Last run</th><th>Role</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function controls(routine: DashboardRoutine, { list, settings }: PageInput): string {
  if (routine.kind !== 'periodic') return '';
  const base = settings.path === '/' ? '' : settings.path;
  const action = (what: string): string =>
    escapeHtml(`${base}/api/routines/${encodeURIComponent(routine.name)}/${what}`);
  const everywhere = routine.scope === 'cluster' && list.shared;
  const where = everywhere
    ? 'on every replica'
    : `on ${escapeHtml(list.replica.host)} (pid ${escapeHtml(list.replica.pid)}) only`;
  const ticking = routine.state === 'running' || routine.state === 'paused';
  const toggle = routine.state === 'paused' ? 'resume' : 'pause';
  const spec = scheduleSpecOf(routine);
  const cron = isCronSpec(spec);
  const field = cron ? 'cron' : 'interval';
  const current = cron ? spec.cron : spec === undefined ? '' : formatDuration(Number(spec));
  return `<div class="controls" data-where="${where}">
<form method="post" action="${action('trigger')}"><button type="submit">Run now</button></form>
${ticking ? `<form method="post" action="${action(toggle)}" class="${toggle}">${toggle === 'pause' ? '<input name="note" placeholder="why (optional)" aria-label="Pause note" maxlength="1000">' : ''}<button type="submit">${toggle === 'pause' ? 'Pause' : 'Resume'}</button></form>` : ''}
${ticking ? `<form method="post" action="${action('interval')}" class="interval"><input name="${field}" value="${escapeHtml(current)}" aria-label="${cron ? 'Cron expression' : 'Interval'}" required>${cron && spec.timeZone ? `<input type="hidden" name="timeZone" value="${escapeHtml(spec.timeZone)}">` : ''}<button type="submit">Set ${field}</button></form>` : ''}
<span class="muted">${where}</span>
</div>`;
}

function slowThreshold(intervalMs: number | undefined): number | undefined {
  return intervalMs === undefined ? undefined : intervalMs * 0.7;
}

function ms(value: number): string {
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  return formatDuration(Math.round(value));
}

function ago(time: number, now: number): string {
  const delta = now - time;
  const text = delta < 1000 ? 'just now' : `${formatDuration(Math.round(delta / 1000) * 1000)} ago`;
  return `<time datetime="${new Date(time).toISOString()}">${text}</time>`;
}

function until(time: number, now: number): string {
  const delta = time - now;
  const text = delta < 1000 ? 'now' : `in ${formatDuration(Math.round(delta / 1000) * 1000)}`;
  return `<time datetime="${new Date(time).toISOString()}">${text}</time>`;
}

function counted(count: number, noun: string): string {
  return `${escapeHtml(count)} ${noun}${plural(count)}`;
}

function plural(count: number): string {
  return count === 1 ? '' : 's';
}
