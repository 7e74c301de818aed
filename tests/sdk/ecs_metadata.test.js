'use strict';
// The ECS instance metadata service: @alicloud/credentials' ecs_ram_role
// provider gets a real session of the instance's role from acsemu, and an
// official SDK call (STS GetCallerIdentity) is made with it.
//
// The provider hard-codes http://100.100.100.200 and has no option to
// change it. So: (1) on the main port, the test swaps only the host:port of
// the provider's requests through its own `doRequest` seam (the SDK's code
// builds and sends them); (2) unmodified, inside a network namespace the
// test creates (unshare -rn) with 100.100.100.200 on its loopback, where
// acsemu listens with --metadata-listen: the default credential chain of an
// application configured with nothing finds the instance role. Nothing
// binds on the host's network beyond 127.0.0.1.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const Credential = require('@alicloud/credentials');
const httpSeam = require('@alicloud/credentials/dist/src/providers/http');
const Sts = require('@alicloud/sts20150401');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { start, run, SRC, BIN, tmpdir, reloaded } = require('../support/emu');

const WORLD = path.join(SRC, 'tests/fixtures/worlds/ecs.json');

// The SDK's own provider, its requests sent to acsemu's main port.
function provider(port, config) {
  const c = new Credential.default(new Credential.Config({ type: 'ecs_ram_role', ...config }));
  c.credential.provider.doRequest = (req) => {
    assert.strictEqual(req.host, '100.100.100.200');
    req.host = `127.0.0.1:${port}`;
    return httpSeam.doRequest(req);
  };
  return c;
}

async function callerArn(port, c) {
  const sts = new Sts.default(new $OpenApiUtil.Config({ accessKeyId: c.accessKeyId,
    accessKeySecret: c.accessKeySecret, securityToken: c.securityToken,
    endpoint: `127.0.0.1:${port}`, protocol: 'http', regionId: 'cn-hangzhou' }));
  return (await sts.getCallerIdentity()).body.arn;
}

