'use strict';
// Measures, for the seed world:
//   - time from exec to the ready line (median of 20 starts),
//   - idle RSS after start-up,
//   - requests/s of GET /_emu/health with wrk, beside nginx `return 200`
//     in the same run (ratio).
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'build-release/acsemu');
const SECONDS = Number(process.argv[2] || 5);

function startEmu(extra = []) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(BIN, ['--port', '0', '--world', path.join(ROOT, 'data/world.json'), '--log-level', 'warn', ...extra],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0 && !child.readyInfo) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        child.readyInfo = JSON.parse(buf.slice(0, nl));
        resolve({ child, info: child.readyInfo, ms });
      }
    });
    child.on('exit', (c) => { if (!child.readyInfo) reject(new Error('acsemu exited ' + c)); });
  });
}

function stop(child) {
  return new Promise((resolve) => { child.on('exit', resolve); child.kill('SIGTERM'); });
}

function rssKb(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);
}

function wrk(url, seconds, conns = 32) {
  const out = execFileSync('wrk', ['-t', '1', '-c', String(conns), '-d', `${seconds}s`, url], { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const errs = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return { rps: Number(m[1]), non2xx: errs ? Number(errs[1]) : 0 };
}

async function nginx() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acsemu-bench-nginx-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `
worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:${port}; location / { return 200; } } }`);
  const child = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  return { child, port };
}

function median(a) { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; }

(async () => {
  const rows = [];
  const starts = [];
  for (let i = 0; i < 20; i++) {
    const e = await startEmu();
    starts.push(e.ms);
    await stop(e.child);
  }
  rows.push(['exec to ready line (median of 20)', `${median(starts).toFixed(1)} ms`, 'target <= 15 ms']);

  const e = await startEmu();
  await fetch(`http://127.0.0.1:${e.info.port}/_emu/health`);
  rows.push(['idle RSS (seed world)', `${(rssKb(e.child.pid) / 1024).toFixed(1)} MB`, 'target <= 12 MB']);

  let ng = null;
  try { execFileSync('sh', ['-c', 'command -v nginx']); ng = await nginx(); } catch (_) { ng = null; }
  const emuRun = wrk(`http://127.0.0.1:${e.info.port}/_emu/health`, SECONDS);
  rows.push(['GET /_emu/health', `${emuRun.rps.toFixed(0)} req/s`, emuRun.non2xx ? `${emuRun.non2xx} errors!` : '']);
  if (ng) {
    const ngRun = wrk(`http://127.0.0.1:${ng.port}/`, SECONDS);
    rows.push(['nginx return 200 (same run)', `${ngRun.rps.toFixed(0)} req/s`, '']);
    rows.push(['health / nginx', `${(emuRun.rps / ngRun.rps).toFixed(2)} x`, 'target >= 0.8 x']);
    ng.child.kill('SIGTERM');
  } else {
    rows.push(['nginx', 'not installed', 'ratio not measured']);
  }
  await stop(e.child);

  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`acsemu bench (${SECONDS} s per load, wrk -t1 -c32, ${os.cpus().length} cores)`);
  for (const r of rows) console.log(`  ${r[0].padEnd(w)}  ${r[1].padStart(14)}  ${r[2]}`);
})().catch((err) => { console.error(err); process.exit(1); });
