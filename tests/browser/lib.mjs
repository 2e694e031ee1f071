// What the browser tests share: the environment, a headless chromium page, and named steps
// whose failures end the run with a clear message.
import { createRequire } from 'node:module';
import path from 'node:path';

// playwright-core is web/'s devDependency (npm ci --prefix web), not installed at the top.
const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

// A required environment variable.
export function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${path.basename(process.argv[1])}: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

// Debian's chromium, headless, and one page of `viewport` size. Console errors and uncaught
// page errors are printed as they happen: a failed step is often explained by them.
export async function launch(viewport) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // Root in CI: chromium's sandbox needs an unprivileged user.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`  [page console] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
  return { browser, page };
}

class CheckFailed extends Error {}

// Runs named steps in order and reports each with its time; the first failure stops the run.
export class Checks {
  constructor() {
    this.failed = null;
    this.started = Date.now();
  }

  // Runs `body`; a thrown error or a failed expect() fails the step (and stops the run).
  async step(name, body) {
    if (this.failed) return;
    const t0 = Date.now();
    try {
      await body();
      console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      this.failed = `${name}: ${e instanceof CheckFailed ? e.message : (e.stack ?? e)}`;
      console.log(`FAIL ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n     ${this.failed}`);
      throw e;
    }
  }

  expect(condition, message) {
    if (!condition) throw new CheckFailed(message);
  }

  note(text) {
    console.log(`     ${text}`);
  }

  // The exit code: 0 when every step passed.
  finish() {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    if (this.failed) {
      console.error(`dashboard test FAILED after ${seconds} s: ${this.failed}`);
      return 1;
    }
    console.log(`all checks passed in ${seconds} s`);
    return 0;
  }
}
