/**
 * The page's script.
 * Served by the module itself: no build, no CDN, no web font, nothing inline (a CSP of
 * `'self'` passes). A raw string: no backtick and no `${` in it (a unit test parses it).
 */

/**
 * The console: renders from JSON (`api/view` for the list, `api/routines/:name` and the
 * history, stats, jobs and audit endpoints for one routine), polls with `If-None-Match` so an
 * unchanged page costs a 304, and updates only what changed, keyed by routine name. An element
 * with the focus and a field with typed text are never replaced; `<details>` stay as the
 * operator left them. Every value goes in as text (`textContent`), never as markup.
 * @internal
 */
export const DASHBOARD_JS = String.raw`(() => {
  'use strict';
  const body = document.body;
  const base = body.dataset.base || '';
  const every = Number(body.dataset.refresh) || 0;
  const control = body.dataset.control === '1';
  const banner = document.getElementById('banner');
  const status = document.getElementById('status');
  const updated = document.getElementById('updated');

  /* ---- DOM from data: textContent only, never markup ---- */
  const h = (tag, props, children) => {
    const node = document.createElement(tag);
    for (const key in props || {}) {
      const value = props[key];
      if (value === undefined || value === null || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'class') node.className = value;
      else if (key === 'on') for (const type in value) node.addEventListener(type, value[type]);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of [].concat(children === undefined ? [] : children))
      if (child !== undefined && child !== null && child !== false) node.append(child);
    return node;
  };
  const SVG = 'http://www.w3.org/2000/svg';
  const s = (tag, attrs, children) => {
    const node = document.createElementNS(SVG, tag);
    for (const key in attrs || {}) node.setAttribute(key, String(attrs[key]));
    for (const child of [].concat(children || [])) if (child) node.append(child);
    return node;
  };
  const setText = (node, text) => {
    text = String(text);
    if (node.textContent !== text) node.textContent = text;
  };
  const setClass = (node, name) => {
    if (node.className !== name) node.className = name;
  };
  const show = (node, visible) => {
    if (node.hidden === visible) node.hidden = !visible;
  };
  /** An element the operator is using: focused, or an input holding text typed but not sent. */
  const busy = (node) => {
    const active = document.activeElement;
    return !!active && active !== document.body && node.contains(active);
  };

  /* ---- time: the server's clock (a test's manual clock too), ticking on the client ---- */
  let skew = 0;
  const now = () => Date.now() + skew;
  const duration = (ms) => {
    ms = Math.abs(ms);
    if (ms < 1000) return Math.round(ms) + 'ms';
    const sec = Math.round(ms / 1000);
    if (sec < 60) return sec + 's';
    const min = Math.floor(sec / 60);
    if (min < 60) return min + 'm' + (sec % 60 ? (sec % 60) + 's' : '');
    const hours = Math.floor(min / 60);
    if (hours < 48) return hours + 'h' + (min % 60 ? (min % 60) + 'm' : '');
    return Math.floor(hours / 24) + 'd' + (hours % 24 ? (hours % 24) + 'h' : '');
  };
  const took = (ms) =>
    ms === undefined || ms === null
      ? ''
      : ms < 1
        ? ms.toFixed(2) + ' ms'
        : ms < 1000
          ? Math.round(ms) + ' ms'
          : duration(ms);
  /** Coarse under a minute (10 s steps): a table of times then changes, and lays out, every 10 s, not every second. */
  const relative = (at, mode) => {
    let delta = mode === 'until' ? at - now() : now() - at;
    if (delta >= 10000 && delta < 60000) delta = Math.floor(delta / 10000) * 10000;
    if (mode === 'until') return delta < 1000 ? 'now' : delta < 10000 ? 'in a few seconds' : 'in ' + duration(delta);
    return delta < 10000 ? 'just now' : duration(delta) + ' ago';
  };
  const local = (at) => new Date(at).toLocaleString();
  /** A time that keeps its words current: the ticker rewrites every <time class="rel"> each second. */
  const time = (at, mode) =>
    h('time', { class: 'rel', datetime: new Date(at).toISOString(), title: local(at), 'data-at': at, 'data-mode': mode || 'ago' }, relative(at, mode));
  const setTime = (node, at, mode) => {
    if (at === undefined || at === null) {
      if (node.firstChild && node.firstChild.nodeName === 'TIME') node.replaceChildren('—');
      else setText(node, '—');
      return;
    }
    let el = node.firstChild;
    if (!el || el.nodeName !== 'TIME' || node.childNodes.length !== 1) {
      el = time(at, mode);
      node.replaceChildren(el);
    } else if (Number(el.dataset.at) !== at) {
      el.dataset.at = at;
      el.dataset.mode = mode || 'ago';
      el.setAttribute('datetime', new Date(at).toISOString());
      el.title = local(at);
      setText(el, relative(at, mode));
    }
  };

  /* ---- fetching: conditional (ETag), the server's time, the connection's state ---- */
  const tags = new Map();
  const kept = new Map();
  let lastOk = 0;
  class HttpError extends Error {
    constructor(statusCode, message) {
      super(message);
      this.status = statusCode;
    }
  }
  const messageOf = (data, fallback) =>
    data && data.message ? [].concat(data.message).join('; ') : fallback;
  const getJson = async (url) => {
    const headers = { accept: 'application/json' };
    if (tags.has(url)) headers['if-none-match'] = tags.get(url);
    const response = await fetch(url, { headers, cache: 'no-store', credentials: 'same-origin' });
    const serverNow = Number(response.headers.get('x-routines-now'));
    if (serverNow) skew = serverNow - Date.now();
    if (response.status === 304 && kept.has(url)) return { data: kept.get(url), changed: false };
    if (response.status === 404) return { missing: true };
    if (!response.ok) {
      const data = await response.json().catch(() => undefined);
      throw new HttpError(response.status, messageOf(data, response.statusText));
    }
    const data = await response.json();
    const tag = response.headers.get('etag');
    if (tag) {
      if (kept.size > 30) {
        kept.clear();
        tags.clear();
      }
      tags.set(url, tag);
      kept.set(url, data);
    }
    return { data, changed: true };
  };
  const why = (error) => {
    if (!(error instanceof HttpError)) return 'the network is down or the server does not answer';
    if (error.status === 401 || error.status === 403)
      return 'not signed in or not allowed (HTTP ' + error.status + '); sign in again and reload';
    if (error.status >= 500) return 'the server failed (HTTP ' + error.status + ': ' + error.message + ')';
    return 'HTTP ' + error.status + ': ' + error.message;
  };
  const connected = () => {
    lastOk = Date.now();
    show(banner, false);
    tick();
  };
  const disconnected = (error) => {
    setText(banner, 'Disconnected: ' + why(error) + '. Showing what was last received; retrying.');
    show(banner, true);
  };
  const tick = () => {
    if (updated && lastOk) {
      const sec = Math.round((Date.now() - lastOk) / 1000);
      setText(updated, 'Updated ' + (sec < 1 ? 'just now' : sec + ' s ago'));
    }
    for (const el of document.querySelectorAll('time.rel'))
      setText(el, relative(Number(el.dataset.at), el.dataset.mode));
  };
  setInterval(tick, 1000);

  /** Refreshes one after the other (never two at once), every refresh period, and at once when asked. */
  const poller = (refresh) => {
    let timer, running = false, again = false;
    const run = async () => {
      clearTimeout(timer);
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        await refresh();
        connected();
      } catch (error) {
        disconnected(error);
      } finally {
        running = false;
        if (again) {
          again = false;
          run();
        } else if (every > 0) timer = setTimeout(tickOrWait, every);
      }
    };
    // A tab in the background asks nothing (each ask lists every routine on the server); it
    // catches up as soon as it is shown again.
    let waiting = false;
    const tickOrWait = () => {
      if (document.hidden) waiting = true;
      else run();
    };
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && waiting) {
        waiting = false;
        run();
      }
    });
    return run;
  };

  /* ---- actions: the button off while in flight, the outcome said at once ---- */
  const say = (text, tone) => {
    status.replaceChildren(h('span', { class: 'tone-' + (tone || 'info') }, text));
  };
  const post = async (url, payload) => {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(payload || {}),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new HttpError(response.status, messageOf(data, response.statusText));
    return { status: response.status, data };
  };
  const act = async (button, label, url, payload, after) => {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    say(label + '…', 'info');
    try {
      const answer = await post(url, payload);
      say(label + ': done' + where(answer.data) + '.', 'ok');
      if (after) await after(answer);
    } catch (error) {
      say(label + ' failed: ' + (error instanceof HttpError ? error.message + ' (HTTP ' + error.status + ')' : why(error)), 'bad');
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      if (currentRefresh) currentRefresh();
    }
  };
  const where = (data) =>
    data && data.appliesTo === 'cluster' ? ' on every replica' : data && data.appliesTo === 'instance' ? ' on this replica' : '';
  let currentRefresh;

  const dialog = document.getElementById('confirm');
  /** Asks in a modal <dialog>: what changes, from what to what, and where. */
  const confirmAction = (title, rows, verb) =>
    new Promise((resolve) => {
      setText(dialog.querySelector('h2'), title);
      dialog.querySelector('dl').replaceChildren(...rows.flatMap(([term, value]) => [h('dt', { text: term }), h('dd', { text: value })]));
      setText(dialog.querySelector('[data-ok]'), verb || 'Confirm');
      dialog.returnValue = '';
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
      dialog.showModal();
    });
  if (dialog) {
    dialog.querySelector('[data-ok]').addEventListener('click', () => dialog.close('ok'));
    dialog.querySelector('[data-cancel]').addEventListener('click', () => dialog.close('cancel'));
  }

  /** What each section was last drawn from (kept here, not in a data-* attribute of the page). */
  const drawn = new WeakMap();

  const pill = (state) => h('span', { class: 'state state-' + state, text: state });
  const flags = (row) =>
    row.problems.map((problem) =>
      h('span', { class: 'flag flag-' + problem, text: problem === 'failing' ? row.failing + ' failed in a row' : problem }),
    );
  const routineUrl = (name, back) =>
    base + '/routines/' + encodeURIComponent(name) + (back ? '?back=' + encodeURIComponent(back) : '');
  const api = (path) => base + '/api/' + path;

  /* ---- replicas and migrations: shared by both views ---- */
  const replicaRows = new Map();
  const renderReplicas = (view) => {
    const section = document.getElementById('replicas');
    if (!section) return;
    show(section, true);
    const summary = section.querySelector('summary');
    setText(summary, 'Replicas (' + view.replicas.length + ')' + (view.shared ? '' : ', this one only: no shared coordinator'));
    if (!section.dataset.opened) {
      section.dataset.opened = '1';
      section.open = view.replicas.length > 1;
    }
    const tbody = section.querySelector('tbody');
    const seen = new Set();
    let previous = null;
    for (const replica of view.replicas) {
      seen.add(replica.id);
      let entry = replicaRows.get(replica.id);
      if (!entry) {
        const cells = ['host', 'pid', 'version', 'started', 'seen', 'routines'].map(() => h('td'));
        entry = { tr: h('tr', {}, cells), cells, json: '' };
        replicaRows.set(replica.id, entry);
      }
      const json = JSON.stringify(replica);
      if (entry.json !== json) {
        entry.json = json;
        const [host, pid, version, started, seenCell, routines] = entry.cells;
        setText(host, replica.host + (replica.id === view.replica.id ? ' (this one)' : '') + (replica.lost ? ' — lost' : ''));
        setText(pid, replica.pid);
        setText(version, replica.version || '');
        setTime(started, replica.startedAt);
        if (replica.id === view.replica.id) setText(seenCell, 'now');
        else setTime(seenCell, replica.lost && replica.lostSince ? replica.lostSince : replica.publishedAt);
        setText(routines, replica.routines);
        setClass(entry.tr, replica.lost ? 'lost' : '');
      }
      const want = previous ? previous.nextSibling : tbody.firstChild;
      if (entry.tr !== want) tbody.insertBefore(entry.tr, want);
      previous = entry.tr;
    }
    for (const [id, entry] of replicaRows)
      if (!seen.has(id)) {
        entry.tr.remove();
        replicaRows.delete(id);
      }
    const problem = document.getElementById('replicas-problem');
    setText(problem, view.replicasProblem || '');
    show(problem, !!view.replicasProblem);
  };

  const migrationCards = new Map();
  const renderMigrations = (view) => {
    const section = document.getElementById('migrations');
    if (!section) return;
    show(section, !!(view.migrations || view.migrationsProblem));
    const problem = section.querySelector('.warning');
    setText(problem, view.migrationsProblem || '');
    show(problem, !!view.migrationsProblem);
    const holder = section.querySelector('.migration-list');
    for (const migration of view.migrations || []) {
      let card = migrationCards.get(migration.id);
      if (!card) {
        card = {
          el: h('article', { class: 'migration', 'data-migration': migration.id }),
          title: h('h3', { text: migration.id }),
          states: h('span'),
          description: h('p', { class: 'description' }),
          meter: h('progress', { max: 100, value: 0, 'aria-label': migration.id + ' progress' }),
          percent: h('strong'),
          line: h('p', { class: 'muted' }),
          errors: h('ul', { class: 'errors' }),
          json: '',
        };
        const buttons = control
          ? h('div', { class: 'controls' }, [
              migrationButton(migration.id, 'reverse', 'Reverse'),
              migrationButton(migration.id, 'forward', 'Run forward'),
            ])
          : null;
        card.el.append(
          h('header', {}, [card.title, ' ', card.states]),
          card.description,
          h('div', { class: 'meter' }, [card.meter, ' ', card.percent]),
          card.line,
          card.errors,
          buttons,
        );
        migrationCards.set(migration.id, card);
        holder.append(card.el);
      }
      const json = JSON.stringify(migration);
      if (card.json === json) continue;
      card.json = json;
      const percent = Math.floor(migration.progress * 100);
      setClass(card.el, 'migration' + (migration.errors.length > 0 && !migration.complete ? ' problem' : ''));
      card.states.replaceChildren(
        h('span', { class: 'state state-' + migration.direction, text: migration.direction }),
        migration.complete ? h('span', { class: 'state state-complete', text: 'complete' }) : '',
        migration.declared ? '' : h('span', { class: 'flag', text: 'not declared by this version' }),
      );
      setText(card.description, migration.description);
      if (card.meter.value !== percent) card.meter.value = percent;
      setText(card.percent, percent + '%');
      const rate =
        migration.ratePerMinute === undefined
          ? ''
          : ' · ' + (migration.ratePerMinute >= 0 ? '+' : '') + (migration.ratePerMinute * 100).toFixed(1) + '%/min';
      const eta = migration.etaMs === undefined ? '' : ' · about ' + duration(Math.max(1000, migration.etaMs)) + ' left';
      card.line.replaceChildren(
        migration.updatedAt === undefined ? 'not measured yet' : h('span', {}, ['measured ', time(migration.updatedAt)]),
        rate + eta + (migration.nonDestructive ? ' · non-destructive' : ''),
      );
      card.errors.replaceChildren(
        ...migration.errors.map((error) => h('li', {}, [h('span', { class: 'muted' }, time(error.at)), ' ', error.message])),
      );
    }
  };
  const migrationButton = (id, direction, label) =>
    h('button', {
      type: 'button',
      text: label,
      on: {
        click: async (event) => {
          const button = event.currentTarget;
          const ok = await confirmAction(label + ' ' + id + '?', [['Migration', id], ['Direction', direction], ['Where', 'every replica (the migration store is shared)']], label);
          if (ok) act(button, label + ' ' + id, api('migrations/' + encodeURIComponent(id) + '/' + direction));
        },
      },
    });

  /* ================= the list ================= */
  const listView = () => {
    const form = document.querySelector('.filters');
    const q = form.elements.q, problems = form.elements.problems;
    const params = new URLSearchParams(location.search);
    const query = {
      q: params.get('q') || '',
      problems: params.get('problems') === '1',
      sort: params.get('sort') || 'problems',
      dir: params.get('dir') === 'desc' ? 'desc' : 'asc',
      page: Math.max(1, Number(params.get('page')) || 1),
    };
    const wrap = document.getElementById('table-wrap');
    const tbody = wrap.querySelector('tbody');
    const summary = document.getElementById('summary');
    const pageInfo = document.getElementById('page-info');
    const prev = document.getElementById('page-prev');
    const next = document.getElementById('page-next');
    const empty = document.getElementById('empty');
    show(wrap, true);
    const rows = new Map();
    let pages = 1;

    const queryString = (forApi) => {
      const out = new URLSearchParams();
      if (query.q) out.set('q', query.q);
      if (query.problems) out.set('problems', '1');
      if (query.sort !== 'problems') out.set('sort', query.sort);
      if (query.dir === 'desc') out.set('dir', 'desc');
      if (query.page > 1) out.set('page', String(query.page));
      if (forApi) out.set('size', '50');
      return out.toString();
    };
    const keepInUrl = () => {
      const text = queryString(false);
      history.replaceState(null, '', location.pathname + (text ? '?' + text : ''));
    };
    const markSort = () => {
      for (const th of wrap.querySelectorAll('th[data-sort]')) {
        const on = th.dataset.sort === query.sort;
        const value = on ? (query.dir === 'desc' ? 'descending' : 'ascending') : 'none';
        if (th.getAttribute('aria-sort') !== value) th.setAttribute('aria-sort', value);
      }
    };

    const makeRow = (name) => {
      const link = h('a', { class: 'name', href: routineUrl(name, queryString(false)), text: name });
      const cells = {
        name: h('td', { class: 'cell-name' }, [link, h('span', { class: 'description' })]),
        kind: h('td'),
        state: h('td', {}, h('span', { class: 'state' })),
        problems: h('td', { class: 'cell-problems' }),
        failures: h('td', { class: 'num' }),
        last: h('td', { class: 'cell-last' }, [h('span', { class: 'outcome' }), ' ', h('span'), h('span', { class: 'muted' })]),
        next: h('td'),
        replicas: h('td', { class: 'num' }),
      };
      const tr = h('tr', { 'data-name': name }, Object.values(cells));
      return { tr, cells, link, json: '' };
    };
    const updateRow = (entry, row) => {
      const json = JSON.stringify(row);
      if (entry.json === json) return;
      entry.json = json;
      const c = entry.cells;
      setClass(entry.tr, row.problems.length > 0 ? 'problem' : '');
      setText(c.name.lastChild, row.description || '');
      setText(c.kind, row.kind + ' · ' + row.scope);
      const state = c.state.firstChild;
      setText(state, row.state);
      setClass(state, 'state state-' + row.state);
      if (row.paused) state.title = 'paused' + (row.paused.by ? ' by ' + row.paused.by : '') + (row.paused.note ? ': ' + row.paused.note : '');
      else state.removeAttribute('title');
      c.problems.replaceChildren(...flags(row));
      setText(c.failures, row.failing > 0 ? row.failing + ' in a row · ' + row.failures : String(row.failures));
      const [outcome, , at, length] = c.last.childNodes;
      if (row.last) {
        setText(outcome, row.last.status);
        setClass(outcome, 'outcome outcome-' + row.last.status);
        setTime(at, row.last.at);
        setText(length, row.last.ms === undefined ? '' : ' · ' + took(row.last.ms));
      } else {
        setText(outcome, '—');
        setClass(outcome, 'outcome');
        setText(at, '');
        setText(length, '');
      }
      setTime(c.next, row.next, 'until');
      setText(c.replicas, row.lost > 0 ? row.replicas + ' (' + row.lost + ' lost)' : row.replicas);
    };

    const render = (view) => {
      pages = view.pages;
      query.page = view.page;
      const s = view.summary;
      const parts = [
        s.routines + ' routine' + (s.routines === 1 ? '' : 's'),
        s.failing + ' failing',
        s.late + ' late',
        s.paused + ' paused',
        view.replicas.length + ' replica' + (view.replicas.length === 1 ? '' : 's') + (s.lost ? ' (' + s.lost + ' lost)' : ''),
      ];
      if (s.shown < s.routines) parts.push(s.shown + ' shown');
      setText(summary, parts.join(' · '));
      setClass(summary, 'summary' + (s.failing || s.late ? ' has-problems' : ''));
      renderReplicas(view);
      renderMigrations(view);
      const back = queryString(false);
      const seen = new Set();
      let previous = null;
      for (const row of view.rows) {
        seen.add(row.name);
        let entry = rows.get(row.name);
        if (!entry) {
          entry = makeRow(row.name);
          rows.set(row.name, entry);
        }
        const href = routineUrl(row.name, back);
        if (entry.link.getAttribute('href') !== href) entry.link.setAttribute('href', href);
        updateRow(entry, row);
        const want = previous ? previous.nextSibling : tbody.firstChild;
        // A focused row stays where it is: moving it would take the focus away.
        if (entry.tr !== want && !busy(entry.tr)) tbody.insertBefore(entry.tr, want);
        previous = entry.tr.parentNode ? entry.tr : previous;
      }
      for (const [name, entry] of rows)
        if (!seen.has(name) && !busy(entry.tr)) {
          entry.tr.remove();
          rows.delete(name);
        }
      show(empty, view.rows.length === 0);
      setText(pageInfo, 'Page ' + view.page + ' of ' + view.pages);
      prev.disabled = view.page <= 1;
      next.disabled = view.page >= view.pages;
      markSort();
    };

    let asked = 0;
    const refresh = async () => {
      const mine = ++asked;
      const result = await getJson(api('view?' + queryString(true)));
      // A slower answer to an older query must not overwrite the newer one.
      if (mine !== asked || result.missing) return;
      if (result.changed) render(result.data);
    };
    const run = poller(refresh);
    currentRefresh = run;

    let typing;
    form.addEventListener('input', () => {
      query.q = q.value.trim();
      query.problems = problems.checked;
      query.page = 1;
      keepInUrl();
      clearTimeout(typing);
      typing = setTimeout(run, 250);
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearTimeout(typing);
      run();
    });
    for (const th of wrap.querySelectorAll('th[data-sort]')) {
      th.querySelector('button').addEventListener('click', () => {
        if (query.sort === th.dataset.sort) query.dir = query.dir === 'asc' ? 'desc' : 'asc';
        else {
          query.sort = th.dataset.sort;
          query.dir = 'asc';
        }
        query.page = 1;
        keepInUrl();
        markSort();
        run();
      });
    }
    prev.addEventListener('click', () => {
      query.page = Math.max(1, query.page - 1);
      keepInUrl();
      run();
    });
    next.addEventListener('click', () => {
      query.page = Math.min(pages, query.page + 1);
      keepInUrl();
      run();
    });
    markSort();
    run();
  };

  /* ================= one routine ================= */
  const detailView = () => {
    const name = body.dataset.name;
    const routineApi = api('routines/' + encodeURIComponent(name));
    const back = new URLSearchParams(location.search).get('back');
    if (back) document.getElementById('back').setAttribute('href', base + '/?' + new URLSearchParams(back).toString());
    const missing = new Set();
    const section = (id) => document.getElementById(id);

    /** Replaces a section's content when its data changed, unless the operator is in it; <details> stay open. */
    const redraw = (el, data, build) => {
      const json = JSON.stringify(data);
      if (drawn.get(el) === json || busy(el)) return;
      const open = new Set([...el.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key));
      drawn.set(el, json);
      el.querySelector('.body').replaceChildren(...[].concat(build(data)));
      for (const details of el.querySelectorAll('details[data-key]')) if (open.has(details.dataset.key)) details.open = true;
      show(el, true);
    };
    const optional = async (key, url) => {
      if (missing.has(key)) return undefined;
      const result = await getJson(url);
      if (result.missing) {
        missing.add(key);
        return undefined;
      }
      return result;
    };

    let routine, controls;
    const refresh = async () => {
      const result = await getJson(routineApi + '?limit=100');
      if (result.missing) {
        setText(section('overview').querySelector('.body'), 'No routine named ' + name + ' (removed, or on no live replica).');
        return;
      }
      routine = result.data;
      renderOverview(routine);
      if (control && routine.here) {
        if (!controls) controls = buildControls(routine);
        controls.update(routine);
      }
      redraw(section('next'), routine.nextRuns || [], nextRuns);
      show(section('next'), !!(routine.nextRuns && routine.nextRuns.length));
      redraw(section('on-replicas'), routine.replicas, onReplicas);
      const runs = await optional('runs', routineApi + '/runs?limit=200');
      const list = runs ? runs.data.runs : routine.history;
      redraw(section('chart'), list, chart);
      redraw(section('runs'), { list, source: runs ? runs.data.source : 'this replica' }, runTable);
      const stats = await optional('stats', routineApi + '/stats?by=hour');
      if (stats) redraw(section('stats'), stats.data, statsTable);
      const audit = await optional('audit', api('audit?limit=50&routine=' + encodeURIComponent(name)));
      if (audit) redraw(section('activity'), audit.data.entries, activity);
      if (routine.worker && !missing.has('jobs')) await jobs.refresh();
    };

    const renderOverview = (r) => {
      document.title = r.name + ' · ' + document.title.split(' · ').pop();
      const el = section('overview');
      redraw(el, { ...r, history: undefined, replicas: undefined, nextRuns: undefined }, () => {
        const last = r.lastRun;
        const dl = h('dl', {}, [
          h('dt', { text: 'State' }),
          h('dd', {}, [pill(r.state), ' ', ...flags({ problems: r.problems, failing: r.health.consecutiveFailures })]),
          h('dt', { text: 'Kind' }),
          h('dd', { text: r.kind + ', ' + r.scope }),
          h('dt', { text: 'Schedule' }),
          h('dd', { text: (r.schedule || 'background') + (r.overlap ? ' · overlap ' + r.overlap.policy : '') }),
          r.paused ? h('dt', { text: 'Paused' }) : null,
          r.paused ? h('dd', { class: 'paused-note' }, [time(r.paused.at), r.paused.by ? ' by ' + r.paused.by : '', r.paused.note ? ': ' + r.paused.note : '']) : null,
          h('dt', { text: 'Next run' }),
          h('dd', {}, r.nextRunAt === undefined ? '—' : time(r.nextRunAt, 'until')),
          h('dt', { text: 'Last run' }),
          h('dd', {}, last ? [h('span', { class: 'outcome outcome-' + last.status, text: last.status }), ' ', time(last.startedAt || last.dueAt), last.durationMs === undefined ? '' : ' in ' + took(last.durationMs)] : r.runningSince ? ['running since ', time(r.runningSince)] : '—'),
          h('dt', { text: 'Runs' }),
          h('dd', { text: r.counters.runs + ' runs · ' + r.counters.failures + ' failures · ' + r.counters.skipped + ' skipped' }),
          r.stats && r.stats.durationMs ? h('dt', { text: 'Duration' }) : null,
          r.stats && r.stats.durationMs ? h('dd', { text: 'min ' + took(r.stats.durationMs.min) + ' · avg ' + took(r.stats.durationMs.avg) + ' · p95 ' + took(r.stats.durationMs.p95) + ' · max ' + took(r.stats.durationMs.max) }) : null,
          last && last.error && last.error.stack ? h('dt', { text: 'Stack' }) : null,
          last && last.error && last.error.stack
            ? h('dd', {}, h('details', { 'data-key': 'last-stack' }, [h('summary', { text: (last.error.name || 'Error') + ': ' + String(last.error.message).slice(0, 120) }), h('pre', { text: last.error.stack.slice(0, 8000) })]))
            : null,
          r.runner ? h('dt', { text: 'Runner' }) : null,
          r.runner ? h('dd', { text: r.runner.host + ' pid ' + r.runner.pid + (r.runner.epoch !== undefined ? ' holds the lease (epoch ' + r.runner.epoch + ')' : '') }) : null,
        ]);
        return [r.description ? h('p', { class: 'description', text: r.description }) : '', dl];
      });
    };

    const nextRuns = (times) =>
      h('ol', { class: 'next-runs' }, times.map((at) => h('li', {}, [h('span', { text: local(at) }), ' ', h('span', { class: 'muted' }, ['(', time(at, 'until'), ')'])])));

    const onReplicas = (replicas) =>
      h('div', { class: 'scroll' }, h('table', { class: 'on-replicas' }, [
        h('thead', {}, h('tr', {}, ['Replica', 'State', 'Runs', 'Failures', 'Last run', 'Role', 'Epoch'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, replicas.map((replica) =>
          h('tr', { class: replica.lost ? 'lost' : '' }, [
            h('td', { text: replica.host + ' (' + replica.pid + ')' + (replica.lost ? ' — lost' : '') }),
            h('td', {}, pill(replica.state)),
            h('td', { class: 'num', text: replica.counters.runs }),
            h('td', { class: 'num', text: replica.counters.failures }),
            h('td', {}, replica.lastRun ? time(replica.lastRun.startedAt || replica.lastRun.dueAt) : '—'),
            h('td', { text: replica.cluster ? replica.cluster.role : '' }),
            h('td', { text: replica.cluster && replica.cluster.epoch !== undefined ? replica.cluster.epoch : '' }),
          ]))),
      ]));

    /** Start time across, duration up; colour by outcome, a cross on failures. */
    const chart = (runs) => {
      const points = runs.filter((run) => run.startedAt || run.dueAt);
      if (points.length === 0) return h('p', { class: 'muted', text: 'No runs kept yet.' });
      const W = 720, H = 200, L = 56, R = 12, T = 10, B = 28;
      const xs = points.map((run) => run.startedAt || run.dueAt);
      const x0 = Math.min(...xs), x1 = Math.max(...xs), span = Math.max(1, x1 - x0);
      const longest = Math.max(1, ...points.map((run) => run.durationMs || 0));
      const x = (t) => L + ((t - x0) / span) * (W - L - R);
      const y = (d) => H - B - (d / longest) * (H - T - B);
      const counts = {};
      const marks = points.map((run) => {
        counts[run.status] = (counts[run.status] || 0) + 1;
        const cx = x(run.startedAt || run.dueAt).toFixed(1), cy = y(run.durationMs || 0).toFixed(1);
        const label = s('title', {}, [document.createTextNode(local(run.startedAt || run.dueAt) + ': ' + run.status + (run.durationMs !== undefined ? ' in ' + took(run.durationMs) : '') + (run.error ? ' — ' + run.error.message.slice(0, 200) : ''))]);
        if (run.status === 'failed')
          return s('path', { class: 'mark-failed', d: 'M' + (cx - 4) + ' ' + (cy - 4) + 'l8 8m0 -8l-8 8' }, [label]);
        return s('circle', { class: 'mark mark-' + run.status, cx, cy, r: run.status === 'skipped' ? 2 : 3 }, [label]);
      });
      const axis = [
        s('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }),
        s('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }),
        s('text', { class: 'tick', x: L - 6, y: T + 8, 'text-anchor': 'end' }, [document.createTextNode(took(longest))]),
        s('text', { class: 'tick', x: L - 6, y: H - B, 'text-anchor': 'end' }, [document.createTextNode('0')]),
        s('text', { class: 'tick', x: L, y: H - 8 }, [document.createTextNode(new Date(x0).toLocaleTimeString())]),
        s('text', { class: 'tick', x: W - R, y: H - 8, 'text-anchor': 'end' }, [document.createTextNode(new Date(x1).toLocaleTimeString())]),
      ];
      const described = Object.keys(counts).map((k) => counts[k] + ' ' + k).join(', ');
      const label = points.length + ' runs from ' + local(x0) + ' to ' + local(x1) + ': ' + described + '; longest ' + took(longest);
      return [
        s('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': label }, [...axis, ...marks]),
        h('p', { class: 'legend muted' }, [h('span', { class: 'key key-succeeded' }), ' succeeded ', h('span', { class: 'key key-failed' }), ' failed ', h('span', { class: 'key key-cancelled' }), ' cancelled ', h('span', { class: 'key key-skipped' }), ' skipped · x: start time, y: duration']),
      ];
    };

    const errorCell = (run) => {
      if (!run.error) return h('td');
      const text = (run.error.name && run.error.name !== 'Error' ? run.error.name + ': ' : '') + run.error.message;
      const long = text.length > 120 || run.error.stack;
      if (!long) return h('td', { class: 'error', text });
      return h('td', { class: 'error' }, h('details', { 'data-key': 'run-' + (run.id !== undefined ? run.id : run.dueAt) }, [
        h('summary', { text: text.slice(0, 120) + (text.length > 120 ? '…' : '') }),
        h('pre', { text: text.slice(0, 4000) + (run.error.stack ? '\n\n' + run.error.stack.slice(0, 8000) : '') }),
      ]));
    };
    const runTable = ({ list, source }) => [
      h('p', { class: 'muted', text: list.length + ' runs, newest first (' + source + ')' }),
      h('div', { class: 'scroll' }, h('table', { class: 'runs' }, [
        h('thead', {}, h('tr', {}, ['Outcome', 'Due', 'Started', 'Late by', 'Took', 'Replica', 'Error'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, list.slice(0, 200).map((run) =>
          h('tr', {}, [
            h('td', {}, [h('span', { class: 'outcome outcome-' + run.status, text: run.status }), run.reason ? ' (' + run.reason + ')' : '']),
            h('td', { text: local(run.dueAt) }),
            h('td', { text: run.startedAt ? local(run.startedAt) : '—' }),
            h('td', { class: 'num', text: run.startedAt ? took(Math.max(0, run.startedAt - run.dueAt)) : '—' }),
            h('td', { class: 'num', text: took(run.durationMs) || '—' }),
            h('td', { text: run.replica || (run.slot !== undefined ? 'slot ' + new Date(run.slot).toISOString() : '') }),
            errorCell(run),
          ]))),
      ])),
    ];

    const statsTable = (stats) =>
      h('div', { class: 'scroll' }, h('table', {}, [
        h('thead', {}, h('tr', {}, ['From', 'Runs', 'Succeeded', 'Failed', 'Cancelled', 'Skipped', 'Avg', 'Max'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, stats.buckets.slice(-48).reverse().map((b) =>
          h('tr', {}, [h('td', { text: local(b.start) }), ...[b.runs, b.succeeded, b.failed, b.cancelled, b.skipped].map((n) => h('td', { class: 'num', text: n })), h('td', { class: 'num', text: b.durationMs ? took(b.durationMs.avg) : '—' }), h('td', { class: 'num', text: b.durationMs ? took(b.durationMs.max) : '—' })]))),
      ]));

    const activity = (entries) =>
      entries.length === 0
        ? h('p', { class: 'muted', text: 'Nothing done to this routine yet.' })
        : h('ul', { class: 'activity' }, entries.map((e) =>
            h('li', {}, [time(e.at), ' ', h('strong', { text: e.action }), ' by ' + (e.operator || 'someone unnamed') + ' on ' + (e.scope === 'cluster' ? 'every replica' : e.replica) + (e.from !== undefined || e.to !== undefined ? ': ' + (e.from === undefined ? '—' : e.from) + ' → ' + (e.to === undefined ? '—' : e.to) : '') + (e.note ? ' (' + e.note + ')' : '') + ' — ', h('span', { class: e.outcome === 'ok' || e.outcome === 'succeeded' ? 'tone-ok' : 'tone-bad', text: e.outcome })])));

    /* The controls are built once: a refresh changes what shows, never what the operator typed. */
    const buildControls = (first) => {
      const el = section('controls');
      const holder = el.querySelector('.body');
      const routinePath = (what) => routineApi + '/' + what;
      const scope = () =>
        routine.scope === 'cluster' && body.dataset.shared === '1' ? 'every replica' : 'this replica (' + body.dataset.replica + ')';
      const parts = [];
      const update = [];
      if (first.kind === 'periodic') {
        const overlap = h('select', { id: 'overlap', name: 'overlap' }, ['', 'skip', 'allow', 'buffer-one', 'buffer-all', 'cancel-other'].map((v) => h('option', { value: v, text: v || 'its own policy' })));
        const run = h('button', { type: 'button', class: 'primary', text: 'Run now' });
        run.addEventListener('click', () => {
          const payload = overlap.value ? { overlap: overlap.value } : {};
          act(run, 'Run now', routinePath('trigger'), payload, (answer) => followRun(run, answer));
        });
        parts.push(h('div', { class: 'control-row' }, [run, h('label', { for: 'overlap', text: 'Overlap' }), overlap]));

        const note = h('input', { id: 'pause-note', name: 'note', maxlength: 1000, placeholder: 'why (optional)' });
        const pause = h('button', { type: 'button', text: 'Pause' });
        const resume = h('button', { type: 'button', text: 'Resume' });
        pause.addEventListener('click', async () => {
          const ok = await confirmAction('Pause ' + name + '?', [['State', routine.state + ' → paused'], ['Where', scope()], ['Note', note.value.trim() || '(none)']], 'Pause');
          if (ok) act(pause, 'Pause', routinePath('pause'), note.value.trim() ? { note: note.value.trim() } : {}, () => { note.value = ''; });
        });
        resume.addEventListener('click', () => act(resume, 'Resume', routinePath('resume')));
        const pauseRow = h('div', { class: 'control-row' }, [h('label', { for: 'pause-note', text: 'Pause note' }), note, pause]);
        parts.push(pauseRow, h('div', { class: 'control-row' }, resume));
        update.push((r) => {
          const ticking = r.state === 'running' || r.state === 'paused' || r.state === 'delayed' || r.state === 'idle';
          show(pauseRow, ticking && r.state !== 'paused');
          show(resume.parentNode, r.state === 'paused');
        });

        const cron = /^cron /.test(first.schedule || '');
        const field = h('input', { id: 'interval', name: cron ? 'cron' : 'interval', required: true });
        const setIt = h('button', { type: 'button', text: cron ? 'Set cron' : 'Set interval' });
        const current = (r) => {
          if (r.controls && r.controls.interval) return String(r.controls.interval.interval.cron || r.controls.interval.interval);
          const m = /^cron (.*?)( \((.*)\))?$/.exec(r.schedule || '');
          if (m) return m[1];
          return r.intervalMs ? duration(r.intervalMs) : '';
        };
        setIt.addEventListener('click', async () => {
          const value = field.value.trim();
          if (!value) return say('Give a new ' + field.name + ' first.', 'bad');
          const ok = await confirmAction('Re-time ' + name + '?', [['From', routine.schedule || '—'], ['To', (cron ? 'cron ' : 'every ') + value], ['Where', scope()]], 'Re-time');
          if (!ok) return;
          const tz = /\((.*)\)$/.exec(routine.schedule || '');
          const payload = cron ? (tz ? { cron: value, timeZone: tz[1] } : { cron: value }) : { interval: value };
          act(setIt, 'Re-time', routinePath('interval'), payload, () => { field.dataset.server = ''; });
        });
        parts.push(h('div', { class: 'control-row' }, [h('label', { for: 'interval', text: cron ? 'Cron expression' : 'Interval' }), field, setIt]));
        update.push((r) => {
          const server = current(r);
          // The server's value only replaces what the field shows if the operator has not typed there.
          if (document.activeElement !== field && (field.value === (field.dataset.server || '') || field.dataset.server === undefined)) field.value = server;
          field.dataset.server = server;
        });

        const from = h('input', { id: 'backfill-from', type: 'datetime-local' });
        const to = h('input', { id: 'backfill-to', type: 'datetime-local' });
        const backfill = h('button', { type: 'button', text: 'Backfill' });
        backfill.addEventListener('click', async () => {
          if (!from.value || !to.value) return say('Give the range to backfill first.', 'bad');
          const range = { from: new Date(from.value).toISOString(), to: new Date(to.value).toISOString() };
          const ok = await confirmAction('Backfill ' + name + '?', [['From', local(Date.parse(range.from))], ['To', local(Date.parse(range.to))], ['Where', 'this replica runs them']], 'Backfill');
          if (ok) act(backfill, 'Backfill', routinePath('backfill'), range);
        });
        parts.push(h('div', { class: 'control-row' }, [h('label', { for: 'backfill-from', text: 'Backfill from' }), from, h('label', { for: 'backfill-to', text: 'to' }), to, backfill]));
      } else {
        for (const [what, label] of [['start', 'Start'], ['stop', 'Stop'], ['restart', 'Restart']]) {
          const button = h('button', { type: 'button', text: label });
          button.addEventListener('click', () => act(button, label, routinePath(what)));
          parts.push(button);
        }
      }
      const cancel = h('button', { type: 'button', text: 'Cancel the run in flight' });
      cancel.addEventListener('click', () => act(cancel, 'Cancel the run', routinePath('cancel')));
      parts.push(h('div', { class: 'control-row' }, cancel));
      update.push((r) => { cancel.disabled = !(r.inFlight > 0); });
      const where = h('p', { class: 'muted' });
      parts.push(where);
      update.push(() => setText(where, 'Pause and re-time apply on ' + scope() + '.'));
      holder.replaceChildren(...parts);
      show(el, true);
      return { update: (r) => update.forEach((fn) => fn(r)) };
    };

    /** A trigger answered 202 { runId }: the outcome comes from the run's record. Before that, 200 { outcome }. */
    const followRun = async (button, answer) => {
      const data = answer.data || {};
      if (data.outcome) return say('Run now: ' + outcomeText(data.outcome) + where(data) + '.', data.outcome.status === 'failed' ? 'bad' : 'ok');
      if (data.runId === undefined) return;
      say('Run ' + data.runId + ' started; waiting for its outcome…', 'info');
      button.disabled = true;
      try {
        for (let i = 0; i < 240; i++) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          const result = await getJson(routineApi + '/runs/' + encodeURIComponent(data.runId));
          if (result.missing) return say('Run ' + data.runId + ' started.', 'ok');
          const run = result.data.run || result.data;
          if (run.status && run.status !== 'running')
            return say('Run ' + data.runId + ': ' + outcomeText(run) + '.', run.status === 'failed' ? 'bad' : 'ok');
        }
      } finally {
        button.disabled = false;
      }
    };
    const outcomeText = (o) =>
      o.status + (o.durationMs !== undefined ? ' in ' + took(o.durationMs) : '') + (o.reason ? ' (' + o.reason + ')' : '') + (o.error && o.error.message ? ': ' + o.error.message : '');

    /* Worker jobs: state tabs, search, per-row and bulk actions. */
    const jobs = (() => {
      const el = section('jobs');
      let state = '', q = '', before = '', built = false, selected = new Set(), tabs, search, table, more, pager;
      const url = () => api('workers/' + encodeURIComponent(name) + '/jobs?limit=50' + (state ? '&state=' + encodeURIComponent(state) : '') + (q ? '&q=' + encodeURIComponent(q) : '') + (before ? '&before=' + encodeURIComponent(before) : ''));
      const bulk = (what, label) => {
        const button = h('button', { type: 'button', text: label });
        button.addEventListener('click', async () => {
          const payload = selected.size > 0 ? { ids: [...selected] } : { state: state || undefined, q: q || undefined };
          const scopeText = selected.size > 0 ? selected.size + ' selected job' + (selected.size === 1 ? '' : 's') : 'every ' + (state || '') + ' job' + (q ? ' matching "' + q + '"' : '');
          const ok = await confirmAction(label + '?', [['Jobs', scopeText], ['Worker', name]], label);
          if (ok) act(button, label, api('workers/' + encodeURIComponent(name) + '/jobs/' + what), payload, (answer) => {
            say(label + ': ' + (answer.data.count !== undefined ? answer.data.count : '?') + ' job(s).', 'ok');
            selected.clear();
            return refresh();
          });
        });
        return button;
      };
      const build = () => {
        built = true;
        tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': 'Job state' });
        search = h('input', { id: 'job-search', type: 'search', placeholder: 'id, key or error' });
        let typing;
        search.addEventListener('input', () => {
          clearTimeout(typing);
          typing = setTimeout(() => { q = search.value.trim(); before = ''; refresh(); }, 300);
        });
        table = h('div', { class: 'scroll' });
        more = h('button', { type: 'button', text: 'Older jobs' });
        more.addEventListener('click', () => { before = more.dataset.next; refresh(); });
        const newest = h('button', { type: 'button', text: 'Newest' });
        newest.addEventListener('click', () => { before = ''; refresh(); });
        pager = h('div', { class: 'control-row' }, [newest, more]);
        el.querySelector('.body').replaceChildren(
          tabs,
          h('div', { class: 'control-row' }, [h('label', { for: 'job-search', text: 'Search jobs' }), search]),
          control ? h('div', { class: 'control-row' }, [bulk('retry', 'Retry'), bulk('discard', 'Discard'), bulk('cancel', 'Cancel')]) : '',
          h('p', { class: 'muted', text: 'Bulk buttons act on the selected jobs, or on every job of the tab and search when none is selected.' }),
          table,
          pager,
        );
        show(el, true);
      };
      const rowAction = (job, what, label) => {
        const button = h('button', { type: 'button', text: label, 'aria-label': label + ' job ' + job.id });
        button.addEventListener('click', async () => {
          const ok = await confirmAction(label + ' job ' + job.id + '?', [['Job', String(job.id)], ['State', job.state], ['Worker', name]], label);
          if (ok) act(button, label + ' job ' + job.id, api('workers/' + encodeURIComponent(name) + '/jobs/' + what), { ids: [job.id] }, () => refresh());
        });
        return button;
      };
      const refresh = async () => {
        const result = await optional('jobs', url());
        if (!result) return show(el, false);
        if (!built) build();
        const states = ['', ...Object.keys((routine.worker && routine.worker.rows) || {})];
        const tabJson = JSON.stringify([states, state, routine.worker && routine.worker.rows]);
        if (drawn.get(tabs) !== tabJson && !busy(tabs)) {
          drawn.set(tabs, tabJson);
          tabs.replaceChildren(...states.map((value) => {
            const count = value && routine.worker.rows ? ' (' + routine.worker.rows[value] + ')' : '';
            const tab = h('button', { type: 'button', 'aria-pressed': value === state ? 'true' : 'false', text: (value || 'all') + count });
            tab.addEventListener('click', () => { state = value; before = ''; selected.clear(); drawn.delete(tabs); refresh(); });
            return tab;
          }));
        }
        const data = result.data;
        more.dataset.next = data.next || '';
        show(more, !!data.next);
        const json = JSON.stringify(data.jobs);
        if (drawn.get(table) === json || busy(table)) return;
        drawn.set(table, json);
        table.replaceChildren(h('table', { class: 'jobs' }, [
          h('thead', {}, h('tr', {}, ['', 'Job', 'State', 'Attempts', 'Queued', 'Started', 'Finished', 'Run after', 'Key', 'Error', ''].map((t, i) => h('th', { scope: 'col', text: t, 'aria-label': i === 0 ? 'Select' : i === 10 ? 'Actions' : undefined })))),
          h('tbody', {}, data.jobs.map((job) => {
            const box = h('input', { type: 'checkbox', 'aria-label': 'Select job ' + job.id, checked: selected.has(job.id) });
            box.addEventListener('change', () => (box.checked ? selected.add(job.id) : selected.delete(job.id)));
            return h('tr', { 'data-job': job.id }, [
              h('td', {}, box),
              h('td', { text: job.id }),
              h('td', {}, h('span', { class: 'state job-' + job.state, text: job.state })),
              h('td', { class: 'num', text: job.attempts + (job.maxAttempts ? '/' + job.maxAttempts : '') }),
              h('td', {}, job.queuedAt ? time(job.queuedAt) : '—'),
              h('td', {}, job.startedAt ? time(job.startedAt) : '—'),
              h('td', {}, job.finishedAt ? time(job.finishedAt) : '—'),
              h('td', {}, job.runAfter ? time(job.runAfter, 'until') : '—'),
              h('td', { text: job.key || '' }),
              h('td', { class: 'error' }, job.error ? (String(job.error).length > 80 ? h('details', { 'data-key': 'job-' + job.id }, [h('summary', { text: String(job.error).slice(0, 80) + '…' }), h('pre', { text: String(job.error).slice(0, 4000) })]) : String(job.error)) : ''),
              h('td', { class: 'row-actions' }, control ? [rowAction(job, 'retry', 'Retry'), rowAction(job, 'discard', 'Discard'), !job.cancel && (job.state === 'queued' || job.state === 'processing' || job.state === 'errored') ? rowAction(job, 'cancel', 'Cancel') : ''] : ''),
            ]);
          })),
        ]));
        if (data.jobs.length === 0) table.append(h('p', { class: 'muted', text: 'No job here.' }));
      };
      return { refresh };
    })();

    const run = poller(refresh);
    currentRefresh = run;
    run();
  };

  if (body.dataset.view === 'detail') detailView();
  else listView();
})();
`;
