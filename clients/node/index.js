'use strict';
// @acsemu/testing: acsemu from tests, for node:test, mocha, jest and vitest
// alike (nothing here depends on a test framework).
//
//   const { start, World } = require('@acsemu/testing');
//   const emu = await start();                 // acsemu from PATH on a free port, seed world
//   const ots = emu.tablestore(emu.credentials.accountA);   // official `tablestore` client
//   await emu.checkpoint('clean'); ... await emu.restore('clean');
//   await emu.explainFailures(async () => { ... });         // denials appended to a failure
//   await emu.stop();
//
// The official SDKs are peer dependencies, resolved from your project (or
// from `sdkPaths`) only when you ask for a client.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

// ---- the world builder -------------------------------------------------------

// The seed world's credentials (the world acsemu loads when given none).
const SEED_CREDENTIALS = {
  accountA: { accessKeyId: 'LTAIemuAccountA12345', accessKeySecret: 'emu-secret-account-a', accountId: '12345' },
  accountB: { accessKeyId: 'LTAIemuAccountB56789', accessKeySecret: 'emu-secret-account-b', accountId: '56789' },
  etl: { accessKeyId: 'LTAIemuEtlUser56789', accessKeySecret: 'emu-secret-etl', accountId: '56789' },
  odpsForB: { accessKeyId: 'LTAIemuOdpsFor56789', accessKeySecret: 'emu-secret-odps-56789', accountId: '56789' },
};
const SEED_ROLE_ARN = 'acs:ram::12345:role/aliyunodpsroleforotheruser';

function allowDoc(actions, resources = '*') {
  return { Version: '1', Statement: [{ Effect: 'Allow', Action: actions, Resource: resources }] };
}

// Builds a world file (the shape `acsemu --world` loads and GET /_emu/world
// exports). Every method returns the builder, so calls chain; `toJSON()`
// gives the document.
class World {
  constructor(doc = { Region: 'cn-hangzhou', Accounts: [] }) {
    this.doc = JSON.parse(JSON.stringify(doc));
    this.doc.Accounts = this.doc.Accounts || [];
  }

  static fromFile(file) {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    const w = new World(doc);
    w.baseDir = path.dirname(path.resolve(file));
    return w;
  }

  region(r) { this.doc.Region = r; return this; }

  _account(id) {
    let a = this.doc.Accounts.find((x) => x.AccountId === String(id));
    if (!a) throw new Error(`World: no account ${id}; add it with .account('${id}')`);
    return a;
  }

  // account(id, {alias, accessKeyId, accessKeySecret}): an account with a root key.
  account(id, o = {}) {
    const a = { AccountId: String(id) };
    if (o.alias) a.AccountAlias = o.alias;
    if (o.accessKeyId) {
      a.AccessKeys = [{ AccessKeyId: o.accessKeyId, AccessKeySecret: o.accessKeySecret, Status: 'Active' }];
    }
    this.doc.Accounts.push(a);
    return this;
  }

  // policy(account, name, document): a custom policy (document: object or JSON text).
  policy(account, name, document, description) {
    const a = this._account(account);
    (a.Policies = a.Policies || []).push({ PolicyName: name, PolicyDocument: document,
      ...(description ? { Description: description } : {}) });
    return this;
  }

  // user(account, name, {accessKeyId, accessKeySecret, policies: [names], groups: [names]})
  user(account, name, o = {}) {
    const a = this._account(account);
    const u = { UserName: name };
    if (o.accessKeyId) u.AccessKeys = [{ AccessKeyId: o.accessKeyId, AccessKeySecret: o.accessKeySecret, Status: 'Active' }];
    if (o.policies) u.AttachedPolicies = o.policies.map(refOf);
    if (o.groups) u.Groups = o.groups;
    (a.Users = a.Users || []).push(u);
    return this;
  }

  group(account, name, o = {}) {
    const a = this._account(account);
    const g = { GroupName: name };
    if (o.policies) g.AttachedPolicies = o.policies.map(refOf);
    (a.Groups = a.Groups || []).push(g);
    return this;
  }

