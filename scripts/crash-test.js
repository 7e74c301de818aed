'use strict';
// Crash safety of --data-dir (issue 9, item 5): write load (Tablestore
// PutRow/UpdateRow/DeleteRow and RAM CreateUser, signed), SIGKILL at seeded
// random moments, restart, check that every acknowledged write is there and
// every acknowledged delete is not. See tests/support/crash.js.
//   node scripts/crash-test.js [--kills N] [--seed S] [--writers N]
//                              [--snapshot-bytes N] [--json]
const path = require('node:path');
const { crashTest } = require('../tests/support/crash');

function args() {
  const o = { kills: 25, seed: 1, writers: 8, snapshotBytes: 256 * 1024, json: false };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    if (k === '--json') { o.json = true; continue; }
    const v = Number(a[++i]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${k} needs a number`);
    if (k === '--kills') o.kills = v;
    else if (k === '--seed') o.seed = v;
    else if (k === '--writers') o.writers = v;
    else if (k === '--snapshot-bytes') o.snapshotBytes = v;
    else throw new Error(`unknown option ${k}`);
  }
  return o;
}

(async () => {
  const o = args();
  const bin = process.env.ACSEMU_BIN || path.join(__dirname, '..', 'build-release', 'acsemu');
  const t0 = Date.now();
  const r = await crashTest({ ...o, bin, log: o.json ? undefined : (s) => console.log(s) });
  r.seconds = (Date.now() - t0) / 1000;
  if (o.json) console.log(JSON.stringify(r));
  else console.log(`ok: ${r.kills} SIGKILLs (seed ${o.seed}), ${r.acked} acknowledged row writes and ` +
    `${r.users} users (created, some deleted) all as acknowledged (data dir at the end: ${r.files.join(" ")}); median start-up ${r.startMsMedian.toFixed(1)} ms; ${r.seconds.toFixed(1)} s`);
})().catch((e) => { console.error('crash test FAILED:', e.message); process.exit(1); });
