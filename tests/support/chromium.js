'use strict';
// Headless Chromium for the browser tests: Debian's /usr/bin/chromium
// (EMU_CHROMIUM overrides) driven by playwright-core from tests/sdk, never a
// downloaded browser. launch({ args, viewport }) opens a persistent context
// in a fresh profile directory; close() removes it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');
const { SRC } = require('./emu');

const CHROMIUM = process.env.EMU_CHROMIUM || '/usr/bin/chromium';
const requireSdk = createRequire(path.join(SRC, 'tests/sdk/package.json'));

async function launch({ args = [], viewport } = {}) {
  const { chromium } = requireSdk('playwright-core');
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'acsemu-chromium-'));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: CHROMIUM,
    headless: true,
    ...(viewport ? { viewport } : {}),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...args],
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userData, { recursive: true, force: true });
    },
  };
}

module.exports = { CHROMIUM, launch };