  // role(account, name, {trust, policies, maxSessionDuration}); trust is a
  // trust-policy document, or {service: 'UID@odps.aliyuncs.com'} /
  // {ram: 'acs:ram::UID:root'} for the one-statement case.
  role(account, name, o = {}) {
    const a = this._account(account);
    let trust = o.trust || { ram: `acs:ram::${account}:root` };
    if (!trust.Statement) {
      const principal = trust.service ? { Service: [].concat(trust.service) } : { RAM: [].concat(trust.ram) };
      trust = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: principal }] };
    }
    const r = { RoleName: name, AssumeRolePolicyDocument: trust };
    if (o.maxSessionDuration) r.MaxSessionDuration = o.maxSessionDuration;
    if (o.policies) r.AttachedPolicies = o.policies.map(refOf);
    (a.Roles = a.Roles || []).push(r);
    return this;
  }

  // table(account, instance, table, primaryKey, {columns, rows, ttl, maxVersions})
  //   primaryKey: [['vid', 'INTEGER'], ['gt', 'INTEGER']] or [{Name, Type}]
  table(account, instance, table, primaryKey, o = {}) {
    const a = this._account(account);
    const ts = a.Tablestore = a.Tablestore || { Instances: [] };
    let inst = ts.Instances.find((i) => i.InstanceName === instance);
    if (!inst) ts.Instances.push(inst = { InstanceName: instance, Tables: [] });
    const col = (c) => (Array.isArray(c) ? { Name: c[0], Type: c[1] } : c);
    const t = { TableName: table, PrimaryKey: primaryKey.map(col) };
    if (o.columns) t.DefinedColumns = o.columns.map(col);
    if (o.ttl !== undefined) t.TimeToLive = o.ttl;
    if (o.maxVersions !== undefined) t.MaxVersions = o.maxVersions;
    if (o.rows) t.Rows = o.rows;
    (inst.Tables = inst.Tables || []).push(t);
    return this;
  }

  // project(account, name): a MaxCompute project.
  project(account, name) {
    const a = this._account(account);
    const mc = a.MaxCompute = a.MaxCompute || { Projects: [] };
    mc.Projects.push({ Name: name });
    return this;
  }

  // serviceCredentials(account, service, id, secret): keys to act as a cloud
  // service working for the account (principal UID@service).
  serviceCredentials(account, service, accessKeyId, accessKeySecret) {
    const a = this._account(account);
    (a.ServiceCredentials = a.ServiceCredentials || []).push({ Service: service, AccessKeyId: accessKeyId, AccessKeySecret: accessKeySecret });
    return this;
  }

  toJSON() { return this.doc; }

  // Every long-term key of the world: {name: {accessKeyId, accessKeySecret, accountId}}
  // named by account id ("12345"), "UID/userName" and "UID@service".
  credentials() {
    const out = {};
    for (const a of this.doc.Accounts) {
      const k = (a.AccessKeys || [])[0];
      if (k) out[a.AccountId] = cred(k, a.AccountId);
      for (const u of a.Users || []) {
        if (u.AccessKeys && u.AccessKeys[0]) out[`${a.AccountId}/${u.UserName}`] = cred(u.AccessKeys[0], a.AccountId);
      }
      for (const s of a.ServiceCredentials || []) out[`${a.AccountId}@${s.Service}`] = cred(s, a.AccountId);
    }
    return out;
  }
}

// A policy name is a Custom policy of the account; give {PolicyName, PolicyType: 'System'}
// for a System policy such as AliyunOTSReadOnlyAccess.
function refOf(p) { return typeof p === 'string' ? { PolicyName: p, PolicyType: 'Custom' } : p; }
function cred(k, accountId) { return { accessKeyId: k.AccessKeyId, accessKeySecret: k.AccessKeySecret, accountId }; }

// ---- starting acsemu ---------------------------------------------------------

