'use strict';
// Hand-built Tablestore requests for integration and load tests (no SDK):
// minimal protobuf, PlainBuffer rows with CRC8 (tablestore-protocol.md §7),
// the request signature (§3.1) and decoders for Error and BatchWriteRow
// answers. The seed world's account A owns instance cap1 with table
// vehicle_track (PK vid INTEGER, gt INTEGER).
const crypto = require('node:crypto');

const A = { ak: 'LTAIemuAccountA12345', secret: 'emu-secret-account-a' };
const TABLE = 'vehicle_track';

// --- protobuf -------------------------------------------------------------------
function varint(n) {
  const out = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
const pbBytes = (field, buf) => Buffer.concat([varint((field << 3) | 2), varint(buf.length), Buffer.from(buf)]);
const pbString = (field, s) => pbBytes(field, Buffer.from(s));
const pbInt = (field, n) => Buffer.concat([varint(field << 3), varint(n)]);

// Decodes one message level: { field: [value, ...] } (varints as BigInt,
// length-delimited as Buffer).
function pbDecode(buf) {
  const out = {};
  let i = 0;
  const rd = () => {
    let v = 0n, s = 0n, b;
    do { b = buf[i++]; v |= BigInt(b & 0x7f) << s; s += 7n; } while (b & 0x80);
    return v;
  };
  while (i < buf.length) {
    const key = Number(rd());
    const f = key >> 3, wt = key & 7;
    let v;
    if (wt === 0) v = rd();
    else if (wt === 2) { const n = Number(rd()); v = buf.subarray(i, i + n); i += n; }
    else throw new Error('wire type ' + wt);
    (out[f] = out[f] || []).push(v);
  }
  return out;
}

// --- PlainBuffer ------------------------------------------------------------------
const CRC8 = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
    t[i] = c;
  }
  return t;
})();
const crc8 = (crc, bytes) => { for (const b of bytes) crc = CRC8[crc ^ b]; return crc; };
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };

// A value: BigInt → INTEGER, number → DOUBLE, string → STRING, boolean.
function encValue(v) {
  if (typeof v === 'bigint') { const b = Buffer.alloc(9); b[0] = 0; b.writeBigInt64LE(v, 1); return b; }
  if (typeof v === 'number') { const b = Buffer.alloc(9); b[0] = 1; b.writeDoubleLE(v, 1); return b; }
  if (typeof v === 'boolean') return Buffer.from([2, v ? 1 : 0]);
  const s = Buffer.from(v);
  return Buffer.concat([Buffer.from([3]), u32(s.length), s]);
}

function encCell(name, v) {
  const nb = Buffer.from(name);
  const val = encValue(v);
  const c = crc8(crc8(0, nb), val);
  return { crc: c, bytes: Buffer.concat([Buffer.from([0x03, 0x04]), u32(nb.length), nb, Buffer.from([0x05]),
    u32(val.length), val, Buffer.from([0x0a, c])]) };
}

// A row: pk and attrs are [[name, value], ...]. opts.badCrc corrupts the
// row checksum.
function plainRow(pk, attrs = [], opts = {}) {
  const parts = [u32(0x75), Buffer.from([0x01])];
  let rowCrc = 0;
  for (const [n, v] of pk) { const c = encCell(n, v); parts.push(c.bytes); rowCrc = CRC8[rowCrc ^ c.crc]; }
  if (attrs.length) {
    parts.push(Buffer.from([0x02]));
    for (const [n, v] of attrs) { const c = encCell(n, v); parts.push(c.bytes); rowCrc = CRC8[rowCrc ^ c.crc]; }
  }
  rowCrc = CRC8[rowCrc ^ 0];
  parts.push(Buffer.from([0x09, opts.badCrc ? rowCrc ^ 0x5a : rowCrc]));
  return Buffer.concat(parts);
}

const pk = (vid, gt) => [['vid', BigInt(vid)], ['gt', BigInt(gt)]];
const IGNORE = pbBytes(3, pbInt(1, 0)); // Condition { row_existence: IGNORE }

const putRowBody = (vid, gt, attrs = [['speed', 42.5]], table = TABLE) =>
  Buffer.concat([pbString(1, table), pbBytes(2, plainRow(pk(vid, gt), attrs)), IGNORE]);
