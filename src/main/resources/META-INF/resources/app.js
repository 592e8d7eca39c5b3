'use strict';
// The seed forms with live progress (Server-Sent Events, polling as a fallback) and, for signed-in operators, a
// dashboard of the queue.
const $ = id => document.getElementById(id);

function render(item, label, id, view) {
  const workflow = item.querySelector('.workflow');
  item.className = view.state || '';
  item.dataset.state = view.state || '';
  item.replaceChildren(`${label} `, Object.assign(document.createElement('span'), { className: 'state',
    textContent: view.finished ? 'finished (result not kept)' : view.state }));
  const value = view.value;
  if (!view.ready && value && value.total) {
    const bar = Object.assign(document.createElement('progress'), { max: value.total, value: value.current });
    item.append(' ', bar, ` ${value.current}/${value.total}`);
  } else if (view.ready) {
    item.append(' → ', view.successful ? JSON.stringify(value)
      : `${value && value.exc_type}: ${value && value.exc_message}`);
  }
  item.append(Object.assign(document.createElement('small'), { textContent: ` [${id}]` }));
  if (workflow) item.append(workflow);
}

function follow(id, label, item) {
  if (!window.EventSource) return poll(id, label, item);
  const events = new EventSource(`/tasks/result/${id}/events`);
  let done = false;
  events.onmessage = e => {
    item.dataset.via = 'events';
    const view = JSON.parse(e.data);
    render(item, label, id, view);
    if (view.ready || view.finished) { done = true; events.close(); }
  };
  events.onerror = () => { events.close(); if (!done) poll(id, label, item); };
}

async function poll(id, label, item) {
  item.dataset.via = 'polling';
  const response = await fetch(`/tasks/result/${id}`);
  if (response.status === 404) return render(item, label, id, { finished: true });
  const view = await response.json();
  render(item, label, id, view);
  if (!view.ready) setTimeout(() => poll(id, label, item), 500);
}

async function start(endpoint, body, label) {
  const item = document.createElement('li');
  item.textContent = `${label}: sending…`;
  $('results').prepend(item);
  const response = await fetch(endpoint, { method: 'POST', body });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    item.className = 'error';
    item.textContent = `${label}: ${response.status} ${json.error || response.statusText}`;
    return;
  }
  item.dataset.taskId = json.result_id;
  if (json.user_id) loadUsers();
  follow(json.result_id, label, item);
  if (json.group_id) followGroup(json.group_id, item);
}

// A workflow's members: done / total, until every member is ready.
async function followGroup(id, item) {
  let line = item.querySelector('.workflow');
  if (!line) {
    line = Object.assign(document.createElement('div'), { className: 'workflow' });
    item.append(line);
  }
  const response = await fetch(`/groups/${id}`).catch(() => null);
  if (response && response.ok) {
    const g = await response.json();
    const done = g.completed + g.failed;
    line.replaceChildren('members ', Object.assign(document.createElement('progress'), { max: g.size || 1, value: done }),
      ` ${done}/${g.size} done` + (g.failed ? `, ${g.failed} failed` : ''));
    line.dataset.done = done;
    line.dataset.size = g.size;
    if (g.ready) return;
  }
  setTimeout(() => followGroup(id, item), 500);
}

document.querySelectorAll('form[data-endpoint]').forEach(form => form.addEventListener('submit', event => {
  event.preventDefault();
  const data = new FormData(form);
  const args = [...data.entries()].map(([k, v]) => `${k}=${v}`).join(', ');
  start(form.dataset.endpoint, new URLSearchParams(data), `${form.dataset.label}(${args})`);
}));

$('archive-form').addEventListener('submit', event => {
  event.preventDefault();
  const id = $('users').value;
  start(`/users/${id}/archive`, null, `generate_user_archive(${id})`);
});

$('archive-all-form').addEventListener('submit', event => {
  event.preventDefault();
  start('/users/archive-all', null, 'bundle_user_archives(every user)');
});

function loadUsers() {
  fetch('/users').then(r => r.json()).then(users => {
    $('users').replaceChildren(...users.map(u => new Option(`${u.name} (#${u.id})`, u.id)),
      new Option('nobody (#999, fails)', 999));
  });
}
loadUsers();

// Dashboard: refreshed when any task changes (throttled), and every five seconds regardless.
function cell(text, cls) {
  return Object.assign(document.createElement('td'), { textContent: text == null ? '' : text, className: cls || '' });
}

// The dashboard's data needs a signed-in celeriac-viewer. The page signs in with HTTP Basic from its own form, keeps
// the credentials for this tab only (sessionStorage), and follows every task's changes with fetch, because
// EventSource cannot send credentials. X-Requested-With asks for refusals without the browser's password dialog.
let auth = sessionStorage.getItem('celeriac-operator');
let follower = null;
const asOperator = credentials => ({ Authorization: credentials, 'X-Requested-With': 'celeriac-page' });
const basic = (user, password) => 'Basic ' + btoa(String.fromCodePoint(...new TextEncoder().encode(`${user}:${password}`)));
const refusal = async response => (await response.json().catch(() => ({}))).error || `refused (${response.status})`;

