'use strict';
// The load test of issue 9 (item 4), full size: acsemu on an ephemeral
// loopback port, N concurrent keep-alive connections, M mixed signed
// requests (tests/support/load.js has the mix), zero errors, zero dropped
// connections, RSS after the run within 5% of RSS before it (after a
// warm-up on the same connections), p50/p99 latency. Exits 1 on failure.
//   node scripts/load.js [--connections 1000] [--requests 200000]
//                        [--warmup 50000] [--json]
const path = require('node:path');
const { start } = require('../tests/support/emu');
const { runLoad } = require('../tests/support/load');

function args() {
  const o = { connections: 1000, requests: 200000, warmup: 50000, json: false, timeout: 600 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i].replace(/^--/, '');
    if (k === 'json') o.json = true;
    else if (k in o) o[k] = Number(a[++i]);
    else { console.error(`unknown option ${a[i]}`); process.exit(2); }
  }
  return o;
}

(async () => {
  const o = args();
  const log = (m) => { if (!o.json) console.error(m); };
  const emu = await start({ args: ['--log-level', 'warn'] });
  log(`acsemu ${emu.info.version} pid ${emu.info.pid} on port ${emu.port} (${process.env.ACSEMU_BIN || 'build/acsemu'})`);
  let r;
  try {
    r = await runLoad({ port: emu.port, pid: emu.child.pid, connections: o.connections, requests: o.requests,
      warmup: o.warmup, timeoutMs: o.timeout * 1000, log });
  } finally {
    await emu.stop();
  }
  // Memory: within 5% once the replay cache's (bounded, by-design) growth
  // is set aside; both figures are printed.
  const ok = r.errors === 0 && r.warmupErrors === 0 && r.dropped === 0 &&
    Math.abs(r.rssChangeWithoutNonceCache) <= 0.05;
  if (o.json) {
    console.log(JSON.stringify({ ok, ...r }));
  } else {
    const mb = (kb) => (kb / 1024).toFixed(1) + ' MB';
    console.log(`connections        ${r.connections} keep-alive`);
    console.log(`requests           ${r.requests} (after ${r.warmup} warm-up) in ${r.seconds.toFixed(1)} s = ${r.rps.toFixed(0)} req/s`);
    console.log(`errors / dropped   ${r.errors} / ${r.dropped}`);
    console.log(`latency            p50 ${r.p50.toFixed(2)} ms, p90 ${r.p90.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(1)} ms`);
    console.log(`RSS                idle ${mb(r.rssIdleKb)}, before ${mb(r.rssBeforeKb)}, after ${mb(r.rssAfterKb)} (${(r.rssChange * 100).toFixed(2)}%)`);
    console.log(`  replay cache      ${r.nonces} RPC nonces, its slot array grew ${mb(r.nonceCacheGrowthKb)}; ` +
      `RSS change without it ${(r.rssChangeWithoutNonceCache * 100).toFixed(2)}%`);
    for (const [k, v] of Object.entries(r.byKind)) console.log(`  ${k.padEnd(26)} ${String(v.n).padStart(7)}  errors ${v.errors}`);
    for (const e of r.firstErrors) console.log('  ! ' + e);
    console.log(ok ? 'PASS' : 'FAIL');
  }
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(1); });
