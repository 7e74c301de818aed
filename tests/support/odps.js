'use strict';
// A MaxCompute REST client for tests, written from the spec
// (maxcompute-external-table.md §8.2-§8.7) with Node's crypto only: ODPS
// v2/v4 signing, instance creation with an SQL task, status, source and the
// CSV result, the way pyodps calls them. Independent of the emulator's C
// signer on purpose.
const crypto = require('node:crypto');

// §8.2: canonical resource = path after the endpoint (no /api), decoded,
// then '?' + sorted params ("name" alone when the value is empty).
function canonicalResource(path, params) {
  let p = decodeURIComponent(path);
  if (p === '/api') p = '/';
  else if (p.startsWith('/api/')) p = p.slice(4);
  const keys = Object.keys(params).sort();
  if (!keys.length) return p;
  return p + '?' + keys.map((k) => (params[k] === '' ? k : `${k}=${params[k]}`)).join('&');
}

function stringToSign(method, path, params, headers) {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const lines = [method.toUpperCase(), lower['content-md5'] || '', lower['content-type'] || '', lower.date || ''];
  const odps = {};
  for (const [k, v] of Object.entries(lower)) if (k.startsWith('x-odps-')) odps[k] = v.trim();
  for (const [k, v] of Object.entries(params)) if (k.startsWith('x-odps-')) odps[k] = v;
  for (const k of Object.keys(odps).sort()) lines.push(`${k}:${odps[k]}`);
  lines.push(canonicalResource(path, params));
  return lines.join('\n');
}

function v4Key(secret, date, region) {
  let k = crypto.createHmac('sha256', 'aliyun_v4' + secret).update(date).digest();
  k = crypto.createHmac('sha256', k).update(region).digest();
  k = crypto.createHmac('sha256', k).update('odps').digest();
  return crypto.createHmac('sha256', k).update('aliyun_v4_request').digest();
}

// Returns the Authorization value. v4: { region } (date from the Date header).
function authorization({ method, path, params, headers, ak, secret, v4 }) {
  const sts = stringToSign(method, path, params, headers);
  if (!v4) return `ODPS ${ak}:${crypto.createHmac('sha1', secret).update(sts).digest('base64')}`;
  const d = new Date(headers.Date || headers.date);
  const ymd = d.toISOString().slice(0, 10).replace(/-/g, '');
  const key = v4Key(secret, ymd, v4.region);
  return `ODPS ${ak}/${ymd}/${v4.region}/odps/aliyun_v4_request:${crypto.createHmac('sha1', key).update(sts).digest('base64')}`;
}