// A metadata request from a given loopback address (the instance's).
function from(port, localAddress, method, p, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, localAddress, method, path: p, headers }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('ECS metadata service on the main port', async (t) => {
  const emu = await start({ world: WORLD });
  t.after(() => emu.stop());

  await t.test('ecs_ram_role provider: role name, IMDSv2 token, session; then an SDK call', async () => {
    const c = await provider(emu.port, { disableIMDSv1: true }).getCredential();
    assert.match(c.accessKeyId, /^STS\./);
    assert.strictEqual(c.type, 'ecs_ram_role');
    assert.strictEqual(await callerArn(emu.port, c),
      'acs:ram::12345:assumed-role/app-role/i-bp1app0000000000001');
    // The same session again while it has hours left, as the cloud does.
    const again = await provider(emu.port, { roleName: 'app-role' }).getCredential();
    assert.strictEqual(again.accessKeyId, c.accessKeyId);
  });

  await t.test('the JSON, the decision record, and a fresh session near expiry', async () => {
    const r = await emu.request('GET', '/latest/meta-data/ram/security-credentials/app-role');
    assert.strictEqual(r.status, 200);
    const j = JSON.parse(r.body);
    assert.deepStrictEqual(Object.keys(j).sort(),
      ['AccessKeyId', 'AccessKeySecret', 'Code', 'Expiration', 'LastUpdated', 'SecurityToken']);
    assert.strictEqual(j.Code, 'Success');
    assert.strictEqual(Date.parse(j.Expiration) - Date.parse(j.LastUpdated), 6 * 3600 * 1000);
    const d = await emu.json('GET', `/_emu/decisions/${r.headers['x-emu-decision']}`);
    assert.strictEqual(d.body.outcome, 'allow');
    assert.strictEqual(d.body.action, 'sts:AssumeRole');
    assert.strictEqual(JSON.stringify(d.body).includes(j.AccessKeySecret), false);
    assert.strictEqual(JSON.stringify(d.body).includes(j.SecurityToken), false);
    await emu.json('POST', '/_emu/clock', { advance_seconds: 5.5 * 3600 });
    const fresh = JSON.parse((await emu.request('GET', '/latest/meta-data/ram/security-credentials/app-role')).body);
    assert.notStrictEqual(fresh.AccessKeyId, j.AccessKeyId);
    await emu.json('POST', '/_emu/clock', { reset: true });
    assert.doesNotMatch(emu.stderr, new RegExp(`${j.AccessKeySecret}|${j.SecurityToken.slice(0, 20)}`));
  });

  await t.test('items an instance reads about itself', async () => {
    assert.strictEqual((await emu.request('GET', '/latest/meta-data/instance-id')).body, 'i-bp1app0000000000001');
    assert.strictEqual((await emu.request('GET', '/latest/meta-data/region-id')).body, 'cn-hangzhou');
    assert.strictEqual((await from(emu.port, '127.0.0.2', 'GET', '/latest/meta-data/private-ipv4',
      { 'x-aliyun-ecs-metadata-token': await token(emu.port, '127.0.0.2') })).body, '127.0.0.2');
    assert.strictEqual((await emu.request('GET', '/latest/meta-data/nothing-here')).status, 404);
  });

  await t.test('failure modes, with what the SDK reports', async () => {
    // A role the instance does not have.
    await assert.rejects(provider(emu.port, { roleName: 'other-role' }).getCredential(),
      /get sts token failed, httpStatus: 404, message = 404 - Not Found\nInstance i-bp1app0000000000001 has the RAM role "app-role", not "other-role"/);
    // Hardened mode (HttpTokens required): no token, a foreign one, an expired one.
    const none = await from(emu.port, '127.0.0.2', 'GET', '/latest/meta-data/ram/security-credentials/');
    assert.strictEqual(none.status, 401);
    assert.match(none.body, /security hardening mode only/);
    const foreign = await from(emu.port, '127.0.0.2', 'GET', '/latest/meta-data/ram/security-credentials/',
      { 'x-aliyun-ecs-metadata-token': await token(emu.port, '127.0.0.1') });
    assert.deepStrictEqual([foreign.status, foreign.body.split('\n')[1]],
      [401, 'The X-aliyun-ecs-metadata-token was not issued to this instance.']);
    const short = await token(emu.port, '127.0.0.2', '1');
    await emu.json('POST', '/_emu/clock', { advance_seconds: 2 });
    const expired = await from(emu.port, '127.0.0.2', 'GET', '/latest/meta-data/instance-id',
      { 'x-aliyun-ecs-metadata-token': short });
    await emu.json('POST', '/_emu/clock', { reset: true });
    assert.strictEqual(expired.status, 401);
    assert.match(expired.body, /has expired/);
    // Token requests: TTL missing or out of 1-21600, a proxy, a GET.
    for (const ttl of [undefined, '0', '21601', 'x']) {
      const r = await from(emu.port, '127.0.0.2', 'PUT', '/latest/api/token',
        ttl === undefined ? {} : { 'x-aliyun-ecs-metadata-token-ttl-seconds': ttl });
      assert.strictEqual(r.status, 400, `ttl ${ttl}`);
    }
    assert.strictEqual((await emu.request('PUT', '/latest/api/token', undefined,
      { 'x-aliyun-ecs-metadata-token-ttl-seconds': '60', 'x-forwarded-for': '10.0.0.9' })).status, 403);
    assert.strictEqual((await emu.request('GET', '/latest/api/token')).status, 405);
    // No role attached: the provider cannot even learn a role name.
    const norole = await from(emu.port, '127.0.0.3', 'GET', '/latest/meta-data/ram/security-credentials/');
    assert.deepStrictEqual([norole.status, norole.body.split('\n')[1]],
      [404, 'Instance i-bp1norole0000000003 has no RAM role attached: give it a "RamRoleName" in the world.']);
    // A role whose trust policy does not name the ECS service: a denial on record.
    const nt = await from(emu.port, '127.0.0.4', 'GET', '/latest/meta-data/ram/security-credentials/not-for-ecs');
    assert.strictEqual(nt.status, 403);
    assert.strictEqual(JSON.parse(nt.body).Code, 'InvalidRamRole.NotEcsRole');
    const dec = await emu.json('GET', `/_emu/decisions/${nt.headers['x-emu-decision']}`);
    assert.strictEqual(dec.body.outcome, 'deny');
    // Metadata disabled for the instance; the role deleted since.
    assert.strictEqual((await from(emu.port, '127.0.0.5', 'GET', '/latest/meta-data/instance-id')).status, 403);
    const ghost = await from(emu.port, '127.0.0.6', 'GET', '/latest/meta-data/ram/security-credentials/deleted-role');
    assert.strictEqual(ghost.status, 404);
    assert.match(ghost.body, /is not in account 12345/);
  });

  await t.test('web pages cannot read it (DNS rebinding, cross-origin)', async () => {
    const rebind = await emu.request('GET', '/latest/meta-data/ram/security-credentials/app-role', undefined,
      { host: `evil.example:${emu.port}` });
    assert.strictEqual(rebind.status, 403);
    assert.doesNotMatch(rebind.body, /STS\./);
    const page = await emu.request('GET', '/latest/meta-data/ram/security-credentials/app-role', undefined,
      { origin: 'https://evil.example' });
    assert.strictEqual(page.status, 403);
  });

  await t.test('instances round-trip through the world export', async () => {
    const world = (await emu.json('GET', '/_emu/world')).body;
    const ecs = world.Accounts[0].ECS.Instances;
    assert.strictEqual(ecs.length, 6);
    assert.deepStrictEqual(ecs[1], { InstanceId: 'i-bp1hardened00000002', PrivateIpAddress: '127.0.0.2',
      RamRoleName: 'app-role', MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' } });
    await reloaded(emu, world, async (emu2) => {
      assert.strictEqual((await emu2.request('GET', '/latest/meta-data/ram/security-credentials/')).body, 'app-role');
    });
  });
});

async function token(port, localAddress, ttl = '21600') {
  const r = await from(port, localAddress, 'PUT', '/latest/api/token', { 'x-aliyun-ecs-metadata-token-ttl-seconds': ttl });
  assert.strictEqual(r.status, 200, r.body);
  return r.body;
}

test('a bad ECS section is refused with its JSON path', async () => {
  const dir = tmpdir();
  const base = JSON.parse(fs.readFileSync(WORLD, 'utf8'));
  const cases = [
    [{ InstanceId: 'vm-1' }, /\$\.Accounts\[0\]\.ECS\.Instances\[0\]\.InstanceId: must be "i-" followed by/],
    [{ InstanceId: 'i-a', Flavor: 'x' }, /Instances\[0\]\.Flavor: unknown field/],
    [{ InstanceId: 'i-a', MetadataOptions: { HttpTokens: 'always' } }, /HttpTokens: "optional" or "required"/],
    [{ InstanceId: 'i-a', PrivateIpAddress: 'localhost' }, /PrivateIpAddress: "localhost" is not an IP address/],
  ];
  for (const [inst, re] of cases) {
    base.Accounts[0].ECS = { Instances: [inst] };
    const file = path.join(dir, 'w.json');
    fs.writeFileSync(file, JSON.stringify(base));
    const r = await run(['world', 'check', file]);
    assert.notStrictEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, re);
  }
  base.Accounts[0].ECS = { Instances: [{ InstanceId: 'i-a' }, { InstanceId: 'i-a' }] };
  fs.writeFileSync(path.join(dir, 'w.json'), JSON.stringify(base));
  assert.match((await run(['world', 'check', path.join(dir, 'w.json')])).stderr, /"i-a" is already used/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('instances survive a --data-dir restart', async () => {
  const dir = tmpdir();
  const emu = await start({ world: WORLD, args: ['--data-dir', dir] });
  await emu.stop();
  const again = await start({ world: WORLD, args: ['--data-dir', dir] });
  try {
    assert.strictEqual((await again.request('GET', '/latest/meta-data/instance-id')).body, 'i-bp1app0000000000001');
  } finally {
    await again.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// In a network namespace of its own: acsemu with --metadata-listen
// 100.100.100.200:80 and an application with no configuration at all.
const NS_WORLD = {
  Region: 'cn-shanghai',
  Accounts: [{
    AccountId: '67890',
    AccessKeys: [{ AccessKeyId: 'LTAInsRoot67890', AccessKeySecret: 'ns-secret-root', Status: 'Active' }],
    Roles: [{ RoleName: 'worker', AssumeRolePolicyDocument: { Version: '1', Statement: [{ Effect: 'Allow',
      Action: 'sts:AssumeRole', Principal: { Service: ['ecs.aliyuncs.com'] } }] } }],
    ECS: { Instances: [{ InstanceId: 'i-uf6worker000000000001', RamRoleName: 'worker',
      MetadataOptions: { HttpTokens: 'required' } }] },
  }],
};

const INSIDE = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const Credential = require('@alicloud/credentials');
const Sts = require('@alicloud/sts20150401');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const [bin, world, dir] = process.argv.slice(1);
const ready = path.join(dir, 'ready.json');
const emu = spawn(bin, ['--port', '0', '--ready-file', ready, '--world', world,
  '--metadata-listen', '100.100.100.200:80', '--state-dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
emu.stderr.on('data', (d) => { stderr += d; });
(async () => {
  const out = {};
  try {
    for (let i = 0; !fs.existsSync(ready); i++) {
      if (i > 2000) throw new Error('acsemu not ready: ' + stderr);
      await new Promise((r) => setTimeout(r, 10));
    }
    const info = JSON.parse(fs.readFileSync(ready, 'utf8'));
    out.metadata_endpoint = info.metadata_endpoint;
    const c = await new Credential.default().getCredential();
    out.type = c.type;
    const sts = new Sts.default(new $OpenApiUtil.Config({ accessKeyId: c.accessKeyId,
      accessKeySecret: c.accessKeySecret, securityToken: c.securityToken,
      endpoint: '127.0.0.1:' + info.port, protocol: 'http', regionId: 'cn-shanghai' }));
    out.arn = (await sts.getCallerIdentity()).body.arn;
    const other = await fetch('http://100.100.100.200/?Action=GetCallerIdentity');
    out.other_status = other.status;
  } catch (e) {
    out.error = String(e && e.message);
  }
  emu.kill('SIGTERM');
  emu.on('exit', (code) => {
    out.exit = code;
    out.leaked = /STS\\.|CAIS/.test(stderr);
    out.stderr_tail = stderr.slice(-300);
    console.log(JSON.stringify(out));
  });
})();
`;

test('--metadata-listen at 100.100.100.200 inside a network namespace', (t) => {
  const probe = spawnSync('unshare', ['-rn', 'ip', 'addr', 'add', '100.100.100.200/32', 'dev', 'lo'],
    { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    t.skip(`cannot create a network namespace here: ${probe.error ? probe.error.message : probe.stderr.trim()}`);
    return;
  }
  const dir = tmpdir();
  const world = path.join(dir, 'world.json');
  fs.writeFileSync(world, JSON.stringify(NS_WORLD));
  // An empty HOME and no ALIBABA_CLOUD_* variables: only the instance.
  const env = { PATH: process.env.PATH, HOME: dir };
  const r = spawnSync('unshare', ['-rn', 'sh', '-c',
    'ip link set lo up && ip addr add 100.100.100.200/32 dev lo && exec "$0" "$@"',
    process.execPath, '-e', INSIDE, BIN, world, dir], { cwd: __dirname, env, encoding: 'utf8', timeout: 30000 });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.strictEqual(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.strictEqual(out.error, undefined, out.stderr_tail);
  assert.strictEqual(out.metadata_endpoint, 'http://100.100.100.200:80');
  assert.strictEqual(out.type, 'default');
  assert.strictEqual(out.arn, 'acs:ram::67890:assumed-role/worker/i-uf6worker000000000001');
  assert.strictEqual(out.other_status, 404); // the metadata address serves nothing else
  assert.strictEqual(out.exit, 0);
  assert.strictEqual(out.leaked, false);
});