function findBinary(bin) {
  if (bin) return bin;
  if (process.env.ACSEMU_BIN) return process.env.ACSEMU_BIN;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir || '.', 'acsemu');
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  throw new Error('acsemu not found: install the acsemu package (acsemu on PATH), '
    + 'set ACSEMU_BIN, or pass start({bin: "/path/to/acsemu"})');
}

function request(host, port, method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: p, headers }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// start(options) → an Emulator once acsemu is serving.
//   bin        path of acsemu (default: $ACSEMU_BIN, else acsemu on PATH)
//   world      a World, a world document, or a file path (default: the seed)
//   args       more acsemu options, e.g. ['--authz', 'audit']
//   env        more environment for acsemu
//   adminToken sent as Authorization: Bearer on /_emu/ calls (default $ACSEMU_ADMIN_TOKEN)
//   sdkPaths   where to resolve the SDK packages from (default: process.cwd())
//   timeoutMs  how long to wait for the ready line (default 20000)
//   endpoint   attach to an acsemu that is already running (default $ACSEMU_ENDPOINT,
//              unless bin is given), e.g. a CI service; stop() then leaves it running
async function start(options = {}) {
  const endpoint = options.endpoint || (!options.bin && process.env.ACSEMU_ENDPOINT);
  if (endpoint) return attach(endpoint, options);
  const bin = findBinary(options.bin);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acsemu-'));
  const ready = path.join(dir, 'ready.json');
  const args = ['--port', '0', '--ready-file', ready, '--state-dir', path.join(dir, 'state')];
  let worldDoc = null;
  if (options.world instanceof World || (options.world && typeof options.world === 'object')) {
    worldDoc = options.world instanceof World ? options.world.toJSON() : options.world;
    const file = path.join(options.world.baseDir || dir, `.acsemu-world-${process.pid}-${path.basename(dir)}.json`);
    fs.writeFileSync(file, JSON.stringify(worldDoc));
    args.push('--world', file);
  } else if (typeof options.world === 'string') {
    args.push('--world', options.world);
    worldDoc = JSON.parse(fs.readFileSync(options.world, 'utf8'));
  }
  args.push(...(options.args || []));
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(options.env || {}) } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-65536); });
  child.stdout.resume();
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (e) => resolve({ error: `${bin}: ${e.message}` }));
  });
  const deadline = Date.now() + (options.timeoutMs || 20000);
  const worldFile = args[args.indexOf('--world') + 1];
  const cleanup = () => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (worldDoc && worldFile && path.basename(worldFile).startsWith('.acsemu-world-')) fs.rmSync(worldFile, { force: true });
  };
  for (;;) {
    if (fs.existsSync(ready) && fs.statSync(ready).size > 0) break;
    const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 10))]);
    if (done) { cleanup(); throw new Error(`acsemu exited before it was ready (${JSON.stringify(done)}):\n${stderr}`); }
    if (Date.now() > deadline) { child.kill('SIGKILL'); cleanup(); throw new Error(`acsemu was not ready in time:\n${stderr}`); }
  }
  const info = JSON.parse(fs.readFileSync(ready, 'utf8'));
  return new Emulator({ child, info, exited, cleanup, worldDoc, options, stderr: () => stderr });
}

// An Emulator for an acsemu started elsewhere (a CI service): checked with
// GET /_emu/health; the world is assumed to be the seed unless options.world
// (a World or document) says what was loaded.
async function attach(endpoint, options) {
  const u = new URL(endpoint);
  if (u.protocol !== 'http:') throw new Error(`ACSEMU_ENDPOINT ${endpoint}: give the http:// endpoint`);
  const info = { endpoint: u.origin, host: u.hostname, port: Number(u.port || 80), attached: true };
  const worldDoc = options.world instanceof World ? options.world.toJSON()
    : options.world && typeof options.world === 'object' ? options.world : null;
  const emu = new Emulator({ child: null, info, exited: Promise.resolve({ code: 0 }), cleanup: () => {}, worldDoc, options, stderr: () => '' });
  const h = await emu.health().catch((e) => { throw new Error(`acsemu at ${endpoint} does not answer /_emu/health: ${e.message}`); });
  if (!h || h.status !== 'ready') throw new Error(`acsemu at ${endpoint}: health ${JSON.stringify(h)}`);
  return emu;
}

