'use strict';
// acsemu console. Plain JavaScript, no framework, no build step: acsemu
// embeds this file at build time and serves it under a strict CSP
// (script-src 'self', no inline code).
//
// Reads only the admin API:
//   GET /_emu/health              header line (region, authz mode, version)
//   GET /_emu/world               accounts, RAM entities, sessions (secrets are
//                                 dropped on arrival and never rendered)
//   GET /_emu/tables[/A/I/T/rows] Tablestore schemas, row counts, row pages
//   GET /_emu/decisions?limit=50  polled every second; 404 = no endpoint yet
//   GET /_emu/decisions/ID        the full record of one decision
//
// When acsemu was started with --admin-token, the admin API answers 401
// until the page sends Authorization: Bearer TOKEN. The page then asks the
// user for the token (a password field, never a URL parameter a log or the
// history would keep) and keeps it in sessionStorage, so it is gone when
// the tab closes; it is sent only to this origin.
//
// Everything that comes from data is rendered as text nodes or attribute
// values (h() below); nothing is ever assigned to innerHTML.
//
// Decision records (admin_decisions.c). GET /_emu/decisions answers
// {"decisions":[...]} newest first; each entry has id, time, service, api,
// action, resource, principal {type, arn, accountId, accessKeyId, role,
// sessionName, sourcePrincipal, service}, decision ("Allow" |
// "ImplicitDeny" | "ExplicitDeny"), outcome ("allow" | "deny" |
// "would-deny"), layer, decidingLayer, reason. GET /_emu/decisions/ID adds
// context {key: [values]}, decidingStatement, closestStatement {..., mismatch:
// [{element, expected, actual}]}, checks [...] and the engine's trace
// {evaluations: [{layer, documents: [{statements: [...]}]}]}. Every field
// is optional here, and the explanation also shows the raw record, so a
// field this page does not know yet is never hidden.
(function () {
  const POLL_MS = 1000;
  const RETRY_MS = 5000;
  const ROWS_LIMIT = 50;
  const SECRET_FIELD = /^(AccessKeySecret|SecurityToken|Secret|Token|Password)$/i;

  const state = {
    world: null,
    tables: null, // GET /_emu/tables answer, or null when unavailable
    account: null, // selected AccountId
    table: null, // {account, instance, table}
    pages: [], // start tokens of the pages visited (null = first page)
    decisionsKey: '',
    paused: false,
    deniedOnly: false,
    opener: null,
  };

  const $ = (id) => document.getElementById(id);

  // h('td', {class: 'x', onclick: f}, 'text', child) builds an element.
  // Strings become text nodes; attribute values are set with setAttribute.
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    return add(el, kids);
  }

  // Appends children, skipping null/undefined/false (Element.append would
  // print them); strings become text nodes.
  function add(el, ...kids) {
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function pick(o, ...names) {
    if (!o || typeof o !== 'object') return undefined;
    for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
    return undefined;
  }

  function list(v) {
    return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  }

  // Drops every secret from data before anything can render it.
  function redact(o) {
    if (Array.isArray(o)) o.forEach(redact);
    else if (o && typeof o === 'object') {
      for (const k of Object.keys(o)) {
        if (SECRET_FIELD.test(k)) delete o[k];
        else redact(o[k]);
      }
    }
    return o;
  }

  // ---- admin token -------------------------------------------------------

  const TOKEN_KEY = 'acsemu.adminToken';
  let memoryToken = null; // when sessionStorage is unavailable

  function adminToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || memoryToken; } catch (_) { return memoryToken; }
  }

  function setAdminToken(t) {
    memoryToken = t || null;
    try {
      if (t) sessionStorage.setItem(TOKEN_KEY, t);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (_) { /* memory only */ }
  }

  // Shows the token form; `rejected` when the token we sent was refused.
  function askToken(rejected) {
    const box = $('token-box');
    if (!box.hidden) return;
    $('token-note').textContent = rejected
      ? 'acsemu did not accept that token. Enter the admin token it was started with.'
      : 'This acsemu needs its admin token (--admin-token or ACSEMU_ADMIN_TOKEN) to show the world.';
    box.hidden = false;
    $('token').focus();
  }

  function submitToken() {
    const v = $('token').value.trim();
    if (!v) return;
    setAdminToken(v);
    $('token').value = '';
    $('token-box').hidden = true;
    state.decisionsKey = '';
    loadWorld();
  }

  async function getJSON(path) {
    const headers = { accept: 'application/json' };
    const t = adminToken();
    if (t) headers.authorization = `Bearer ${t}`;
    const r = await fetch(path, { headers, cache: 'no-store', credentials: 'omit' });
    let body = null;
    try { body = await r.json(); } catch (_) { body = null; }
    if (r.status === 401) {
      if (t) setAdminToken(null);
      askToken(Boolean(t));
    }
    return { status: r.status, ok: r.ok, body };
  }

  function pretty(doc) {
    if (typeof doc === 'string') {
      try { return JSON.stringify(JSON.parse(doc), null, 2); } catch (_) { return doc; }
    }
    return JSON.stringify(doc, null, 2);
  }

  function parseDoc(doc) {
    if (typeof doc !== 'string') return doc;
    try { return JSON.parse(doc); } catch (_) { return null; }
  }

  function errorText(r) {
    const e = r.body && r.body.error;
    return e ? `${e.code}: ${e.message}` : `HTTP ${r.status}`;
  }

  function empty(text) { return h('p', { class: 'empty' }, text); }

  function kv(pairs) {
    const dl = h('dl', { class: 'kv' });
    for (const [k, v] of pairs) {
      if (v === undefined || v === null || v === '') continue;
      dl.append(h('dt', null, k), h('dd', null, v));
    }
    return dl;
  }

  function card(title, count, ...body) {
    return h('section', { class: 'card', 'aria-label': title },
      h('h3', null, title, count === null ? null : h('span', { class: 'muted' }, String(count))), body);
  }

  function keyChip(k) {
    const active = (k.Status || 'Active') === 'Active';
    return h('span', { class: 'chip' + (active ? '' : ' inactive'), title: active ? 'Active' : k.Status },
      k.AccessKeyId);
  }

  function policyChip(p) {
    return h('span', { class: 'chip', title: p.PolicyType || '' }, p.PolicyName);
  }

  // ---- header ---------------------------------------------------------------

  function renderStatus(health) {
    const dl = clear($('status'));
    if (!health) return;
    for (const [k, v] of [['region', health.region], ['authz', health.authz],
      ['version', health.version]]) {
      if (v) dl.append(h('div', null, h('dt', null, k), h('dd', null, v)));
    }
  }

  // ---- world ----------------------------------------------------------------

  async function loadWorld() {
    const status = $('world-status');
    let world, tables, health;
    try {
      [world, tables, health] = await Promise.all([
        getJSON('/_emu/world'), getJSON('/_emu/tables'), getJSON('/_emu/health')]);
    } catch (e) {
      status.textContent = `Cannot reach acsemu: ${e.message}`;
      status.classList.add('error');
      return;
    }
    if (!world.ok) {
      status.textContent = `GET /_emu/world failed: ${errorText(world)}`;
      status.classList.add('error');
      return;
    }
    status.classList.remove('error');
    state.world = redact(world.body);
    state.tables = tables.ok ? tables.body : null;
    renderStatus(health.ok ? health.body : null);
    const accounts = state.world.Accounts || [];
    status.textContent = `${accounts.length} account${accounts.length === 1 ? '' : 's'} ` +
      `loaded at ${new Date().toLocaleTimeString()}.`;
    if (!accounts.some((a) => a.AccountId === state.account)) {
      state.account = accounts.length ? accounts[0].AccountId : null;
      state.table = null;
    }
    renderTabs();
    renderAccount();
  }

  function renderTabs() {
    const tabs = clear($('accounts'));
    for (const a of state.world.Accounts || []) {
      const selected = a.AccountId === state.account;
      const b = h('button', {
        type: 'button', role: 'tab', id: `tab-${a.AccountId}`, 'aria-selected': String(selected),
        'aria-controls': 'account', tabindex: selected ? '0' : '-1', 'data-account': a.AccountId,
        onclick: () => selectAccount(a.AccountId, false),
      }, h('span', { class: 'acct-id' }, a.AccountId), ' ',
      h('span', { class: 'muted' }, a.AccountAlias || ''));
      tabs.append(b);
    }
  }

  function selectAccount(id, focus) {
    if (id !== state.account) {
      state.account = id;
      state.table = null;
    }
    renderTabs();
    renderAccount();
    if (focus) $(`tab-${id}`).focus();
  }

  // Arrow keys move between account tabs (WAI-ARIA tabs pattern).
  function onTabKey(ev) {
    const ids = (state.world && state.world.Accounts || []).map((a) => a.AccountId);
    const i = ids.indexOf(state.account);
    if (i < 0) return;
    let j = null;
    if (ev.key === 'ArrowRight') j = (i + 1) % ids.length;
    else if (ev.key === 'ArrowLeft') j = (i + ids.length - 1) % ids.length;
    else if (ev.key === 'Home') j = 0;
    else if (ev.key === 'End') j = ids.length - 1;
    if (j === null) return;
    ev.preventDefault();
    selectAccount(ids[j], true);
  }

  function currentAccount() {
    return (state.world.Accounts || []).find((a) => a.AccountId === state.account);
  }

  function renderAccount() {
    const panel = clear($('account'));
    const a = currentAccount();
    if (!a) { panel.append(empty('This world has no accounts.')); return; }
    panel.setAttribute('aria-labelledby', `tab-${a.AccountId}`);
    add(panel,
      h('div', { class: 'grid2' }, overviewCard(a), usersCard(a)),
      rolesCard(a),
      tablestoreCard(a),
      policiesCard(a),
      groupsCard(a),
      sessionsCard(a));
  }

  function overviewCard(a) {
    const creds = list(a.ServiceCredentials);
    const projects = list(a.MaxCompute && a.MaxCompute.Projects);
    return card(`Account ${a.AccountId}`, null, kv([
      ['Alias', a.AccountAlias],
      ['Root ARN', `acs:ram::${a.AccountId}:root`],
      ['Root AccessKeys', list(a.AccessKeys).length ? list(a.AccessKeys).map(keyChip) : 'none'],
      ['Service credentials', creds.length ? creds.map((c) => h('span', { class: 'chip' },
        h('span', { class: 'kind' }, c.Service), c.AccessKeyId)) : null],
      ['MaxCompute projects', projects.length ? projects.map((p) => h('span', { class: 'chip' }, p.Name)) : null],
    ]));
  }

  function usersCard(a) {
    const users = list(a.Users);
    if (!users.length) return card('Users', 0, empty('No RAM users.'));
    const rows = users.map((u) => h('tr', null,
      h('td', null, h('span', { class: 'entity' }, u.UserName),
        u.DisplayName ? h('div', { class: 'muted' }, u.DisplayName) : null),
      h('td', null, list(u.AccessKeys).length ? list(u.AccessKeys).map(keyChip) : h('span', { class: 'muted' }, 'none')),
      h('td', null, list(u.AttachedPolicies).map(policyChip), list(u.Groups).map((g) =>
        h('span', { class: 'chip' }, h('span', { class: 'kind' }, 'group'), g)),
      !list(u.AttachedPolicies).length && !list(u.Groups).length ? h('span', { class: 'muted' }, 'none') : null)));
    return card('Users', users.length, h('table', null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'User'),
        h('th', { scope: 'col' }, 'AccessKeys'), h('th', { scope: 'col' }, 'Policies, groups'))),
      h('tbody', null, rows)));
  }

  function groupsCard(a) {
    const groups = list(a.Groups);
    if (!groups.length) return null;
    return card('Groups', groups.length, h('table', null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Group'), h('th', { scope: 'col' }, 'Policies'))),
      h('tbody', null, groups.map((g) => h('tr', null,
        h('td', { class: 'entity' }, g.GroupName),
        h('td', null, list(g.AttachedPolicies).map(policyChip)))))));
  }

  // Principals of a trust policy, statement by statement.
  function trustPrincipals(role) {
    const doc = parseDoc(role.AssumeRolePolicyDocument);
    const out = [];
    for (const s of list(doc && doc.Statement)) {
      const p = s.Principal;
      const effect = s.Effect || 'Allow';
      if (p === '*') out.push({ kind: 'Any', value: '*', effect, cond: !!s.Condition });
      else if (p && typeof p === 'object') {
        for (const [kind, v] of Object.entries(p)) {
          for (const x of list(v)) out.push({ kind, value: String(x), effect, cond: !!s.Condition });
        }
      }
    }
    return out;
  }

  function principalChip(p) {
    const svc = p.kind === 'Service';
    const title = `${p.effect} ${p.kind} principal${p.cond ? ' (with conditions)' : ''}`;
    return h('span', { class: 'chip' + (svc ? ' svc' : ''), title, 'data-principal': p.value },
      h('span', { class: 'kind' }, (p.effect === 'Deny' ? 'Deny ' : '') + p.kind), p.value);
  }

  // RAM tags of a role or custom policy (acs:ResourceTag/<key> in policies).
  function tagChips(tags) {
    const t = list(tags);
    if (!t.length) return null;
    return h('div', { class: 'tags' }, t.map((x) => h('span', { class: 'chip', 'data-tag': x.Key,
      title: `acs:ResourceTag/${x.Key}` }, h('span', { class: 'kind' }, 'tag'), `${x.Key}=${x.Value}`)));
  }

  function rolesCard(a) {
    const roles = list(a.Roles);
    if (!roles.length) return card('Roles', 0, empty('No RAM roles.'));
    const rows = roles.map((r) => h('tr', { 'data-role': r.RoleName },
      h('td', null, h('span', { class: 'entity' }, r.RoleName),
        h('div', { class: 'muted mono' }, `acs:ram::${a.AccountId}:role/${String(r.RoleName).toLowerCase()}`),
        r.Description ? h('div', { class: 'muted' }, r.Description) : null,
        tagChips(r.Tags)),
      h('td', null, trustPrincipals(r).map(principalChip),
        h('details', null, h('summary', null, 'trust policy'), h('pre', null, pretty(r.AssumeRolePolicyDocument)))),
      h('td', null, list(r.AttachedPolicies).length ? list(r.AttachedPolicies).map(policyChip) : h('span', { class: 'muted' }, 'none')),
      h('td', { class: 'num' }, r.MaxSessionDuration === undefined ? '' : `${r.MaxSessionDuration} s`)));
    return card('Roles', roles.length, h('table', { class: 'roles-table' },
      h('colgroup', null, ['c-role', 'c-trust', 'c-pol', 'c-max'].map((c) => h('col', { class: c }))),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Role'),
        h('th', { scope: 'col' }, 'Trusted principals'), h('th', { scope: 'col' }, 'Policies'),
        h('th', { scope: 'col' }, 'Max session'))),
      h('tbody', null, rows)));
  }

  function policiesCard(a) {
    const pols = list(a.Policies);
    if (!pols.length) return card('Policies', 0, empty('No custom policies.'));
    return card('Policies', pols.length, pols.map((p) => {
      const versions = list(p.Versions);
      const def = versions.find((v) => v.VersionId === p.DefaultVersion) || versions[0];
      const doc = def ? def.PolicyDocument : p.PolicyDocument;
      return h('details', { open: pols.length <= 2, 'data-policy': p.PolicyName },
        h('summary', null, h('span', { class: 'entity' }, p.PolicyName),
          h('span', { class: 'muted' }, `default ${p.DefaultVersion || (def && def.VersionId) || 'v1'}` +
            (versions.length > 1 ? ` of ${versions.length} versions` : '') +
            (p.Description ? ` · ${p.Description}` : ''))),
        tagChips(p.Tags),
        h('pre', null, pretty(doc)));
    }));
  }

  function sessionsCard(a) {
    const sessions = list(state.world.Sessions).filter((s) => s.AccountId === a.AccountId);
    if (!sessions.length) return null;
    return card('STS sessions', sessions.length, h('table', null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'AccessKeyId'), h('th', { scope: 'col' }, 'Role'),
        h('th', { scope: 'col' }, 'Session'), h('th', { scope: 'col' }, 'Assumed by'), h('th', { scope: 'col' }, 'Expires'))),
      h('tbody', null, sessions.map((s) => h('tr', null,
        h('td', { class: 'mono' }, s.AccessKeyId), h('td', null, s.RoleName),
        h('td', null, s.RoleSessionName), h('td', { class: 'mono' }, s.SourceArn || ''),
        h('td', { class: 'mono' }, s.Expiration || ''))))));
  }

  // ---- Tablestore -------------------------------------------------------------

  // Instances of the account: /_emu/tables when available (row counts), else
  // the world's own Tablestore section.
  function instancesOf(a) {
    if (state.tables) {
      const t = list(state.tables.Accounts).find((x) => x.AccountId === a.AccountId);
      return t ? list(t.Instances) : [];
    }
    return list(a.Tablestore && a.Tablestore.Instances);
  }

  function tablestoreCard(a) {
    const instances = instancesOf(a);
    if (!instances.length) return card('Tablestore', 0, empty('No Tablestore instances.'));
    if (!state.table) {
      const first = instances.find((i) => list(i.Tables).length);
      if (first) state.table = { account: a.AccountId, instance: first.InstanceName, table: first.Tables[0].TableName };
      state.pages = [null];
    }
    const body = [];
    for (const inst of instances) {
      body.push(h('h4', null, `Instance ${inst.InstanceName}`,
        h('span', { class: 'muted' }, ` · network ${inst.Network || 'Any'} · ${list(inst.Tables).length} table(s)`)));
      const tables = list(inst.Tables);
      if (!tables.length) { body.push(empty('No tables.')); continue; }
      body.push(h('div', { class: 'tables', role: 'group', 'aria-label': `Tables of ${inst.InstanceName}` },
        tables.map((t) => {
          const on = state.table && state.table.instance === inst.InstanceName && state.table.table === t.TableName;
          return h('button', {
            type: 'button', 'aria-pressed': String(!!on), 'data-table': t.TableName,
            onclick: () => {
              state.table = { account: a.AccountId, instance: inst.InstanceName, table: t.TableName };
              state.pages = [null];
              renderAccount();
            },
          }, t.TableName, t.RowCount === undefined ? null : h('span', { class: 'muted' }, ` ${t.RowCount} rows`));
        })));
    }
    const view = h('div', { id: 'table-view' });
    body.push(view);
    if (state.table) {
      const inst = instances.find((i) => i.InstanceName === state.table.instance);
      const t = inst && list(inst.Tables).find((x) => x.TableName === state.table.table);
      if (t) {
        view.append(schemaView(t));
        const rows = h('div', { id: 'rows' }, h('p', { class: 'note' }, 'Loading rows…'));
        view.append(rows);
        loadRows(rows);
      }
    }
    return card('Tablestore', instances.length, body);
  }

  function typeName(c) { return c.Type || c.type || ''; }

  function schemaView(t) {
    const ttl = t.TimeToLive === undefined || t.TimeToLive < 0 ? 'forever' : `${t.TimeToLive} s`;
    return h('div', { class: 'schema' },
      h('h4', null, `Table ${t.TableName}`),
      kv([
        ['Primary key', list(t.PrimaryKey).map((c) => h('span', { class: 'chip' }, c.Name,
          h('span', { class: 'kind' }, ` ${typeName(c)}${c.AutoIncrement ? ' auto-increment' : ''}`)))],
        ['Defined columns', list(t.DefinedColumns).length ? list(t.DefinedColumns).map((c) =>
          h('span', { class: 'chip' }, c.Name, h('span', { class: 'kind' }, ` ${typeName(c)}`))) : 'none'],
        ['Time to live', ttl],
        ['Max versions', t.MaxVersions === undefined ? null : String(t.MaxVersions)],
        ['Rows', t.RowCount === undefined ? null : String(t.RowCount)],
      ]));
  }

  function cellText(c) {
    if (!c || c.Value === undefined) return '';
    if (c.Encoding === 'base64') return `base64:${c.Value}`;
    return String(c.Value);
  }

  async function loadRows(box) {
    const sel = state.table;
    const start = state.pages[state.pages.length - 1];
    const seg = [sel.account, sel.instance, sel.table].map(encodeURIComponent).join('/');
    const q = `limit=${ROWS_LIMIT}` + (start ? `&start=${encodeURIComponent(start)}` : '');
    let r;
    try {
      r = await getJSON(`/_emu/tables/${seg}/rows?${q}`);
    } catch (e) {
      clear(box).append(h('p', { class: 'error' }, `Cannot load rows: ${e.message}`));
      return;
    }
    if (state.table !== sel) return; // another table was chosen meanwhile
    clear(box);
    if (!r.ok) {
      box.append(h('p', { class: 'error' }, `GET /_emu/tables/${seg}/rows: ${errorText(r)}`));
      return;
    }
    const page = r.body;
    const rows = list(page.Rows);
    const pageNo = state.pages.length;
    const first = (pageNo - 1) * ROWS_LIMIT + 1;
    const prev = h('button', {
      type: 'button', disabled: pageNo <= 1, 'aria-label': 'Previous page of rows',
      onclick: () => { state.pages.pop(); loadRows(box); },
    }, '← Prev');
    const next = h('button', {
      type: 'button', disabled: !page.Next, 'aria-label': 'Next page of rows',
      onclick: () => { state.pages.push(page.Next); loadRows(box); },
    }, 'Next →');
    box.append(h('div', { class: 'pager' }, prev, next,
      h('span', { class: 'muted', id: 'rows-range', role: 'status' }, rows.length
        ? `Page ${pageNo} · rows ${first}–${first + rows.length - 1}` +
          (page.RowCount === undefined ? '' : ` of ${page.RowCount}`)
        : `Page ${pageNo} · no rows`)));
    if (!rows.length) return;

    // Columns: the primary key, the defined columns, then any other
    // attribute column that appears in this page.
    const pk = list(page.PrimaryKey).map((c) => ({ name: c.Name, type: c.Type, pk: true }));
    const cols = list(page.DefinedColumns).map((c) => ({ name: c.Name, type: c.Type }));
    const known = new Set([...pk, ...cols].map((c) => c.name));
    for (const row of rows) {
      for (const c of list(row.Columns)) {
        if (!known.has(c.Name)) { known.add(c.Name); cols.push({ name: c.Name, type: c.Type }); }
      }
    }
    const all = [...pk, ...cols];
    const table = h('table', { class: 'rows', 'aria-label': `Rows of ${sel.table}` },
      h('thead', null, h('tr', null, all.map((c) => h('th', { scope: 'col' }, c.name,
        h('span', { class: 'type' }, (c.pk ? 'PK ' : '') + (c.type || '')))))),
      h('tbody', null, rows.map((row) => {
        const byName = new Map();
        for (const c of list(row.PrimaryKey)) byName.set(c.Name, c);
        for (const c of list(row.Columns)) byName.set(c.Name, c);
        return h('tr', null, all.map((c) => {
          const cell = byName.get(c.name);
          return h('td', { class: c.pk ? 'pk' : cell ? '' : 'absent' }, cell ? cellText(cell) : '—');
        }));
      })));
    box.append(h('div', { class: 'rows-wrap' }, table));
  }

  // ---- decisions ----------------------------------------------------------------

  // 'allow', 'deny' (refused) or 'audit' (--authz audit: allowed, would deny).
  function decisionKind(r) {
    const outcome = String(pick(r, 'outcome') || '').toLowerCase();
    if (outcome) return outcome.includes('would') ? 'audit' : outcome.includes('deny') ? 'deny' : 'allow';
    const d = String(pick(r, 'decision', 'Decision', 'result') || '').toLowerCase();
    if (d.includes('audit') || r.wouldDeny || r.would_deny) return 'audit';
    if (d.includes('deny')) return 'deny';
    return 'allow';
  }

  function principalText(p) {
    if (!p) return '';
    if (typeof p === 'string') return p;
    return pick(p, 'arn', 'Arn', 'value', 'name', 'accessKeyId', 'access_key_id') || JSON.stringify(p);
  }

  function timeText(t) {
    if (t === undefined || t === null) return '';
    const d = typeof t === 'number' ? new Date(t) : new Date(String(t));
    if (isNaN(d.getTime())) return String(t);
    return d.toISOString().slice(11, 19);
  }

  function reasonOf(r) {
    return pick(r, 'reason', 'Reason') || (r.trace && r.trace.reason) || '';
  }

  function layerOf(r) {
    return pick(r, 'decidingLayer', 'deciding_layer', 'layer') || (r.trace && r.trace.layer) || '';
  }

  function badge(kind, text) {
    return h('span', { class: `badge ${kind === 'allow' ? '' : kind}` }, text);
  }

  function decisionsFrom(body) {
    if (Array.isArray(body)) return body;
    return list(pick(body, 'decisions', 'items', 'records'));
  }

  function renderDecisions(records) {
    const ol = $('decisions');
    const active = document.activeElement;
    const focusId = active && active.dataset ? active.dataset.id : undefined;
    clear(ol);
    for (const r of records) {
      const kind = decisionKind(r);
      const label = kind === 'allow' ? 'allow' : kind === 'audit' ? 'would deny' : 'deny';
      const reason = kind === 'allow' ? '' : reasonOf(r);
      const who = principalText(r.principal);
      const btn = h('button', {
        type: 'button', class: `decision ${kind === 'allow' ? '' : kind}`, 'data-id': r.id,
        'aria-haspopup': 'dialog', onclick: () => openExplain(r, btn),
      },
      h('span', { class: 'line1' }, h('span', { class: 'time' }, timeText(pick(r, 'time', 'Time', 'timestamp'))),
        badge(kind, label), h('span', { class: 'action' }, pick(r, 'action', 'Action') || '?')),
      h('span', { class: 'who' }, who, r.resource ? ` → ${r.resource}` : ''),
      reason ? h('span', { class: 'reason' }, reason) : null);
      ol.append(h('li', null, btn));
      if (focusId !== undefined && String(r.id) === focusId) btn.focus();
    }
  }

  async function pollDecisions() {
    // Paused, or a background tab: ask again later without a request.
    if (state.paused || document.hidden) { setTimeout(pollDecisions, POLL_MS); return; }
    const status = $('decisions-status');
    let r;
    try {
      r = await getJSON(`/_emu/decisions?limit=50${state.deniedOnly ? '&denied=1' : ''}`);
    } catch (e) {
      status.textContent = `acsemu is not answering (${e.message}); retrying.`;
      setTimeout(pollDecisions, RETRY_MS);
      return;
    }
    if (r.status === 404) {
      status.textContent = 'No decisions endpoint: GET /_emu/decisions answered 404, so this ' +
        'acsemu does not record decisions yet. Retrying every few seconds.';
      status.dataset.state = 'unavailable';
      setTimeout(pollDecisions, RETRY_MS);
      return;
    }
    if (!r.ok) {
      status.textContent = `GET /_emu/decisions failed: ${errorText(r)}`;
      setTimeout(pollDecisions, RETRY_MS);
      return;
    }
    status.dataset.state = 'live';
    let records = decisionsFrom(r.body);
    if (state.deniedOnly) records = records.filter((x) => decisionKind(x) !== 'allow');
    const key = records.map((x) => `${x.id}:${x.decision}`).join(',');
    const denied = records.filter((x) => decisionKind(x) !== 'allow').length;
    status.textContent = `${records.length} recent decision${records.length === 1 ? '' : 's'}, ` +
      `${denied} denied · live`;
    if (key !== state.decisionsKey) {
      state.decisionsKey = key;
      renderDecisions(records);
    }
    setTimeout(pollDecisions, POLL_MS);
  }

  // ---- explanation ------------------------------------------------------------

  function tri(v) {
    if (v === true) return h('span', { class: 'yes' }, '✓ yes');
    if (v === false) return h('span', { class: 'no' }, '✗ no');
    return h('span', { class: 'na' }, '—');
  }

  function stmtRef(s) {
    if (!s) return null;
    if (typeof s !== 'object') return String(s);
    return [h('span', { class: 'entity' }, s.policy || s.name || ''),
      ` (${[s.type, s.version].filter(Boolean).join(', ')})`,
      s.index === undefined ? '' : ` statement ${s.index}`, s.sid ? ` Sid ${s.sid}` : '',
      s.effect ? ` · ${s.effect}` : '', s.pointer ? ' · ' : '', s.pointer ? h('code', null, s.pointer) : null];
  }

  // A policy element or request value as one line: "a, b" for lists,
  // "Service 56789@odps.aliyuncs.com" for principals, JSON otherwise.
  function valueText(v) {
    if (v === null || v === undefined) return h('em', { class: 'no' }, 'missing');
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(', ');
    if (typeof v === 'object' && !Array.isArray(v)) {
      if (typeof v.type === 'string' && typeof v.value === 'string') return `${v.type} ${v.value}`;
      const entries = Object.entries(v);
      if (entries.every(([, x]) => typeof x === 'string' || (Array.isArray(x) && x.every((y) => typeof y === 'string')))) {
        return entries.map(([k, x]) => `${k} ${list(x).join(', ')}`).join('; ');
      }
    }
    return JSON.stringify(v);
  }

  // What did not match in a statement: expected (from the policy) vs actual
  // (from the request).
  function mismatchTable(m) {
    return h('table', { class: 'cond-table mismatch' },
      h('thead', null, h('tr', null, ['Element', 'Expected (policy)', 'Actual (request)'].map((t) =>
        h('th', { scope: 'col' }, t)))),
      h('tbody', null, m.map((x) => h('tr', null,
        h('td', null, x.element || '', x.operator ? ` ${x.operator}` : '', x.key ? h('code', null, ` ${x.key}`) : null),
        h('td', { class: 'values' }, valueText(x.expected)),
        h('td', { class: 'values' }, x.missing ? h('em', { class: 'no' }, 'missing') : valueText(x.actual),
          x.badValue ? h('em', { class: 'no' }, ' (not a valid value)') : null)))));
  }

  function statementBlock(title, s) {
    if (!s) return null;
    return h('section', { class: 'stmt-block', 'aria-label': title }, h('h3', null, title),
      h('p', null, stmtRef(s)),
      list(s.mismatch).length ? mismatchTable(list(s.mismatch)) : null);
  }

  function principalBlock(p) {
    if (!p) return null;
    if (typeof p !== 'object') return String(p);
    const pairs = Object.entries(p).filter(([, v]) => v !== null && typeof v !== 'object')
      .map(([k, v]) => [k, String(v)]);
    return kv(pairs);
  }

  function contextTable(ctx) {
    let entries = [];
    if (Array.isArray(ctx)) entries = ctx.map((c) => [pick(c, 'key', 'name'), list(pick(c, 'values', 'value'))]);
    else if (ctx && typeof ctx === 'object') entries = Object.entries(ctx).map(([k, v]) => [k, list(v)]);
    if (!entries.length) return null;
    return h('table', { class: 'cond-table' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Context key'), h('th', { scope: 'col' }, 'Value'))),
      h('tbody', null, entries.map(([k, v]) => h('tr', null, h('td', { class: 'mono' }, k),
        h('td', { class: 'values' }, v.map(String).join(', '))))));
  }

  function conditionsTable(conds) {
    return h('table', { class: 'cond-table' },
      h('thead', null, h('tr', null, ['Operator', 'Key', 'Expected', 'Actual', 'Result'].map((t) =>
        h('th', { scope: 'col' }, t)))),
      h('tbody', null, conds.map((c) => h('tr', null,
        h('td', { class: 'mono' }, c.operator || ''), h('td', { class: 'mono' }, c.key || ''),
        h('td', { class: 'values' }, list(c.expected).join(', ')),
        h('td', { class: 'values' }, c.missing || c.actual === null ? h('em', { class: 'no' }, 'missing')
          : list(c.actual).join(', '), c.badValue ? h('em', { class: 'no' }, ' (not a valid value)') : null),
        h('td', null, tri(c.result))))));
  }

  function statementsTable(stmts) {
    const body = [];
    for (const s of stmts) {
      body.push(h('tr', null,
        h('td', { class: 'num' }, String(s.index === undefined ? '' : s.index)),
        h('td', null, s.sid || ''), h('td', null, s.effect || ''),
        h('td', null, tri(s.action)), h('td', null, tri(s.resource)), h('td', null, tri(s.principal)),
        h('td', null, tri(s.condition)), h('td', null, tri(s.applies))));
      if (list(s.conditions).length) {
        body.push(h('tr', null, h('td', null), h('td', { colspan: '7' }, conditionsTable(list(s.conditions)))));
      }
    }
    return h('table', null,
      h('thead', null, h('tr', null, ['#', 'Sid', 'Effect', 'Action', 'Resource', 'Principal', 'Condition',
        'Applies'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, body));
  }

  // One layer of the engine's trace: every document and statement evaluated.
  function evaluationBlock(e) {
    const docs = list(e.documents);
    return h('section', { class: 'eval', 'aria-label': `${e.layer} layer` },
      h('h4', null, `Layer: ${e.layer || '?'} `, badge(/deny/i.test(e.decision || '') ? 'deny' : 'allow', e.decision || '')),
      kv([
        ['Action', e.action], ['Resource', e.resource],
        // Control policies: the directory node (member, folder, Root) the evaluated ones hang on.
        ['Attached to', e.attachedTo],
        ['Principal presented', e.principal ? `${e.principal.type || ''} ${e.principal.value || ''}`.trim() : null],
        ['Deciding statement', stmtRef(e.decidingStatement)],
        ['Closest statement', stmtRef(e.closestStatement)],
      ]),
      docs.length ? docs.map((d) => h('div', { class: 'doc' },
        h('h4', null, `${d.name || d.policy || '?'} `, h('span', { class: 'muted' },
          `${[d.kind, d.type, d.version].filter(Boolean).join(' · ')} → ${d.decision || ''}`)),
        list(d.statements).length ? statementsTable(list(d.statements)) : empty('No statements evaluated.')))
        : empty('No documents were evaluated in this layer.'));
  }

  // One authorization check of the call (AssumeRole makes two: the caller's
  // own permission and the role's trust policy).
  function checkBlock(c, i) {
    const kind = /deny/i.test(c.decision || '') ? 'deny' : 'allow';
    return h('section', { class: 'eval', 'aria-label': `Check ${i + 1}` },
      h('h4', null, `Check ${i + 1}: ${c.action || '?'} `, badge(kind, c.decision || '')),
      kv([
        ['Resource', c.resource], ['Caller', [c.caller, c.callerAccount].filter(Boolean).join(' of account ')],
        ['Resource account', c.resourceAccount],
        ['Principal presented', c.presentedPrincipal ? `${c.presentedPrincipal.type || ''} ${c.presentedPrincipal.value || ''}`.trim() : null],
        // Tablestore network ACL: the request's network against the instance's lists.
        ['Network', c.network ? networkText(c.network) : null],
        // Tablestore instance policy: the resource-based policy of the instance.
        ['Instance policy', c.instancePolicy ? instancePolicyText(c.instancePolicy) : null],
        ['Deciding layer', c.decidingLayer || c.layer], ['Reason', c.reason],
      ]),
      statementBlock('Deciding statement', c.decidingStatement),
      statementBlock('Closest statement', c.closestStatement));
  }

  function instancePolicyText(p) {
    const st = p.document && p.document.Statement;
    const n = Array.isArray(st) ? st.length : st ? 1 : 0;
    return `instance ${p.name}: ${n} statement${n === 1 ? '' : 's'}${p.version ? `, version ${p.version}` : ''}`;
  }

  function networkText(n) {
    const acl = (l) => (l ? `[${l.join(', ')}]` : 'any');
    return `${n.trustProxy ? 'TRUST_PROXY via ' : ''}${n.type}${n.sourceVpc ? ` (${n.sourceVpc})` : ''}` +
      ` to ${n.instance}: types ${acl(n.networkTypeACL)}, sources ${acl(n.networkSourceACL)}`;
  }

  function renderExplain(rec, note) {
    const body = clear($('explain-body'));
    const kind = decisionKind(rec);
    const trace = rec.trace || (rec.evaluations ? rec : null);
    $('explain-h').textContent = `${kind === 'allow' ? 'Allowed' : kind === 'audit' ? 'Would deny' : 'Denied'}: ` +
      `${pick(rec, 'action', 'Action') || '?'}`;
    if (note) add(body, h('p', { class: 'note' }, note));
    const reason = reasonOf(rec);
    if (reason) add(body, h('p', { class: `reason-line ${kind === 'allow' ? 'allow' : ''}`, id: 'explain-reason' }, reason));
    const layer = layerOf(rec);
    add(body, kv([
      ['Decision', [badge(kind, pick(rec, 'outcome') || kind), ` ${pick(rec, 'decision') || (trace && trace.decision) || ''}`,
        rec.mode ? h('span', { class: 'muted' }, ` (authz ${rec.mode})`) : null]],
      ['Deciding layer', layer ? [layer, rec.layer && rec.layer !== layer ? h('span', { class: 'muted' }, ` (${rec.layer})`) : null] : null],
      ['Rule', trace && trace.rule],
      ['Service', [rec.service, rec.api].filter(Boolean).join(' · ')],
      ['Action', rec.action], ['Resource', rec.resource],
      ['Principal', principalBlock(rec.principal)],
      ['Answer', rec.status ? [String(rec.status), rec.errorCode ? ` ${rec.errorCode}` : ''] : null],
      ['Time', pick(rec, 'time', 'Time')],
      ['Id', rec.id === undefined ? null : String(rec.id)],
      ['Request id', pick(rec, 'requestId', 'request_id')],
    ]));
    add(body, statementBlock('Deciding statement', rec.decidingStatement));
    add(body, statementBlock('Closest statement (nothing allowed; what did not match)', rec.closestStatement));
    const ctx = contextTable(pick(rec, 'context', 'Context'));
    if (ctx) add(body, h('h3', null, 'Request context'), ctx);
    const checks = list(rec.checks);
    if (checks.length > 1) add(body, h('h3', null, `${checks.length} checks`), checks.map(checkBlock));
    if (trace && list(trace.evaluations).length) {
      add(body, h('details', { class: 'trace', open: true }, h('summary', null, h('h3', { class: 'inline' }, 'Engine trace')),
        list(trace.evaluations).map(evaluationBlock)));
    }
    add(body, h('details', { class: 'raw' }, h('summary', null, 'Full record (JSON)'),
      h('pre', null, JSON.stringify(rec, null, 2))));
  }

  async function openExplain(summary, opener) {
    const dlg = $('explain');
    state.opener = opener;
    renderExplain(summary, 'Loading the full record…');
    if (!dlg.open) dlg.showModal();
    $('explain-close').focus();
    if (summary.id === undefined) return;
    try {
      const r = await getJSON(`/_emu/decisions/${encodeURIComponent(summary.id)}`);
      if (r.ok && r.body && typeof r.body === 'object') renderExplain(redact(r.body));
      else renderExplain(summary, `GET /_emu/decisions/${summary.id}: ${errorText(r)}; showing the list entry.`);
    } catch (e) {
      renderExplain(summary, `Cannot load the full record (${e.message}); showing the list entry.`);
    }
  }

  // ---- wiring -----------------------------------------------------------------

  function init() {
    $('reload').addEventListener('click', loadWorld);
    $('token-use').addEventListener('click', submitToken);
    $('token').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') submitToken(); });
    $('accounts').addEventListener('keydown', onTabKey);
    $('denied-only').addEventListener('change', (ev) => {
      state.deniedOnly = ev.target.checked;
      state.decisionsKey = '';
    });
    $('pause').addEventListener('click', (ev) => {
      state.paused = !state.paused;
      ev.target.setAttribute('aria-pressed', String(state.paused));
      ev.target.textContent = state.paused ? 'Resume' : 'Pause';
    });
    const dlg = $('explain');
    $('explain-close').addEventListener('click', () => dlg.close());
    dlg.addEventListener('close', () => { if (state.opener && state.opener.isConnected) state.opener.focus(); });
    // A click on the backdrop (outside the dialog box) closes it too.
    dlg.addEventListener('click', (ev) => { if (ev.target === dlg) dlg.close(); });
    loadWorld();
    pollDecisions();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
