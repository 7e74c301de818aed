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

// --- the instance tunnel (§8.6), read the way pyodps reads it ----------------------------
// (odps/tunnel/io/reader.py, checksum.py, wireconstants.py); its own CRC-32C.
const CRC32C = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82F63B78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return (crc, buf) => {
    crc = ~crc >>> 0;
    for (const b of buf) crc = (t[(crc ^ b) & 0xff] ^ (crc >>> 8)) >>> 0;
    return ~crc >>> 0;
  };
})();
const le32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
const TUNNEL_END_RECORD = 33553408, TUNNEL_META_COUNT = 33554430, TUNNEL_META_CHECKSUM = 33554431;

// Decodes a record stream for column types (as the session's Schema names
// them). Returns { rows, count } or throws naming what is wrong.
function decodeRecords(buf, types) {
  let i = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error(`truncated varint at ${i}`);
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  const unzig = (u) => (u >> 1n) ^ -(u & 1n);
  const rows = [];
  let row = types.map(() => null), crc = 0, crccrc = 0;
  for (;;) {
    const tag = Number(varint());
    const field = Math.floor(tag / 8), wt = tag & 7;
    if (field === TUNNEL_END_RECORD) {
      const want = Number(varint());
      if (want !== crc) throw new Error(`record ${rows.length}: checksum ${want} != ${crc}`);
      crccrc = CRC32C(crccrc, le32(crc));
      crc = 0;
      rows.push(row);
      row = types.map(() => null);
      continue;
    }
    if (field === TUNNEL_META_COUNT) {
      const count = Number(unzig(varint()));
      if (count !== rows.length) throw new Error(`count ${count} != ${rows.length} records`);
      if (Math.floor(Number(varint()) / 8) !== TUNNEL_META_CHECKSUM) throw new Error('no stream checksum');
      const want = Number(varint());
      if (want !== crccrc) throw new Error(`stream checksum ${want} != ${crccrc}`);
      if (i !== buf.length) throw new Error('bytes after the trailer');
      return { rows, count };
    }
    if (field < 1 || field > types.length) throw new Error(`field ${field} outside the schema`);
    crc = CRC32C(crc, le32(field));
    const t = types[field - 1];
    if (t === 'bigint' || t === 'datetime') { // datetime: sint64 milliseconds
      if (wt !== 0) throw new Error('bigint wire type');
      const v = BigInt.asIntN(64, unzig(varint()));
      const b = Buffer.alloc(8); b.writeBigInt64LE(v); crc = CRC32C(crc, b);
      row[field - 1] = Number(v);
    } else if (t === 'double') {
      if (wt !== 1) throw new Error('double wire type');
      const b = buf.subarray(i, i + 8); i += 8; crc = CRC32C(crc, b);
      row[field - 1] = b.readDoubleLE(0);
    } else if (t === 'boolean') {
      const v = Number(varint()); crc = CRC32C(crc, Buffer.from([v]));
      row[field - 1] = v === 1;
    } else {
      if (wt !== 2) throw new Error('string wire type');
      const n = Number(varint()); const b = buf.subarray(i, i + n); i += n; crc = CRC32C(crc, b);
      row[field - 1] = b.toString('utf8');
    }
  }
}

// The tunnel calls of open_reader(): ?service on the service endpoint, then
// the session and its data on the tunnel endpoint (no /api). Returns
// { service, session, data (raw response), rows, count }; with arrow, the
// data as Arrow (?arrow) and no rows: the caller decodes it.
async function tunnelRead(emu, { ak, secret, project }, id, { start = 0, count, columns, prefix = '/api', arrow = false } = {}) {
  const o = (params, headers = {}) => ({ ak, secret, params: { curr_project: project, ...params }, headers: { 'x-odps-tunnel-version': '6', ...headers } });
  const service = await call(emu, 'GET', `${prefix}/projects/${project}/tunnel`, o({ service: '' }));
  if (service.status !== 200) throw new Error(`tunnel service: ${service.status} ${service.body}`);
  const base = `/projects/${project}/instances/${id}`;
  const created = await call(emu, 'POST', base, o({ downloads: '' }, { 'Content-Length': '0' }));
  if (created.status !== 201) return { service, created };
  const session = JSON.parse(created.body);
  const n = count === undefined ? session.RecordCount - start : count;
  const data = await call(emu, 'GET', base, o({ downloadid: session.DownloadID, rowrange: `(${start},${n})`, data: '', ...(columns ? { columns } : {}), ...(arrow ? { arrow: '' } : {}) }));
  if (data.status !== 200 || arrow) return { service, created, session, data };
  const names = columns ? columns.split(',') : session.Schema.columns.map((c) => c.name);
  const types = names.map((nm) => session.Schema.columns.find((c) => c.name === nm).type);
  return { service, created, session, data, ...decodeRecords(data.raw, types) };
}

module.exports = { SEED_DDL, decodeRecords, tunnelRead, CRC32C, stringToSign, authorization, call, xmlText, instanceXml, parseCsv, session, canonicalResource };