class Emulator {
  constructor({ child, info, exited, cleanup, worldDoc, options, stderr }) {
    this.child = child;
    this.info = info;
    this.host = info.host || '127.0.0.1';
    this.port = info.port;
    this.endpoint = info.attached ? info.endpoint : `http://127.0.0.1:${info.port}`;
    this._exited = exited;
    this._cleanup = cleanup;
    this._options = options;
    this._stderr = stderr;
    this.adminToken = options.adminToken || process.env.ACSEMU_ADMIN_TOKEN || null;
    // Long-term keys by name: the seed's (accountA, accountB, etl, odpsForB)
    // when no world was given, else those of World#credentials().
    this.credentials = worldDoc ? new World(worldDoc).credentials() : { ...SEED_CREDENTIALS };
    this.seedRoleArn = SEED_ROLE_ARN;
  }

  get stderr() { return this._stderr(); }

  // One admin call: JSON in and out; POSTs carry Content-Type: application/json.
  async admin(method, p, body) {
    const headers = {};
    if (this.adminToken) headers.authorization = `Bearer ${this.adminToken}`;
    let data;
    if (method !== 'GET' && method !== 'HEAD') {
      headers['content-type'] = 'application/json';
      data = JSON.stringify(body === undefined ? {} : body);
    }
    const r = await request(this.host, this.port, method, `/_emu/${p.replace(/^\/+/, '')}`, data, headers);
    let json = null;
    try { json = r.body ? JSON.parse(r.body) : null; } catch { /* not JSON */ }
    if (r.status >= 400) {
      throw new Error(`acsemu ${method} /_emu/${p}: ${r.status} ${r.body.slice(0, 500)}`);
    }
    return json;
  }

  health() { return this.admin('GET', 'health'); }
  // Back to the loaded world and the real clock (use between tests).
  reset() { return this.admin('POST', 'reset'); }
  checkpoint(name) { return this.admin('POST', `checkpoints/${encodeURIComponent(name)}`); }
  restore(name) { return this.admin('POST', `checkpoints/${encodeURIComponent(name)}/restore`); }
  world() { return this.admin('GET', 'world'); }
  advanceClock(seconds) { return this.admin('POST', 'clock', { advance_seconds: seconds }); }
  decision(id) { return this.admin('GET', `decisions/${encodeURIComponent(id)}`); }
  // Recent denials, newest first: GET /_emu/decisions?denied=1&limit=N.
  async denials(limit = 10) {
    const l = await this.admin('GET', `decisions?denied=1&limit=${limit}`);
    return l.decisions || [];
  }

  // Newest decision id, to tell later decisions from earlier ones.
  async _mark() {
    const l = await this.admin('GET', 'decisions?limit=1');
    return l.decisions && l.decisions[0] ? Number(l.decisions[0].id.slice(2)) : 0;
  }

  // Denials recorded after `mark`, fully explained (GET /_emu/decisions/ID),
  // oldest first.
  async denialsSince(mark, limit = 5) {
    const list = (await this.denials(50)).filter((d) => Number(d.id.slice(2)) > mark).slice(0, limit);
    const out = [];
    for (const d of list.reverse()) out.push(await this.decision(d.id));
    return out;
  }

  // Text that says why: one paragraph per decision.
  static formatDecisions(decisions) {
    return decisions.map((d) => {
      const lines = [`acsemu decision ${d.id}: ${d.outcome} ${d.action} on ${d.resource}`,
        `  principal: ${d.principal && d.principal.arn}`,
        `  decided by: ${d.decidingLayer} (${d.decision})`,
        `  reason: ${d.reason}`];
      const cs = d.closestStatement;
      if (cs) {
        lines.push(`  closest statement: ${cs.policy} (${cs.type}) ${cs.pointer}`);
        for (const m of cs.mismatch || []) lines.push(`    ${m.element}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.actual)}`);
      }
      return lines.join('\n');
    }).join('\n');
  }