function signedOut(error) {
  auth = null;
  sessionStorage.removeItem('celeriac-operator');
  if (follower) follower.abort();
  $('operator-panels').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = error || '';
}

$('sign-in').addEventListener('submit', async event => {
  event.preventDefault();
  const candidate = basic($('operator-user').value, $('operator-password').value);
  const response = await fetch('/dashboard', { headers: asOperator(candidate) }).catch(() => null);
  if (!response || !response.ok) {
    $('sign-in-error').textContent = response ? await refusal(response) : 'the server did not answer';
    return;
  }
  $('operator-password').value = '';
  auth = candidate;
  sessionStorage.setItem('celeriac-operator', auth);
  show(await response.json());
  followEveryTask();
});
$('sign-out').addEventListener('click', () => signedOut());

async function followEveryTask() {
  while (auth) {
    follower = new AbortController();
    try {
      const response = await fetch('/tasks/events', { headers: asOperator(auth), signal: follower.signal });
      if (response.status === 401 || response.status === 403) return signedOut(await refusal(response));
      if (response.ok) {
        const reader = response.body.getReader();
        while (!(await reader.read()).done) refreshSoon();
      }
    } catch (e) {
      if (follower.signal.aborted) return;
    }
    await new Promise(done => setTimeout(done, 3000));
  }
}

async function refresh() {
  if (!auth) return;
  const response = await fetch('/dashboard', { headers: asOperator(auth) }).catch(() => null);
  if (response && (response.status === 401 || response.status === 403)) return signedOut(await refusal(response));
  if (response && response.ok) show(await response.json());
}

// Charts in plain SVG: each series a polyline over the last 15 minutes, scaled to its own peak.
const SVG = 'http://www.w3.org/2000/svg';
function draw(svg, series, from, to) {
  const peak = Math.max(1e-9, ...series.flatMap(s => s.points.map(p => p[1])));
  svg.replaceChildren(...series.map(s => {
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('class', s.cls);
    line.setAttribute('points', s.points.map(([t, v]) =>
      `${((t - from) / (to - from) * 300).toFixed(1)},${(58 - v / peak * 56).toFixed(1)}`).join(' '));
    return line;
  }));
  svg.dataset.peak = peak > 1e-9 ? peak.toFixed(2) : '0';
}

function charts(history) {
  const to = Date.now(), from = to - 15 * 60 * 1000;
  const ok = [], bad = [];
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1], b = history[i], seconds = (b.at - a.at) / 1000;
    if (seconds <= 0) continue;
    ok.push([b.at, Math.max(0, (b.succeeded - a.succeeded) / seconds)]);
    bad.push([b.at, Math.max(0, (b.failed - a.failed) / seconds)]);
  }
  draw($('chart-rate'), [{ points: ok, cls: 'ok' }, { points: bad, cls: 'bad' }], from, to);
  const queued = history.filter(h => h.queued != null).map(h => [h.at, h.queued]);
  draw($('chart-queue'), [{ points: queued, cls: 'queue' }], from, to);
  $('rate-now').textContent = ok.length ? `now ${ok[ok.length - 1][1].toFixed(1)}/s` : '';
  $('queue-now').textContent = queued.length ? `now ${queued[queued.length - 1][1]}` : '';
}

function show(d) {
  $('sign-in').hidden = true;
  $('operator-panels').hidden = false;
  $('operator-name').textContent = d.operator.name;
  $('operator-role').textContent = d.operator.admin ? 'admin' : 'viewer';
  charts(d.history || []);
  $('runtimes').tBodies[0].replaceChildren(...(d.runtimes || []).map(r => {
    const row = document.createElement('tr');
    row.append(cell(r.name), cell(r.count), cell(`${r.p50_ms} ms`), cell(`${r.p95_ms} ms`), cell(`${r.max_ms} ms`));
    return row;
  }));
  for (const key of ['sent', 'SUCCESS', 'FAILURE', 'RETRY', 'REVOKED']) $(`stat-${key}`).textContent = d.totals[key] || 0;
  $('queue-ready').textContent = d.queue.ready == null ? '?' : d.queue.ready;
  $('queue-delayed').textContent = d.queue.delayed;
  $('queue-dead').textContent = d.queue.dead_letters;
  $('states').textContent = 'Recent tasks by state: ' + (Object.entries(d.states).map(([s, n]) => `${s} ${n}`).join(', ') || 'none');
  $('recent').tBodies[0].replaceChildren(...d.recent.map(t => {
    const row = document.createElement('tr');
    row.dataset.id = t.id;
    row.addEventListener('click', () => openTask(t.id));
    const detail = t.error || (t.progress ? `${t.progress.current}/${t.progress.total}` : '');
    row.append(cell(t.name), cell(t.state, t.state), cell(t.runtime_ms == null ? '' : `${t.runtime_ms} ms`),
      cell(detail, 'detail' + (t.error ? ' error' : '')), cell(t.id.slice(0, 8), 'id'));
    return row;
  }));
  $('groups').replaceChildren(...(d.groups.length ? d.groups : [null]).map(g => {
    const li = document.createElement('li');
    if (!g) { li.textContent = 'none yet'; return li; }
    const done = g.succeeded + g.failed;
    li.append(`${g.kind} ${g.id.slice(0, 8)}: `, Object.assign(document.createElement('progress'),
      { max: g.size || 1, value: done }), ` ${done}/${g.size}` + (g.failed ? ` (${g.failed} failed)` : '')
      + (g.body ? ` → ${g.body.name || 'body'} ${g.body.state}` : ''));
    return li;
  }));
  $('workers').replaceChildren(...(d.workers.length ? d.workers : [null]).map(w => Object.assign(
    document.createElement('li'), { textContent: w ? `${w.name}: ${w.active.length}/${w.concurrency} busy`
      + (w.active.length ? ` (${w.active.map(a => a.name).join(', ')})` : '') : 'no live worker' })));
  $('beat-leader').textContent = d.beat.leader ? `leader ${d.beat.leader}` : '';
  $('beat').replaceChildren(...(d.beat.entries.length ? d.beat.entries : [null]).map(e => Object.assign(
    document.createElement('li'), { textContent: e ? `${e.name}: ${e.task} ${e.schedule}, next ${e.next_run}`
      : 'no periodic task' })));
}