function query(params) {
  const keys = Object.keys(params);
  if (!keys.length) return '';
  return '?' + keys.map((k) => (params[k] === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`)).join('&');
}

// One signed call. opts: { ak, secret, params, body, contentType, v4, date, headers, badSignature }
async function call(emu, method, path, opts) {
  const params = { ...(opts.params || {}) };
  const headers = {
    Date: opts.date || new Date().toUTCString(),
    'x-odps-user-agent': 'acsemu-tests',
    ...(opts.contentType ? { 'Content-Type': opts.contentType } : {}),
    ...(opts.headers || {}),
  };
  if (opts.ak) {
    let auth = authorization({ method, path, params, headers, ak: opts.ak, secret: opts.secret, v4: opts.v4 });
    if (opts.badSignature) auth = auth.slice(0, -4) + 'AAA=';
    headers.Authorization = auth;
  }
  return emu.request(method, path + query(params), opts.body, headers);
}

function xmlText(xml, tag) {
  const m = new RegExp(`<${tag}(?: [^>]*)?>([\\s\\S]*?)</${tag}>`).exec(xml);
  if (!m) return undefined;
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(m[1]);
  const t = cdata ? cdata[1].replace(/\]\]\]\]><!\[CDATA\[>/g, ']]>') : m[1];
  return cdata ? t : t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

// §8.5: the body pyodps sends.
function instanceXml(sql) {
  return '<?xml version="1.0" encoding="utf-8"?>\n<Instance><Job><Priority>9</Priority><Tasks><SQL>' +
    '<Name>AnonymousSQLTask</Name><Config><Property><Name>uuid</Name><Value>0b6f2f4c</Value></Property>' +
    '<Property><Name>settings</Name><Value>{"odps.sql.type.system.odps2": "true"}</Value></Property></Config>' +
    `<Query><![CDATA[${sql};]]></Query></SQL></Tasks><DAG><RunMode>Sequence</RunMode></DAG></Job></Instance>`;
}

// RFC 4180 rows; "\N" → null.
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', q = false, quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
    } else if (c === '"') { q = true; quoted = true; } else if (c === ',') { row.push(quoted || cell !== '\\N' ? cell : null); cell = ''; quoted = false; } else if (c === '\n') { row.push(quoted || cell !== '\\N' ? cell : null); rows.push(row); row = []; cell = ''; quoted = false; } else cell += c;
  }
  if (cell !== '' || row.length) { row.push(quoted || cell !== '\\N' ? cell : null); rows.push(row); }
  return rows;
}

// Runs one SQL task as pyodps does: create (201 + Location), status,
// task status, source, result. Returns { id, status, format, text, descriptor, rows, columns, timings }.
function session(emu, { ak, secret, project, prefix = '/api', v4 }) {
  const base = `${prefix}/projects/${project}`;
  const p = (extra = {}) => ({ curr_project: project, ...extra });
  const o = (extra) => ({ ak, secret, v4, ...extra });
  async function sql(query) {
    const r = await call(emu, 'POST', `${base}/instances`, o({ params: p(), body: instanceXml(query), contentType: 'application/xml' }));
    if (r.status !== 201) throw new Error(`create instance: ${r.status} ${r.body}`);
    if (r.body !== '') throw new Error('create instance answered a body');
    const id = r.headers.location.slice(r.headers.location.lastIndexOf('/') + 1);
    const st = await call(emu, 'GET', `${base}/instances/${id}`, o({ params: p({ instancestatus: '' }) }));
    if (st.status !== 200 || xmlText(st.body, 'Status') !== 'Terminated') throw new Error(`status: ${st.status} ${st.body}`);
    if (!st.headers['x-odps-start-time'] || !st.headers['x-odps-end-time']) throw new Error('no start/end time');
    const ts = await call(emu, 'GET', `${base}/instances/${id}`, o({ params: p({ taskstatus: '' }) }));
    const src = await call(emu, 'GET', `${base}/instances/${id}`, o({ params: p({ source: '' }) }));
    const res = await call(emu, 'GET', `${base}/instances/${id}`, o({ params: p({ result: '' }) }));
    if (res.status !== 200) throw new Error(`result: ${res.status} ${res.body}`);
    const task = /<Task Type="SQL">([\s\S]*)<\/Task>/.exec(res.body)[1];
    const format = /<Result Format="(\w+)"/.exec(task)[1];
    const text = xmlText(task, 'Result');
    const d = xmlText(task, 'ResultDescriptor');
    const out = {
      id, location: r.headers.location, taskStatus: ts.body, source: src.body,
      status: xmlText(task, 'Status'), format, text, descriptor: d ? JSON.parse(d) : null,
      timings: res.headers['x-acsemu-timings'] ? JSON.parse(res.headers['x-acsemu-timings']) : null,
    };
    if (format === 'csv') {
      const rows = parseCsv(text);
      out.columns = rows[0];
      out.rows = rows.slice(1);
    }
    return out;
  }
  return { sql, call: (method, path, extra) => call(emu, method, path, o(extra)) };
}

// The seed's DDL, verbatim (seed/cross-account-authorization.md).
const SEED_DDL = `CREATE EXTERNAL TABLE ads_log_ots_pt_external
(
vid bigint,
gt bigint,
longitude double,
latitude double,
distance double ,
speed double,
oil_consumption double
)
STORED BY 'com.aliyun.odps.TableStoreStorageHandler'
WITH SERDEPROPERTIES (
'tablestore.columns.mapping'=':vid, :gt, longitude, latitude, distance, speed, oil_consumption',
'tablestore.table.name'='vehicle_track',
'odps.properties.rolearn'='acs:ram::12345:role/aliyunodpsroleforotheruser'
)
LOCATION 'tablestore://cap1.cn-hangzhou.ots-internal.aliyuncs.com'
USING 'odps-udf-example.jar'
            `;

module.exports = { SEED_DDL, stringToSign, authorization, call, xmlText, instanceXml, parseCsv, session, canonicalResource };
