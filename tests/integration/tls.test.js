'use strict';
// HTTPS on the same port (DESIGN.md §1): the generated local CA, requests
// over TLS next to plain HTTP, broken handshakes that cost only their own
// connection, reuse of the CA across starts, and --tls-cert/--tls-key.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const https = require('node:https');
const { start, run, raw, SRC, tmpdir } = require('../support/emu');
const { v1Path } = require('../support/sign');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/basic.json');
const mode = (f) => fs.statSync(f).mode & 0o777;

test('HTTPS on the same port', async (t) => {
  const state = path.join(tmpdir(), 'state');
  const emu = await start({ world: WORLD, args: ['--state-dir', state] });
  t.after(() => emu.stop());

  await t.test('the ready line names the CA; keys are private', () => {
    assert.strictEqual(emu.info.ca_file, path.join(state, 'ca.pem'));
    assert.strictEqual(emu.info.tls, true);
    assert.match(fs.readFileSync(emu.info.ca_file, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
    assert.strictEqual(mode(state), 0o700);
    assert.strictEqual(mode(path.join(state, 'ca-key.pem')), 0o600);
    assert.strictEqual(mode(path.join(state, 'key.pem')), 0o600);
  });

  await t.test('GetCallerIdentity over HTTPS (Node https, CA trusted)', async () => {
    const r = await emu.https('GET', v1Path('GetCallerIdentity', '2015-04-01', 'LTAIemuEtlUser56789', 'emu-secret-etl'));
    assert.strictEqual(r.status, 200, r.body);
    assert.strictEqual(JSON.parse(r.body).Arn, 'acs:ram::56789:user/etl');
  });

  await t.test('the certificate covers localhost and aliyuncs.com endpoint names', async () => {
    for (const servername of ['localhost', 'sts.aliyuncs.com', 'sts.cn-hangzhou.aliyuncs.com', 'ram.aliyuncs.com',
      'cap1.cn-hangzhou.ots.aliyuncs.com', 'cap1.cn-hangzhou.ots-internal.aliyuncs.com', 'sts-vpc.ap-southeast-1.aliyuncs.com']) {
      const r = await emu.https('GET', '/_emu/health', undefined, {}, { servername });
      assert.strictEqual(r.status, 200, servername);
    }
  });

  await t.test('keep-alive: several requests on one TLS connection', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: fs.readFileSync(emu.info.ca_file) });
    const sockets = new Set();
    for (let i = 0; i < 5; i++) {
      const r = await new Promise((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: emu.port, path: '/_emu/health', agent }, (res) => {
          sockets.add(res.socket);
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        req.on('error', reject);
        req.end();
      });
      assert.strictEqual(r, 200);
    }
    assert.strictEqual(sockets.size, 1);
    agent.destroy();
  });

  await t.test('plain HTTP keeps working on the same port', async () => {
    const r = await emu.request('GET', '/_emu/health');
    assert.strictEqual(r.status, 200);
    assert.strictEqual(JSON.parse(r.body).ca_file, emu.info.ca_file);
  });

  await t.test('a failed handshake closes only that connection', async () => {
    // A client that does not trust the CA gives up during the handshake.
    await assert.rejects(emu.https('GET', '/_emu/health', undefined, {}, { ca: undefined }),
      /self[- ]signed|unable to (get|verify)|certificate/i);
    // Garbage after a handshake-looking first byte.
    const junk = await raw(emu.port, Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05]), Buffer.from('hello, not TLS at all')]), 1000);
    assert.strictEqual(junk.closed, true);
    assert.strictEqual((await emu.https('GET', '/_emu/health')).status, 200);
    assert.strictEqual((await emu.request('GET', '/_emu/health')).status, 200);
  });

  await t.test('a later start reuses the CA', async () => {
    const ca = fs.readFileSync(emu.info.ca_file, 'utf8');
    const again = await start({ world: WORLD, args: ['--state-dir', state] });
    try {
      assert.strictEqual(fs.readFileSync(again.info.ca_file, 'utf8'), ca);
      assert.strictEqual((await again.https('GET', '/_emu/health')).status, 200);
    } finally {
      await again.stop();
    }
  });

  await t.test('--tls-cert/--tls-key serve a given certificate', async () => {
    const other = await start({ world: WORLD, args: ['--tls-cert', path.join(state, 'cert.pem'), '--tls-key', path.join(state, 'key.pem')] });
    try {
      assert.strictEqual(other.info.ca_file, undefined);
      const r = await other.https('GET', '/_emu/health', undefined, {}, { ca: fs.readFileSync(path.join(state, 'ca.pem')) });
      assert.strictEqual(r.status, 200);
    } finally {
      await other.stop();
    }
    const bad = await run(['--port', '0', '--world', WORLD, '--tls-cert', path.join(state, 'cert.pem')]);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.stderr, /--tls-cert and --tls-key go together/);
  });
});
