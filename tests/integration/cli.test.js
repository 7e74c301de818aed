'use strict';
// Command line, environment and strict world loading.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { start, run, SRC, tmpdir } = require('../support/emu');

const BASIC = JSON.parse(fs.readFileSync(path.join(SRC, 'tests/fixtures/worlds/basic.json'), 'utf8'));

function worldWith(mutate) {
  const w = JSON.parse(JSON.stringify(BASIC));
  mutate(w);
  const dir = tmpdir();
  const file = path.join(dir, 'world.json');
  fs.writeFileSync(file, typeof w === 'string' ? w : JSON.stringify(w, null, 2));
  return file;
}

test('--help explains and exits 0', async () => {
  const r = await run(['--help']);
  assert.strictEqual(r.code, 0);
  assert.match(r.stdout, /--ready-file FILE/);
  assert.match(r.stdout, /ACSEMU_/);
});

test('--version', async () => {
  const r = await run(['--version']);
  assert.strictEqual(r.code, 0);
  assert.match(r.stdout, /^acsemu \d+\.\d+\.\d+/);
});

test('bad options print usage on stderr and exit 2', async () => {
  for (const args of [['--port', 'x'], ['--frobnicate'], ['--authz', 'maybe'], ['--log-format', 'xml'], ['extra']]) {
    const r = await run(args);
    assert.strictEqual(r.code, 2, args.join(' '));
    assert.match(r.stderr, /Usage: acsemu/);
  }
});

test('options come from the environment too', async () => {
  const r = await run(['--help'], { env: { ACSEMU_PORT: 'notaport' } });
  assert.strictEqual(r.code, 2);
  assert.match(r.stderr, /ACSEMU_PORT: "notaport" is not a port number/);
  const emu = await start({ world: path.join(SRC, 'tests/fixtures/worlds/basic.json'), env: { ACSEMU_LOG_FORMAT: 'json' } });
  await emu.json('GET', '/_emu/nope');
  await emu.stop();
  const line = emu.stderr.split('\n').find((l) => l.includes('NotFound'));
  assert.ok(line, emu.stderr);
  const rec = JSON.parse(line);
  assert.strictEqual(rec.status, 404);
  assert.strictEqual(rec.service, 'admin');
});

const cases = [
  ['unknown field', (w) => { w.Accounts[0].Roles[0].Colour = 'red'; },
    /\$\.Accounts\[0\]\.Roles\[0\]: unknown field "Colour"/],
  ['duplicate role names, case-insensitively', (w) => {
    w.Accounts[0].Roles.push({ ...w.Accounts[0].Roles[0], RoleName: 'aliyunodpsroleforotheruser' });
  }, /\$\.Accounts\[0\]\.Roles\[1\]: RoleName "aliyunodpsroleforotheruser": a role with this name already exists/],
  ['bad role name', (w) => { w.Accounts[1].Roles = [{ RoleName: 'bad name!', AssumeRolePolicyDocument: {} }]; },
    /\$\.Accounts\[1\]\.Roles\[0\]: RoleName "bad name!" contains invalid characters/],
  ['wrong type', (w) => { w.Accounts[0].AccountId = 12345; },
    /\$\.Accounts\[0\]: "AccountId" must be a string, not a number/],
  ['non-digit account', (w) => { w.Accounts[0].AccountId = 'abc'; }, /AccountId "abc" must be digits/],
  ['duplicate access key', (w) => { w.Accounts[1].AccessKeys[0].AccessKeyId = 'LTAIemuAccountA12345'; },
    /AccessKeyId "LTAIemuAccountA12345" is used twice/],
  ['attached custom policy that does not exist', (w) => {
    w.Accounts[0].Roles[0].AttachedPolicies.push({ PolicyName: 'Nope', PolicyType: 'Custom' });
  }, /Roles\[0\]: AttachedPolicies\[1\]: no Custom policy "Nope"/],
  ['bad policy type', (w) => { w.Accounts[0].Roles[0].AttachedPolicies[0].PolicyType = 'Managed'; },
    /AttachedPolicies\[0\]: PolicyType "Managed" must be System or Custom/],
  ['user in a missing group', (w) => { w.Accounts[0].Users[0].Groups = ['ghosts']; },
    /Users\[0\]\.Groups\[0\]: no group "ghosts"/],
  ['policy document string that is not JSON', (w) => { w.Accounts[0].Policies[0].PolicyDocument = '{"Version":'; },
    /Policies\[0\]: "PolicyDocument" is not valid JSON/],
  ['MaxSessionDuration out of range', (w) => { w.Accounts[0].Roles[0].MaxSessionDuration = 60; },
    /MaxSessionDuration must be an integer from 3600 to 43200/],
  ['unknown MaxCompute field', (w) => { w.Accounts[1].MaxCompute.Quota = 1; },
    /\$\.Accounts\[1\]\.MaxCompute: unknown field "Quota"/],
  ['no accounts', (w) => { w.Accounts = []; }, /Accounts must list at least one account/],
];

for (const [name, mutate, re] of cases) {
  test(`world file: ${name} stops start-up with a located error`, async () => {
    const file = worldWith(mutate);
    const r = await run(['--port', '0', '--world', file]);
    assert.strictEqual(r.code, 2, r.stderr);
    assert.ok(r.stderr.startsWith(file + ': '), r.stderr);
    assert.match(r.stderr, re);
    assert.strictEqual(r.stdout, '', 'no ready line');
  });
}

test('world file: malformed JSON names line and column', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'w.json');
  fs.writeFileSync(file, '{\n  "Accounts": [\n    {"AccountId": "1",}\n  ]\n}\n');
  const r = await run(['--port', '0', '--world', file]);
  assert.strictEqual(r.code, 2);
  assert.match(r.stderr, /malformed JSON at line 3 column/);
});

test('world file: missing file', async () => {
  const r = await run(['--port', '0', '--world', '/nonexistent/world.json']);
  assert.strictEqual(r.code, 2);
  assert.match(r.stderr, /\/nonexistent\/world.json: cannot open/);
});