  // Runs fn; if it throws (an assertion or an SDK error), the denials
  // acsemu recorded while it ran are appended to the error's message, so the
  // test report says which policy refused what. Works in any framework.
  async explainFailures(fn) {
    const mark = await this._mark();
    try {
      return await fn();
    } catch (err) {
      let text;
      try {
        const ds = await this.denialsSince(mark);
        text = ds.length ? Emulator.formatDecisions(ds) : 'acsemu: no request was denied during this step';
      } catch (e) {
        text = `acsemu: could not read decisions: ${e.message}`;
      }
      if (err && typeof err === 'object') {
        try { err.message = `${err.message}\n${text}`; } catch { /* read-only */ }
        if (typeof err.stack === 'string') err.stack = `${err.stack}\n${text}`;
        err.acsemuDecisions = text;
      }
      throw err;
    }
  }

  // ---- ready-made official SDK clients -------------------------------------

  _require(name) {
    const paths = [...(this._options.sdkPaths || []), process.cwd()];
    try {
      return require(require.resolve(name, { paths }));
    } catch (e) {
      throw new Error(`${name} is not installed (npm install ${name}); looked in ${paths.join(', ')}`);
    }
  }

  // The `tablestore` SDK's Client for an instance (default: cap1 of the seed).
  tablestore(credentials = this.credentials.accountA || Object.values(this.credentials)[0], o = {}) {
    const TableStore = this._require('tablestore');
    return new TableStore.Client({ endpoint: this.endpoint, instancename: o.instance || 'cap1', maxRetries: 0,
      accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.accessKeySecret,
      ...(credentials.securityToken ? { stsToken: credentials.securityToken } : {}) });
  }

  _openapiConfig(credentials) {
    const { $OpenApiUtil } = this._require('@alicloud/openapi-core');
    return new $OpenApiUtil.Config({ accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret,
      ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
      endpoint: `${this.host}:${this.port}`, protocol: 'http', regionId: 'cn-hangzhou' });
  }

  // @alicloud/sts20150401 and @alicloud/ram20150501 clients.
  sts(credentials) { return new (this._require('@alicloud/sts20150401').default)(this._openapiConfig(credentials)); }
  ram(credentials) { return new (this._require('@alicloud/ram20150501').default)(this._openapiConfig(credentials)); }
  // @alicloud/pop-core RPCClient for 2015-04-01 (STS) or 2015-05-01 (RAM).
  rpc(credentials, apiVersion = '2015-04-01') {
    const RPCClient = this._require('@alicloud/pop-core');
    return new RPCClient({ endpoint: this.endpoint, apiVersion, accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret, ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}) });
  }

  // AssumeRole through the official STS SDK; returns credentials for the
  // clients above ({accessKeyId, accessKeySecret, securityToken}).
  async assumeRole(credentials, roleArn = SEED_ROLE_ARN, sessionName = 'acsemu-test') {
    const Sts = this._require('@alicloud/sts20150401');
    const r = await this.sts(credentials).assumeRole(new Sts.AssumeRoleRequest({ roleArn, roleSessionName: sessionName }));
    const c = r.body.credentials;
    return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken, expiration: c.expiration };
  }

  // SIGTERM, wait for exit; rejects on a non-zero exit status.
  async stop() {
    if (!this.child) return { code: 0 }; // attached: not ours to stop
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const r = await this._exited;
    this._cleanup();
    if (r.code !== 0) throw new Error(`acsemu exited ${JSON.stringify(r)}:\n${this.stderr}`);
    return r;
  }
}

module.exports = { start, World, Emulator, SEED_CREDENTIALS, SEED_ROLE_ARN, allowDoc };