const getRowBody = (vid, gt, table = TABLE) =>
  Buffer.concat([pbString(1, table), pbBytes(2, plainRow(pk(vid, gt))), pbInt(5, 1)]);
// rows: [[vid, gt], ...] PUT into one table.
function batchWriteBody(rows, table = TABLE) {
  const rs = rows.map(([vid, gt]) => pbBytes(2, Buffer.concat([pbInt(1, 1),
    pbBytes(2, plainRow(pk(vid, gt), [['speed', 1.5]])), IGNORE])));
  return pbBytes(1, Buffer.concat([pbString(1, table), ...rs]));
}

// --- signing and sending ----------------------------------------------------------------
const b64md5 = (b) => crypto.createHash('md5').update(b).digest('base64');
const hmac = (k, s) => crypto.createHmac('sha1', k).update(s).digest('base64');

// The request headers of §3.1. o is a credential ({ak, secret, token?};
// a token goes in x-ots-ststoken) or options for the tests that break the
// request on purpose: { cred, instance, date, md5 (of the body),
// secret (signs instead of cred.secret), extra (more headers), omit (header
// names to leave out, x-ots-signature too), host }.
function signed(op, body, o = {}) {
  if (o.ak) o = { cred: o };
  const cred = o.cred || A;
  const h = {
    'x-ots-date': o.date || new Date().toISOString(),
    'x-ots-apiversion': '2015-12-31',
    'x-ots-accesskeyid': cred.ak,
    'x-ots-instancename': o.instance || 'cap1',
    'x-ots-contentmd5': o.md5 || b64md5(body),
    ...(cred.token ? { 'x-ots-ststoken': cred.token } : {}),
    ...(o.extra || {}),
  };
  for (const k of o.omit || []) delete h[k];
  const sts = `/${op}\nPOST\n\n` + Object.keys(h).filter((k) => k.startsWith('x-ots-')).sort()
    .map((k) => `${k}:${h[k]}\n`).join('');
  if (!(o.omit || []).includes('x-ots-signature')) h['x-ots-signature'] = hmac(o.secret || cred.secret, sts);
  if (o.host) h.host = o.host;
  return h;
}

// The Authorization header a response to op must carry (§4.2): the x-ots-
// headers of the response, sorted, then "/op", signed with cred's secret.
function responseAuthorization(headers, op, cred = A) {
  const sts = Object.keys(headers).filter((k) => k.startsWith('x-ots-')).sort()
    .map((k) => `${k}:${headers[k]}\n`).join('') + '/' + op;
  return `OTS ${cred.ak}:${hmac(cred.secret, sts)}`;
}

// The raw HTTP/1.1 request bytes (for raw sockets and the load generator).
function rawRequest(op, body, cred = A, extraHeaders = {}) {
  const h = { host: 'cap1.localhost', ...signed(op, body, cred), 'content-length': String(body.length), ...extraHeaders };
  const head = `POST /${op} HTTP/1.1\r\n` + Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
  return Buffer.concat([Buffer.from(head), body]);
}

// Sends through emu.request (tests/support/emu.js); resolves {status, headers, raw}.
function send(emu, op, body, cred = A) {
  return emu.request('POST', '/' + op, body, signed(op, body, cred));
}

// Error { code = 1, message = 2 }.
function errorOf(raw) {
  const m = pbDecode(raw);
  return { code: m[1] ? m[1][0].toString() : undefined, message: m[2] ? m[2][0].toString() : undefined };
}

// BatchWriteRowResponse → [{table, rows: [{ok, code, message}]}].
function batchWriteResult(raw) {
  const m = pbDecode(raw);
  return (m[1] || []).map((t) => {
    const tm = pbDecode(t);
    return {
      table: tm[1][0].toString(),
      rows: (tm[2] || []).map((r) => {
        const rm = pbDecode(r);
        const e = rm[2] ? errorOf(rm[2][0]) : {};
        return { ok: rm[1][0] === 1n, code: e.code, message: e.message };
      }),
    };
  });
}

module.exports = {
  A, TABLE, varint, pbBytes, pbString, pbInt, pbDecode, CRC8, crc8, u32, plainRow, pk, IGNORE,
  putRowBody, getRowBody, batchWriteBody, b64md5, signed, responseAuthorization, rawRequest, send, errorOf,
  batchWriteResult,
};
