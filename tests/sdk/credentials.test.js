'use strict';
// @alicloud/credentials' RAM-role-ARN provider only speaks HTTPS
// (rpc-api.md §10.4). Run unmodified, trusting the emulator's CA through
// NODE_EXTRA_CA_CERTS (read once at Node start-up, hence a child process),
// it must reach acsemu over TLS and surface acsemu's own answer — never a
// TLS error.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { start, SRC } = require('../support/emu');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/basic.json');

// The child: one getCredential() through the provider, result as JSON.
const CHILD = `
const Credential = require('@alicloud/credentials');
const [port, id, secret] = process.argv.slice(1);
const cred = new Credential.default(new Credential.Config({
  type: 'ram_role_arn', accessKeyId: id, accessKeySecret: secret,
  roleArn: 'acs:ram::12345:role/aliyunodpsroleforotheruser', roleSessionName: 'sdk-test',
  stsEndpoint: '127.0.0.1:' + port,
}));
cred.getCredential().then(
  (c) => console.log(JSON.stringify({ ok: true, accessKeyId: c.accessKeyId })),
  (e) => console.log(JSON.stringify({ ok: false, message: String(e && e.message), code: e && e.code })));
`;

function provider(emu, id, secret, extraEnv = {}) {
  const r = spawnSync(process.execPath, ['-e', CHILD, String(emu.port), id, secret], {
    cwd: __dirname, encoding: 'utf8', timeout: 20000,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: emu.info.ca_file, ...extraEnv },
  });
  assert.strictEqual(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

test('@alicloud/credentials RAM-role-ARN provider over HTTPS', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());
  assert.ok(emu.info.ca_file, 'the ready line names the CA file');

  await t.test('reaches acsemu over TLS and surfaces its answer', async () => {
    const r = provider(emu, 'LTAIemuEtlUser56789', 'emu-secret-etl');
    if (r.ok) {
      // Once AssumeRole exists: STS credentials.
      assert.match(r.accessKeyId, /^STS\./);
    } else {
      // Until then: the emulator's own RPC error, relayed by the provider.
      assert.match(r.message, /^refresh session token failed: \{.*"Code":"[A-Za-z.]+"/);
      assert.doesNotMatch(r.message, /certificate|self[- ]signed|TLS|SSL|ECONNRESET/i);
    }
    // The request really reached acsemu: it is in the access log (read
    // once the blocked event loop has caught up with acsemu's stderr).
    for (let i = 0; i < 50 && !/AssumeRole/.test(emu.stderr); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(emu.stderr, /AssumeRole/);
  });

  await t.test('without the CA the provider fails on TLS (control)', () => {
    const r = provider(emu, 'LTAIemuEtlUser56789', 'emu-secret-etl', { NODE_EXTRA_CA_CERTS: '' });
    assert.strictEqual(r.ok, false);
    assert.match(r.message, /certificate|self[- ]signed|unable to verify/i);
  });

  await t.test('a wrong secret: acsemu answers, in the provider\'s words', () => {
    const r = provider(emu, 'LTAIemuEtlUser56789', 'not-the-secret');
    assert.strictEqual(r.ok, false);
    // With AssumeRole implemented the provider compares acsemu's
    // string-to-sign with its own and concludes the secret is wrong;
    // before that the unknown action is reported first.
    assert.match(r.message, /the access key secret is invalid|InvalidAction\.NotFound/);
  });
});
