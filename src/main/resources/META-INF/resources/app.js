'use strict';
const results = document.getElementById('results');

async function start(endpoint, body, label) {
  const item = document.createElement('li');
  item.textContent = label + ': sending…';
  results.prepend(item);
  const response = await fetch(endpoint, { method: 'POST', body });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    item.className = 'error';
    item.textContent = label + ': ' + response.status + ' ' + (json.error || response.statusText);
    return;
  }
  poll(json.result_id, label, item);
}

async function poll(id, label, item) {
  const response = await fetch('/tasks/result/' + id);
  const json = await response.json().catch(() => ({}));
  if (response.status === 404) {
    item.textContent = `${label} [${id}]: finished (result not kept)`;
    return;
  }
  item.className = 'state-' + json.state;
  item.textContent = `${label} [${id}]: ${json.state}`;
  const value = json.value;
  if (value && value.total && !json.ready) {
    const bar = document.createElement('progress');
    bar.max = value.total;
    bar.value = value.current;
    item.append(' ', bar, ` ${value.current}/${value.total}`);
  } else if (json.ready) {
    item.append(' → ' + JSON.stringify(value));
  }
  if (!json.ready) setTimeout(() => poll(id, label, item), 500);
}

document.querySelectorAll('form[data-endpoint]').forEach(form => form.addEventListener('submit', event => {
  event.preventDefault();
  const data = new FormData(form);
  const args = [...data.entries()].map(([k, v]) => `${k}=${v}`).join(', ');
  start(form.dataset.endpoint, new URLSearchParams(data), form.dataset.endpoint.split('/').pop() + '(' + args + ')');
}));

document.getElementById('archive-form').addEventListener('submit', event => {
  event.preventDefault();
  const id = document.getElementById('users').value;
  start(`/users/${id}/archive`, null, `generate_user_archive(${id})`);
});

fetch('/users').then(r => r.json()).then(users => {
  const select = document.getElementById('users');
  for (const u of users) select.add(new Option(`${u.name} (#${u.id})`, u.id));
  select.add(new Option('nobody (#999, fails)', 999));
});