// The task view: one task's timeline, worker, trace and outcome; admins also see its arguments, and may revoke it
// while it runs or send it again once it has finished.
let openId = null;
async function openTask(id) {
  openId = id;
  const response = await fetch(`/dashboard/tasks/${encodeURIComponent(id)}`, { headers: asOperator(auth) })
    .catch(() => null);
  // A slower answer for a task no longer open (another row clicked, the view closed) is dropped.
  if (!response || id !== openId) return;
  if (response.status === 401 || response.status === 403) return signedOut(await refusal(response));
  const t = await response.json().catch(() => ({ error: `unreadable answer (${response.status})` }));
  if (id !== openId) return;
  $('task-view').hidden = false;
  $('task-view-message').textContent = response.ok ? '' : t.error;
  if (!response.ok) return;
  $('task-view-name').textContent = t.name || 'task';
  $('task-view-id').textContent = t.id;
  $('task-view-state').textContent = t.state;
  $('task-view-state').className = 'state ' + t.state;
  $('task-view-facts').textContent = [t.retries ? `${t.retries} ${t.retries === 1 ? 'retry' : 'retries'}` : '',
    t.date_started ? `started ${t.date_started}` : '', t.date_done ? `done ${t.date_done}` : ''].filter(Boolean).join(' · ');
  $('task-view-worker').textContent = t.worker || '–';
  $('task-view-trace').textContent = t.trace_id || '–';
  $('task-view-timeline').tBodies[0].replaceChildren(...t.timeline.map(e => {
    const row = document.createElement('tr');
    const detail = [e.worker ? `on ${e.worker}` : '', e.retries != null && e.state === 'RETRY' ? `retry ${e.retries}` : '',
      e.redelivered ? 'redelivered' : ''].filter(Boolean).join(', ');
    row.append(cell(e.state, e.state), cell(e.at), cell(detail, 'detail'));
    return row;
  }));
  $('task-view-result').textContent = t.error ? `${t.error.exc_type}: ${JSON.stringify(t.error.exc_message)}`
    : (t.result == null ? '' : JSON.stringify(t.result, null, 1));
  $('task-view-traceback').hidden = !t.traceback;
  $('task-view-traceback').textContent = t.traceback || '';
  $('task-view-call-line').hidden = !('args' in t);
  $('task-view-call').textContent = 'args' in t ? `${JSON.stringify(t.args)} ${JSON.stringify(t.kwargs || {})}` : '';
  $('task-revoke').hidden = !t.admin || t.ready;
  $('task-retry').hidden = !t.admin || !t.ready || !t.call_kept;
}
$('task-view-close').addEventListener('click', () => { openId = null; $('task-view').hidden = true; });
// Each button is off while its request is out, so a double tap does not send a task twice.
async function act(button, path, done) {
  button.disabled = true;
  try {
    const response = await fetch(path, { method: 'POST', headers: asOperator(auth) }).catch(() => null);
    if (!response) return;
    const body = await response.json().catch(() => ({}));
    if (!response.ok) { $('task-view-message').textContent = body.error || `refused (${response.status})`; return; }
    await done(body);
  } finally {
    button.disabled = false;
  }
}
$('task-revoke').addEventListener('click', () => act($('task-revoke'),
  `/tasks/${encodeURIComponent(openId)}/revoke`, () => openTask(openId)));
$('task-retry').addEventListener('click', () => act($('task-retry'),
  `/dashboard/tasks/${encodeURIComponent(openId)}/retry`, body => openTask(body.result_id)
    .then(() => { $('task-view-message').textContent = `sent again as ${body.result_id}`; })));

let pending = null;
function refreshSoon() {
  if (!pending) pending = setTimeout(() => { pending = null; refresh(); if (openId) openTask(openId); }, 700);
}
setInterval(refresh, 5000);
if (auth) { refresh(); followEveryTask(); }
