// Dure dashboard: one page, plain JavaScript, no build step. Every figure comes from the coordinator's HTTPS API,
// called with the bearer token the user signed in with (kept in sessionStorage, sent as the Authorization header).
// Study progress arrives as server-sent events read from a fetch stream (an EventSource cannot send the header).
'use strict';
(function () {
  const TOKEN_KEY = 'dure.token';
  const COLOURS = ['#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf', '#bcbd22', '#7f7f7f'];
  const POOLED = '#c2185b';
  let me = null;          // {name, role}
  let leave = () => {};   // stops what the current page runs (its event stream, its charts)

  // ---------------------------------------------------------------------------------------------- helpers

  /** An element with attributes and children; text is always set as text, never parsed as HTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function table(id, headers, rows) {
    return h('table', { id },
      h('thead', {}, h('tr', {}, headers.map(x => h('th', { text: x })))),
      h('tbody', {}, rows));
  }

  function num(x) {
    const n = typeof x === 'number' ? x : Number(x);
    return Number.isFinite(n) ? n : null;
  }

  function fmt(x, digits) {
    const n = num(x);
    return n === null ? '–' : n.toFixed(digits);
  }

  function when(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  function badge(text, cls) {
    return h('span', { class: 'badge ' + (cls || text) }, text);
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /** fetch with the token; a non-2xx answer throws ApiError with the API's own message. */
  async function api(path, options) {
    const opts = Object.assign({ cache: 'no-store' }, options || {});
    opts.headers = Object.assign({}, opts.headers || {}, { Authorization: 'Bearer ' + token() });
    const res = await fetch(path, opts);
    if (res.ok) return res;
    let message = res.status + ' ' + res.statusText;
    try {
      const body = await res.json();
      if (body && body.error) message = body.error;
    } catch (e) { /* not JSON */ }
    if (res.status === 401) signOut('Your credential was not accepted: ' + message);
    throw new ApiError(res.status, message);
  }

  async function getJson(path) {
    return (await api(path)).json();
  }

  function page(...children) {
    const p = document.getElementById('page');
    p.replaceChildren(...children);
    return p;
  }

  function failure(e) {
    return h('p', { class: 'error', role: 'alert' }, e instanceof ApiError ? e.message : 'Failed: ' + e);
  }

  // ---------------------------------------------------------------------------------------------- sign-in

  function showSignIn(message) {
    document.getElementById('signin').hidden = false;
    document.getElementById('nav').hidden = true;
    document.getElementById('account').hidden = true;
    document.getElementById('signin-error').textContent = message || '';
    page();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    me = null;
    leave();
    leave = () => {};
    if (location.hash !== '' && location.hash !== '#/') history.replaceState(null, '', '#/');
    showSignIn(message);
  }

  async function signIn(event) {
    event.preventDefault();
    const input = document.getElementById('token');
    const value = input.value.trim();
    if (!/^dure_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/.test(value)) {
      document.getElementById('signin-error').textContent =
          'That is not a Dure credential: it looks like dure_<12 hex digits>_<43 characters>, as your administrator issued it.';
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, value);
    input.value = '';
    if (await loadMe()) {
      if (location.hash === '' || location.hash === '#/') location.hash = home();
      else route();
    }
  }

  async function loadMe() {
    try {
      me = await getJson('/api/whoami');
      me.role = String(me.role).toLowerCase();
    } catch (e) {
      sessionStorage.removeItem(TOKEN_KEY);
      showSignIn(e instanceof ApiError ? 'Sign-in failed: ' + e.message : 'Cannot reach the coordinator: ' + e);
      return false;
    }
    document.getElementById('signin').hidden = true;
    document.getElementById('account').hidden = false;
    document.getElementById('whoami').textContent = me.name + ' (' + me.role + ')';
    const nav = document.getElementById('nav');
    const links = [];
    if (me.role === 'researcher' || me.role === 'auditor') links.push(h('a', { href: '#/studies', id: 'nav-studies' }, 'Studies'));
    if (me.role === 'admin' || me.role === 'auditor') {
      links.push(h('a', { href: '#/sites', id: 'nav-sites' }, 'Sites'));
      links.push(h('a', { href: '#/ledger', id: 'nav-ledger' }, 'Ledger'));
    }
    nav.replaceChildren(...links);
    nav.hidden = false;
    return true;
  }

  function home() {
    return me && me.role === 'admin' ? '#/sites' : '#/studies';
  }

  // ---------------------------------------------------------------------------------------------- routing

  function route() {
    leave();
    leave = () => {};
    if (!token()) return showSignIn();
    if (!me) {
      loadMe().then(ok => { if (ok) route(); });
      return;
    }
    const parts = (location.hash.replace(/^#\/?/, '') || home().slice(2)).split('/');
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.getAttribute('href') === '#/' + parts[0]);
    if (parts[0] === 'studies' && parts.length === 1) return studiesPage();
    if (parts[0] === 'studies' && parts.length === 2) return studyPage(parts[1]);
    if (parts[0] === 'studies' && parts[2] === 'report') return reportPage(parts[1]);
    if (parts[0] === 'sites') return sitesPage();
    if (parts[0] === 'ledger') return ledgerPage();
    page(h('p', { class: 'error' }, 'No such page: ' + location.hash));
  }

  // ---------------------------------------------------------------------------------------------- studies

  async function studiesPage() {
    page(h('h2', {}, 'Studies'), h('p', { class: 'muted' }, 'Loading…'));
    if (me.role === 'admin') {
      page(h('h2', {}, 'Studies'), h('p', {}, 'Administrators do not read studies; see Sites and Ledger.'));
      return;
    }
    try {
      const studies = await getJson('/api/studies');
      studies.sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
      const rows = studies.map(s => h('tr', { 'data-study': s.id },
        h('td', {}, h('a', { href: '#/studies/' + s.id }, s.name)),
        h('td', {}, badge(s.status)),
        h('td', { class: 'num' }, s.completedRounds + ' / ' + s.rounds),
        h('td', {}, s.owner),
        h('td', {}, when(s.createdAt))));
      page(h('h2', {}, me.role === 'researcher' ? 'Your studies' : 'All studies'),
        studies.length === 0 ? h('p', { id: 'no-studies' }, 'No studies yet. Submit one with POST /api/studies.')
          : table('studies', ['Study', 'Status', 'Rounds', 'Owner', 'Submitted'], rows));
    } catch (e) {
      page(h('h2', {}, 'Studies'), failure(e));
    }
  }

  // ---------------------------------------------------------------------------------------------- one study

  function studyPage(id) {
    const st = { view: null, rounds: new Map(), charts: {}, reportChecked: null, drawPending: false };
    const counter = h('span', { id: 'round-counter', class: 'counter', 'data-completed': '0', 'data-total': '0' }, '–');
    const live = h('span', { id: 'live', class: 'live' }, 'connecting…');
    const header = h('div', { id: 'study-header' });
    const report = h('p', { id: 'report-state', class: 'muted' }, 'The validation report is made when the study ends.');
    const sites = h('div', { id: 'study-sites' });
    const privacy = h('div', { id: 'study-privacy' });
    const rounds = h('div', { id: 'study-rounds' });
    const withheld = h('p', { id: 'metrics-withheld', class: 'muted' });
    const charts = {
      auc: h('div', { id: 'chart-auc', class: 'chart', 'data-points': '0' }),
      loss: h('div', { id: 'chart-loss', class: 'chart', 'data-points': '0' }),
      epsilon: h('div', { id: 'chart-epsilon', class: 'chart', 'data-points': '0' }),
    };
    page(h('p', {}, h('a', { href: '#/studies' }, '← Studies')), header,
      h('div', { class: 'card summary' }, h('div', {}, h('div', { class: 'muted' }, 'Rounds completed'), counter), live),
      h('div', { class: 'grid' },
        h('div', { class: 'card' }, h('h3', {}, 'Validation AUC per round'), charts.auc, withheld),
        h('div', { class: 'card' }, h('h3', {}, 'Validation loss per round'), charts.loss)),
      h('div', { class: 'card' }, h('h3', {}, 'Validation report'), report),
      h('div', { class: 'card' }, h('h3', {}, 'Sites'), sites),
      h('div', { class: 'card' }, h('h3', {}, 'Privacy budget ε spent per site'), privacy, charts.epsilon),
      h('div', { class: 'card' }, h('h3', {}, 'Rounds'), rounds));

    function onStudy(v) {
      st.view = v;
      counter.textContent = v.completedRounds + ' / ' + v.rounds;
      counter.dataset.completed = v.completedRounds;
      counter.dataset.total = v.rounds;
      header.replaceChildren(h('h2', {}, v.name, ' ', h('span', { id: 'study-status' }, badge(v.status))),
        h('p', { class: 'muted' }, 'Study ', h('code', {}, v.id), ' by ', v.owner, ', submitted ', when(v.createdAt),
          v.startedAt ? ', started ' + when(v.startedAt) : '', v.endedAt ? ', ended ' + when(v.endedAt) : ''),
        v.statusReason ? h('p', { id: 'status-reason' }, v.statusReason) : null);
      renderSites(v);
      if (['COMPLETED', 'STOPPED', 'FAILED'].includes(v.status) && st.reportChecked !== v.status) {
        st.reportChecked = v.status;
        checkReport();
      }
      schedule();
    }

    function renderSites(v) {
      const entries = Object.entries(v.sites || {});
      if (entries.length === 0) {
        sites.replaceChildren(h('p', { class: 'muted' }, 'No site has answered yet.'));
        return;
      }
      const participating = entries.filter(([, p]) => p.state === 'ACCEPTED').length;
      sites.replaceChildren(
        h('p', {}, participating + ' of ' + entries.length + ' sites participating.'),
        table('sites-table', ['Site', 'State', 'Reason', 'Rows'], entries.map(([site, p]) => h('tr', { 'data-site': site },
          h('td', {}, site), h('td', {}, badge(p.state)), h('td', {}, p.reason || ''),
          h('td', { class: 'num' }, p.rows ? p.rows : '–')))));
    }

    function onRound(r) {
      st.rounds.set(r.round, r);
      schedule();
    }

    function schedule() {
      if (st.drawPending) return;
      st.drawPending = true;
      requestAnimationFrame(() => {
        st.drawPending = false;
        draw();
      });
    }

    function draw() {
      const list = [...st.rounds.values()].sort((a, b) => a.round - b.round);
      const siteIds = [...new Set(list.flatMap(r => Object.keys(r.bySite || {})))].sort();
      const epsSites = [...new Set(list.flatMap(r => Object.keys(r.epsilonSpent || {})))].sort();
      const measured = list.filter(r => r.pooled);
      // A site that sent an evaluation carrying nothing (count 0) kept its figures in the hospital: its validation
      // split has too few patients of a class for its minimum cell size, or its policy keeps per-site metrics.
      const latest = measured.length ? measured[measured.length - 1] : null;
      const quiet = latest ? Object.keys(latest.bySite || {}).filter(s => latest.bySite[s].count === 0).sort() : [];
      withheld.dataset.sites = quiet.join(',');
      withheld.textContent = quiet.length === 0 ? '' : 'No per-round figures from ' + quiet.join(', ')
        + ': too few patients of a class in the site\'s validation split for its minimum cell size, or its policy keeps'
        + ' per-site metrics in the hospital. The pooled line leaves them out.';
      const xs = measured.map(r => r.round);
      chart('auc', xs, 'AUC', [{ label: 'pooled', values: measured.map(r => num(r.pooled.auc)), colour: POOLED, width: 3 }]
        .concat(siteIds.map((s, i) => ({ label: s, values: measured.map(r => r.bySite && r.bySite[s] ? num(r.bySite[s].auc) : null), colour: COLOURS[i % COLOURS.length] }))));
      chart('loss', xs, 'log loss', [{ label: 'pooled', values: measured.map(r => num(r.pooled.logLoss)), colour: POOLED, width: 3 }]
        .concat(siteIds.map((s, i) => ({ label: s, values: measured.map(r => r.bySite && r.bySite[s] ? num(r.bySite[s].logLoss) : null), colour: COLOURS[i % COLOURS.length] }))));
      const dpRounds = list.filter(r => r.epsilonSpent && Object.keys(r.epsilonSpent).length > 0);
      const dp = st.view && st.view.spec && st.view.spec.privacy && st.view.spec.privacy.differentialPrivacy
        && st.view.spec.privacy.differentialPrivacy.enabled;
      if (dpRounds.length > 0) {
        const latest = {};
        for (const r of dpRounds) Object.assign(latest, r.epsilonSpent);
        privacy.replaceChildren(table('epsilon-table', ['Site', 'ε spent so far'],
          Object.keys(latest).sort().map(s => h('tr', { 'data-site': s }, h('td', {}, s), h('td', { class: 'num' }, fmt(latest[s], 3))))));
        chart('epsilon', dpRounds.map(r => r.round), 'ε', epsSites.map((s, i) => ({
          label: s, values: dpRounds.map(r => num((r.epsilonSpent || {})[s])), colour: COLOURS[siteIds.indexOf(s) >= 0 ? siteIds.indexOf(s) % COLOURS.length : i % COLOURS.length] })));
      } else {
        privacy.replaceChildren(h('p', { class: 'muted' }, dp ? 'No round has reported ε yet.'
          : 'Differential privacy is off for this study: the sites spend no ε budget on it.'));
      }
      rounds.replaceChildren(list.length === 0 ? h('p', { class: 'muted' }, 'No round yet.') : table('rounds-table',
        ['Round', 'Status', 'Sites', 'Dropped (why)', 'AUC', 'Loss', 'Aggregation', 'Seconds'],
        list.slice().reverse().map(r => h('tr', { 'data-round': r.round },
          h('td', { class: 'num' }, r.round), h('td', {}, badge(r.status)),
          h('td', {}, (r.participants || []).join(', ')),
          h('td', {}, Object.entries(r.dropped || {}).map(([s, why]) => h('div', {}, h('b', {}, s), ': ', why)),
            r.abortReason ? h('div', { class: 'error' }, r.abortReason) : null,
            (r.abortedAttempts || []).map(a => h('div', { class: 'muted' }, 'attempt ' + a.attempt + ' aborted: ' + a.reason))),
          h('td', { class: 'num' }, r.pooled ? fmt(r.pooled.auc, 4) : '–'),
          h('td', { class: 'num' }, r.pooled ? fmt(r.pooled.logLoss, 4) : '–'),
          h('td', {}, r.round === 0 ? 'initial model' : r.status === 'RUNNING' ? (r.secureAggregation ? 'secure, running' : 'running')
            : r.secureAggregation
            ? 'secure: ' + r.secureAggregation.survivors.length + ' survivors (threshold ' + r.secureAggregation.threshold + ')'
            : 'in the clear'),
          h('td', { class: 'num' }, fmt(r.seconds, 1))))));
    }

    /** One uPlot chart, made again when its series change, otherwise given new data. */
    function chart(name, xs, yLabel, series) {
      const el = charts[name];
      el.dataset.points = String(xs.length === 0 ? 0 : series.reduce((n, s) => n + s.values.filter(v => v !== null).length, 0));
      el.dataset.series = String(series.length);
      if (typeof uPlot === 'undefined') {
        el.replaceChildren(h('p', { class: 'error' }, 'The charting library did not load.'));
        return;
      }
      if (xs.length === 0) {
        if (st.charts[name]) { st.charts[name].destroy(); delete st.charts[name]; }
        el.replaceChildren(h('p', { class: 'muted' }, 'No measured round yet.'));
        return;
      }
      const data = [xs].concat(series.map(s => s.values));
      const key = series.map(s => s.label).join('|');
      const existing = st.charts[name];
      if (existing && existing.key === key) {
        existing.plot.setData(data);
        return;
      }
      if (existing) existing.plot.destroy();
      el.replaceChildren();
      const plot = new uPlot({
        width: Math.max(320, el.clientWidth - 4), height: 240,
        scales: { x: { time: false } },
        axes: [{ label: 'round', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, { label: yLabel }],
        series: [{ label: 'round' }].concat(series.map(s => ({ label: s.label, stroke: s.colour, width: s.width || 1.5, spanGaps: true,
          points: { show: true, size: 4 }, value: (u, v) => v === null || v === undefined ? '–' : v.toFixed(4) }))),
      }, data, el);
      st.charts[name] = { key, plot };
    }

    async function checkReport() {
      report.textContent = 'Looking for the validation report…';
      try {
        await api('/api/studies/' + id + '/report.html', { method: 'GET' });
        report.replaceChildren(h('a', { id: 'report-link', href: '#/studies/' + id + '/report' }, 'Open the validation report'));
      } catch (e) {
        report.replaceChildren(e instanceof ApiError && e.status === 404
          ? h('span', { id: 'report-missing' }, 'No report yet.') : failure(e));
      }
    }

    const resize = () => {
      for (const [name, c] of Object.entries(st.charts)) c.plot.setSize({ width: Math.max(320, charts[name].clientWidth - 4), height: 240 });
    };
    window.addEventListener('resize', resize);
    const stream = follow('/api/studies/' + id + '/events', {
      study: onStudy, round: onRound,
      end: () => { live.textContent = 'study ended'; live.classList.remove('on'); },
    }, status => {
      live.textContent = status;
      live.classList.toggle('on', status === 'live');
    }, e => {
      page(h('p', {}, h('a', { href: '#/studies' }, '← Studies')), failure(e));
    });
    leave = () => {
      stream.stop();
      window.removeEventListener('resize', resize);
      for (const c of Object.values(st.charts)) c.plot.destroy();
    };
  }

  /**
   * Reads server-sent events from a fetch stream (with the Authorization header), calling handlers[event](data).
   * Reconnects after a dropped connection or an 'end' that asks for it (the stream's lifetime is over), not after
   * another 'end' or an error answer (401, 403, 404, 429).
   */
  function follow(path, handlers, onStatus, onError) {
    const controller = new AbortController();
    let stopped = false, ended = false, delay = 1000;
    async function run() {
      while (!stopped && !ended) {
        try {
          const res = await api(path, { signal: controller.signal, headers: { Accept: 'text/event-stream' } });
          onStatus('live');
          delay = 1000;
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let cut;
            while ((cut = buffer.indexOf('\n\n')) >= 0) {
              dispatch(buffer.slice(0, cut));
              buffer = buffer.slice(cut + 2);
            }
          }
        } catch (e) {
          if (stopped) return;
          if (e instanceof ApiError) {
            onError(e);
            return;
          }
        }
        if (!stopped && !ended) {
          onStatus('reconnecting…');
          await new Promise(r => setTimeout(r, delay));
          delay = Math.min(delay * 2, 15000);
        }
      }
    }
    function dispatch(block) {
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length === 0) return;
      const payload = JSON.parse(data.join('\n'));
      // An 'end' with reconnect (the server's stream lifetime is over) is not the study's end: the stream closes
      // and run() opens a new one.
      if (event === 'end' && payload.reconnect) return;
      if (event === 'end') ended = true;
      const handler = handlers[event];
      if (handler) handler(payload);
    }
    run();
    return { stop() { stopped = true; controller.abort(); } };
  }

  // ---------------------------------------------------------------------------------------------- report

  async function reportPage(id) {
    const back = h('p', {}, h('a', { href: '#/studies/' + id }, '← Study'));
    page(back, h('h2', {}, 'Validation report'), h('p', { class: 'muted' }, 'Loading…'));
    try {
      const html = await (await api('/api/studies/' + id + '/report.html')).text();
      // Shown in a sandboxed frame: no scripts run in it and it cannot reach this page or the token.
      const doc = new DOMParser().parseFromString(html, 'text/html');
      for (const s of doc.querySelectorAll('script')) s.remove();
      const frame = h('iframe', { id: 'report-frame', class: 'report', sandbox: '', title: 'Validation report' });
      frame.srcdoc = '<!doctype html>' + doc.documentElement.outerHTML;
      page(back, h('h2', {}, 'Validation report'), frame);
    } catch (e) {
      page(back, h('h2', {}, 'Validation report'), e instanceof ApiError && e.status === 404
        ? h('p', { id: 'report-missing' }, 'No report yet: ' + e.message) : failure(e));
    }
  }

  // ---------------------------------------------------------------------------------------------- sites

  async function sitesPage() {
    page(h('h2', {}, 'Sites'), h('p', { class: 'muted' }, 'Loading…'));
    try {
      const [register, connected, refusals] = await Promise.all([
        getJson('/api/sites/register'), getJson('/api/sites'), getJson('/api/sites/refusals')]);
      const online = new Map(connected.map(s => [s.siteId, s]));
      const now = Date.now();
      const rows = register.map(s => {
        const c = online.get(s.siteId);
        let cert;
        if (s.revokedAt) cert = badge('revoked', 'revoked');
        else if (c) {
          const days = Math.floor((Date.parse(c.certificateNotAfter) - now) / 86400000);
          cert = badge(days < 30 ? 'valid, expires in ' + days + ' days' : 'valid', days < 30 ? 'warn' : 'ok');
        } else cert = badge('enrolled', 'active');
        return h('tr', { 'data-site': s.siteId },
          h('td', {}, s.siteId), h('td', {}, cert),
          h('td', {}, s.revokedAt ? 'revoked ' + when(s.revokedAt) + (s.revokedReason ? ': ' + s.revokedReason : '') : ''),
          h('td', { class: 'mono' }, (s.serials || []).join(', ')),
          h('td', {}, c ? 'connected since ' + when(c.connectedAt) : 'offline'),
          h('td', { class: 'mono' }, c ? c.certificateSerial : ''),
          h('td', {}, c ? when(c.certificateNotAfter) : ''),
          h('td', {}, when(s.enrolledAt)));
      });
      page(h('h2', {}, 'Sites'),
        h('div', { class: 'card' }, h('h3', {}, 'Enrolled sites and their certificates'),
          register.length === 0 ? h('p', { class: 'muted' }, 'No site is enrolled.')
            : table('register', ['Site', 'Certificate', 'Revocation', 'Serials issued', 'Connection', 'Serial in use', 'Valid until', 'Enrolled'], rows)),
        h('div', { class: 'card' }, h('h3', {}, 'Refused connections'),
          refusals.length === 0 ? h('p', { id: 'no-refusals', class: 'muted' }, 'No refused connection.')
            : table('refusals', ['When', 'From', 'Certificate subject', 'Reason', 'Detail'], refusals.slice().reverse().map(r =>
              h('tr', {}, h('td', {}, when(r.at)), h('td', { class: 'mono' }, r.remoteAddress), h('td', { class: 'mono' }, r.subject || ''),
                h('td', {}, badge(r.reason, 'bad')), h('td', {}, r.message || ''))))));
    } catch (e) {
      page(h('h2', {}, 'Sites'), failure(e));
    }
  }

  // ---------------------------------------------------------------------------------------------- ledger

  async function ledgerPage() {
    const status = h('p', { id: 'ledger-status', 'data-ok': '' }, 'Verifying the ledger…');
    const entries = h('div', { id: 'ledger-list' }, h('p', { class: 'muted' }, 'Loading…'));
    page(h('h2', {}, 'Participation ledger'), h('div', { class: 'card' }, h('h3', {}, 'Verification'), status),
      h('div', { class: 'card' }, h('h3', {}, 'Entries (newest first)'), entries));
    getJson('/api/ledger/verify').then(v => {
      status.dataset.ok = String(v.ok);
      status.replaceChildren(v.ok
        ? h('span', {}, badge('verified', 'ok'), ' ' + v.entriesChecked + ' entries and ' + v.treeHeadsChecked
          + ' signed tree heads check out: every signature, the Merkle tree and the published heads.')
        : h('span', {}, badge('BROKEN', 'bad'), ' at entry ' + v.firstBadIndex + ': ' + v.problem));
    }).catch(e => status.replaceChildren(failure(e)));
    try {
      const list = await getJson('/api/ledger/entries');
      const shown = list.slice(-500).reverse();
      entries.replaceChildren(list.length === 0 ? h('p', { class: 'muted' }, 'The ledger is empty.') : h('div', {},
        list.length > shown.length ? h('p', { class: 'muted' }, 'The latest ' + shown.length + ' of ' + list.length + ' entries.') : null,
        table('ledger-entries', ['#', 'Time', 'Event', 'Study', 'Site', 'Actor', 'Details'], shown.map(e =>
          h('tr', { 'data-index': e.index }, h('td', { class: 'num' }, e.index), h('td', {}, when(e.timestamp)),
            h('td', {}, e.type), h('td', { class: 'mono' }, e.studyId ? e.studyId.slice(0, 8) : ''),
            h('td', {}, e.siteId || ''), h('td', {}, e.actor || ''),
            h('td', { class: 'mono details' }, e.details && Object.keys(e.details).length ? JSON.stringify(e.details) : ''))))));
    } catch (e) {
      entries.replaceChildren(failure(e));
    }
  }

  // ---------------------------------------------------------------------------------------------- start

  document.addEventListener('DOMContentLoaded', () => {
    document.getElementById('signin-form').addEventListener('submit', signIn);
    document.getElementById('sign-out').addEventListener('click', () => signOut('Signed out.'));
    window.addEventListener('hashchange', route);
    route();
  });
})();
