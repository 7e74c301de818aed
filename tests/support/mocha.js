'use strict';
// A minimal mocha-compatible runner for SDK test files written for mocha
// (describe / it with a `done` callback or a returned promise, before /
// after hooks), so that an official SDK's own tests run unmodified without
// mocha (not packaged for Debian). In a test: `await run([file])` gives
// {pass, fail, lines} (in-process: starting node again for the SDK costs
// seconds on a loaded machine); from a shell: node mocha.js FILE... prints
// one line per test and exits 1 if any failed. Tests run one at a time in
// file order; an exception thrown in a callback fails the running test.
// `this.timeout(ms)` works in describe (for its tests) and in a test.
const path = require('node:path');

const TIMEOUT_MS = Number(process.env.MOCHA_TIMEOUT_MS || 20000);

let root, cur;
function reset() {
  root = { name: '', tests: [], suites: [], before: [], after: [], timeout: TIMEOUT_MS };
  cur = root;
}
reset();
const globals = {
  describe: (name, fn) => {
    const s = { name, tests: [], suites: [], before: [], after: [], timeout: cur.timeout };
    cur.suites.push(s);
    const prev = cur;
    cur = s;
    fn.call({ timeout: (ms) => { s.timeout = ms; }, slow: () => {} });
    cur = prev;
  },
  it: (name, fn) => cur.tests.push({ name, fn }),
  before: (fn) => cur.before.push(fn),
  after: (fn) => cur.after.push(fn),
};

let onUncaught = null;
const uncaught = (e) => { if (onUncaught) onUncaught(e); else throw e; };

function runOne(fn, ms = TIMEOUT_MS) {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      onUncaught = null;
      resolve(err || null);
    };
    const arm = (t) => setTimeout(() => finish(new Error(`timeout after ${t} ms`)), t);
    let timer = arm(ms);
    const ctx = { timeout: (t) => { clearTimeout(timer); timer = arm(t); }, slow: () => {} };
    onUncaught = finish;
    try {
      if (fn.length >= 1) {
        fn.call(ctx, (err) => finish(err instanceof Error ? err : err ? new Error(String(err)) : null));
      } else {
        Promise.resolve(fn.call(ctx)).then(() => finish(), finish);
      }
    } catch (e) {
      finish(e);
    }
  });
}

async function runSuite(s, prefix, counts) {
  const name = s.name ? `${prefix}${s.name} ` : prefix;
  for (const h of s.before) {
    const e = await runOne(h, s.timeout);
    if (e) { counts.fail++; counts.lines.push(`not ok - ${name}before hook: ${e.stack || e}`); return; }
  }
  for (const t of s.tests) {
    const e = await runOne(t.fn, s.timeout);
    if (e) { counts.fail++; counts.lines.push(`not ok - ${name}${t.name}\n  ${(e.stack || String(e)).replace(/\n/g, '\n  ')}`); }
    else { counts.pass++; counts.lines.push(`ok - ${name}${t.name}`); }
  }
  for (const c of s.suites) await runSuite(c, name, counts);
  for (const h of s.after) await runOne(h, s.timeout);
}

async function run(files) {
  reset();
  const saved = {};
  for (const k of Object.keys(globals)) { saved[k] = global[k]; global[k] = globals[k]; }
  process.prependListener('uncaughtException', uncaught);
  const counts = { pass: 0, fail: 0, lines: [] };
  try {
    for (const f of files) require(path.resolve(f));
    await runSuite(root, '', counts);
  } finally {
    process.removeListener('uncaughtException', uncaught);
    for (const k of Object.keys(globals)) global[k] = saved[k];
  }
  return counts;
}

if (require.main === module) {
  run(process.argv.slice(2)).then((c) => {
    console.log(c.lines.join('\n'));
    console.log(`# pass ${c.pass} fail ${c.fail}`);
    process.exit(c.fail || !c.pass ? 1 : 0);
  });
}

module.exports = { run };
