// The dashboard end to end, in headless Debian chromium driven by playwright-core, against a
// real Vigil running the shop behind its load balancer with traffic (tests/integration/
// dashboard_test.cc starts it; `make demo` works too):
//   a wrong access key, a wrong password, then sign in as a person (user name and password) ·
//   the account page (this session, MFA set-up with its QR code) · the overview shows the
//   shop · a chart draws points · one day at 10 s × 5 series draws every point · an alarm set
//   to ALARM from the page turns red and is acknowledged · deploy a version and roll back from the page, both recorded ·
//   logs, audit, the dark theme, every page at a phone's width · a revoked session · sign out.
// Exits 0 when every check passes, 1 with the failed check's message otherwise; screenshots of
// each page go to $VIGIL_SCREENSHOT_DIR.
//
// Environment:
//   VIGIL_URL                 the server, e.g. http://127.0.0.1:4510 (required)
//   VIGIL_ACCESS_KEY_ID       a key allowed everything (required)
//   VIGIL_SECRET_ACCESS_KEY
//   VIGIL_USERNAME            an IAM user allowed everything, with a password (required)
//   VIGIL_PASSWORD
//   VIGIL_SCREENSHOT_DIR      where the screenshots go (required)
//   VIGIL_APP                 the app with a load balancer (default shop)
//   VIGIL_DEPLOY_VERSION      a version of it, not serving, to deploy from the page (required)
//   CHROMIUM                  the browser (default /usr/bin/chromium)
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Checks, env, launch } from './lib.mjs';
// The encoder the server serves as /ui/vendor/qrcode.mjs (web/assets.txt), and the page's own
// drawing of its matrix: what the Account page's QR code must be.
import qrcode from '../../web/node_modules/qrcode-generator/dist/qrcode.mjs';
import { qrPath } from '../../web/src/qr.js';

const url = env('VIGIL_URL').replace(/\/$/, '');
const keyId = env('VIGIL_ACCESS_KEY_ID');
const secret = env('VIGIL_SECRET_ACCESS_KEY');
const username = env('VIGIL_USERNAME');
const password = env('VIGIL_PASSWORD');
const shots = env('VIGIL_SCREENSHOT_DIR');
const app = process.env.VIGIL_APP || 'shop';
const version = env('VIGIL_DEPLOY_VERSION');
mkdirSync(shots, { recursive: true });

const checks = new Checks();
const { browser, page } = await launch({ width: 1280, height: 900 });
const shot = (name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
const testid = (id) => `[data-testid="${id}"]`;

// A CloudWatch JSON 1.0 call with the page's session cookie and CSRF token, as the page makes
// it (for test fixtures the page has no form for).
async function cloudwatch(operation, body) {
  const session = await (await page.request.get(`${url}/v1/session`)).json();
  const response = await page.request.post(`${url}/`, {
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `GraniteServiceVersion20100801.${operation}`,
      'X-Vigil-Csrf': session.csrf_token,
    },
    data: JSON.stringify(body),
  });
  if (!response.ok())
    throw new Error(`${operation}: HTTP ${response.status()} ${await response.text()}`);
  return response.json();
}

// Goes to `hash` (#/...) in the signed-in page and waits until the router has drawn it: an old
// page's content must not answer for the new one. A hash already shown draws nothing: reload.
async function open(hash) {
  const renders = () => page.$eval('#view', (v) => Number(v.dataset.renders ?? 0));
  const before = await renders();
  await page.goto(`${url}/${hash}`);
  await page.waitForFunction(
    (n) => Number(document.getElementById('view').dataset.renders) > n,
    before,
  );
}

// Pixels of the chart's canvas in `rgb` (± 40 a channel): the series was drawn.
function pixelsOf(selector, [r, g, b]) {
  return page.$eval(
    `${selector} canvas`,
    (canvas, [r, g, b]) => {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (
          data[i + 3] > 0 &&
          Math.abs(data[i] - r) < 40 &&
          Math.abs(data[i + 1] - g) < 40 &&
          Math.abs(data[i + 2] - b) < 40
        )
          n++;
      }
      return n;
    },
    [r, g, b],
  );
}
const kFirstSeries = [0x4c, 0x9a, 0xff]; // chart.js kPalette[0]

try {
  // Timings are noted, not asserted (a busy CI machine is no measure): bench/dashboard
  // measures them side by side with Prometheus' UI.
  await checks.step('the page paints the sign-in form', async () => {
    await page.goto(`${url}/`);
    await page.waitForSelector(testid('signin-form'));
    const paint = await page.evaluate(
      () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
    );
    checks.expect(paint !== null, 'no first contentful paint');
    checks.note(`first contentful paint: ${paint?.toFixed(0)} ms`);
    // index.html preloads GET /v1/session, and app.js' own request is served by that preload:
    // one request, the link's (not matched, the fetch would be a second; none, it alone).
    const sessionReads = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter((e) => e.name.endsWith('/v1/session'))
        .map((e) => e.initiatorType)
        .join(','),
    );
    checks.expect(sessionReads === 'link', `GET /v1/session requests: ${sessionReads}`);
  });

  await checks.step(
    'the access key form is the second option; a wrong secret is refused',
    async () => {
      await page.click(testid('use-access-key'));
      await page.fill(testid('access-key-id'), keyId);
      await page.fill(testid('secret-access-key'), 'not-the-secret');
      await page.click(testid('sign-in'));
      const error = await page.waitForSelector(`${testid('signin-form')} ${testid('error')}`);
      checks.expect((await error.textContent()).length > 0, 'no error text');
      await page.click(testid('use-password'));
    },
  );

  await checks.step("a wrong password is refused with the server's message", async () => {
    await page.fill(testid('username'), username);
    await page.fill(testid('password'), 'not the password');
    await page.click(testid('sign-in'));
    const error = await page.waitForSelector(`${testid('signin-form')} ${testid('error')}`);
    const text = await error.textContent();
    checks.expect(text.includes('user name or password'), `error: ${text}`);
  });

  await checks.step('sign in as a person; the password is kept nowhere in the page', async () => {
    await page.fill(testid('password'), password);
    await page.click(testid('sign-in'));
    await page.waitForSelector('#topbar:not([hidden])');
    const who = await page.textContent(testid('principal'));
    checks.expect(who === username, `signed in as ${who}`);
    const kept = await page.evaluate(
      (s) => ({
        cookie: document.cookie,
        storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
        inputs: [...document.querySelectorAll('input')].some((i) => i.value === s),
        html: document.documentElement.outerHTML.includes(s),
      }),
      password,
    );
    checks.expect(
      !kept.cookie.includes('vigil_session'),
      'the session cookie is readable by scripts (not HttpOnly)',
    );
    checks.expect(
      !kept.storage.includes(password) && !kept.inputs && !kept.html,
      'the password is still in the page',
    );
  });

  await checks.step('the account page shows this session and the MFA set-up', async () => {
    await open('#/account');
    const row = await page.waitForSelector(`${testid('session-row')}:has-text("this session")`);
    checks.expect((await row.textContent()).includes('password'), 'the session row says how');
    const urls = [];
    const noteUrl = (request) => urls.push(request.url());
    page.on('request', noteUrl);
    await page.click(testid('mfa-setup'));
    const uri = await page.waitForSelector(testid('mfa-uri'));
    const uriText = await uri.textContent();
    checks.expect(
      uriText.startsWith(`otpauth://totp/Vigil:${username}?secret=`),
      'no otpauth:// URI shown',
    );
    // Its QR code: module for module what the served encoder makes of the URI shown, drawn
    // as a square, with the secret still there as text, and in no request's URL.
    const qr = await page.waitForSelector(`svg${testid('mfa-qr')}`);
    const drawn = await qr.evaluate((svg) => ({
      modules: Number(svg.dataset.modules),
      path: svg.querySelector('path')?.getAttribute('d'),
      width: svg.getBoundingClientRect().width,
      height: svg.getBoundingClientRect().height,
    }));
    const expected = qrPath(qrcode, uriText);
    checks.expect(
      drawn.modules === expected.count && drawn.path === expected.path,
      `the QR code does not encode the URI (${drawn.modules} modules a side, ` +
        `${expected.count} expected)`,
    );
    checks.expect(
      drawn.width >= 150 && drawn.width === drawn.height,
      `the QR code is ${drawn.width}×${drawn.height} px`,
    );
    const secret = new URL(uriText).searchParams.get('secret');
    checks.expect(
      (await page.textContent(testid('mfa-secret'))) === secret,
      'the setup key is not shown beside the QR code',
    );
    page.off('request', noteUrl);
    checks.expect(
      !urls.some((u) => u.includes(secret)),
      `the secret is in a URL: ${urls.find((u) => u.includes(secret))}`,
    );
    await shot('account');
    await open('#/overview');
  });

  await checks.step(`the overview shows ${app} with its instances and sparklines`, async () => {
    await page.waitForSelector(`${testid('app-card')}[data-app="${app}"]`);
    await page.waitForFunction(
      (a) => {
        const card = document.querySelector(`[data-testid="app-card"][data-app="${a}"]`);
        const health = card?.querySelector('[data-testid="app-health"]')?.textContent ?? '';
        const spark = card?.querySelector('[data-testid="spark-rps"]');
        return /^[1-9]\d*\/\d+ healthy$/.test(health) && Number(spark?.dataset.points) > 0;
      },
      app,
      { timeout: 45000 },
    );
    await shot('overview');
    // A sparkline opens its metric in the explorer.
    await page.click(
      `${testid('app-card')}[data-app="${app}"] a.spark:has(${testid('spark-p99')})`,
    );
    await page.waitForSelector(`${testid('series-chip')}:has-text("TargetResponseTime p99")`);
  });

  await checks.step('the metric explorer draws the request count', async () => {
    const series = [
      {
        namespace: 'Vigil/LoadBalancer',
        metric: 'RequestCount',
        dimensions: { App: app },
        stat: 'Sum',
      },
    ];
    await open(`#/metrics?${new URLSearchParams({ s: JSON.stringify(series), range: '15m' })}`);
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="explorer-chart"]')?.dataset.points) > 0,
      null,
      { timeout: 30000 },
    );
    const painted = await pixelsOf(testid('explorer-chart'), kFirstSeries);
    checks.expect(painted > 50, `the series drew ${painted} pixels`);
    // A second series from the picker: an instance's CPU.
    await page.fill(testid('namespace'), 'Vigil/Instances');
    await page.press(testid('namespace'), 'Enter');
    await page.waitForSelector(`${testid('metric')} option[value="CPUUtilization"]`, {
      state: 'attached',
    });
    await page.selectOption(testid('metric'), 'CPUUtilization');
    await page.selectOption(testid('stat'), 'Maximum');
    await page.click(testid('add-series'));
    await page.waitForFunction(() => {
      const box = document.querySelector('[data-testid="explorer-chart"]');
      return (
        box?.dataset.series === '2' &&
        document.querySelectorAll('[data-testid="series-chip"]').length === 2
      );
    });
    checks.expect(
      decodeURIComponent(page.url()).includes('"CPUUtilization"'),
      'the URL does not keep the new series',
    );
    await shot('metrics');
  });

  await checks.step('one day at 10 s, 8,640 points x 5 series, all drawn', async () => {
    const now = Math.floor(Date.now() / 1000 / 10) * 10;
    const points = 8640;
    const data = [];
    for (let s = 0; s < 5; s++) {
      for (let i = 0; i < points; i++) {
        const t = now - (points - i) * 10;
        data.push({
          MetricName: 'Wave',
          Dimensions: [{ Name: 'Series', Value: `s${s}` }],
          Timestamp: t,
          Value: 50 + 40 * Math.sin(i / (200 + 50 * s)) + s * 5,
        });
      }
    }
    for (let i = 0; i < data.length; i += 1000) {
      await cloudwatch('PutMetricData', {
        Namespace: 'DashboardTest',
        MetricData: data.slice(i, i + 1000),
      });
    }
    const series = [0, 1, 2, 3, 4].map((s) => ({
      namespace: 'DashboardTest',
      metric: 'Wave',
      dimensions: { Series: `s${s}` },
      stat: 'Average',
    }));
    const href = `#/metrics?${new URLSearchParams({ s: JSON.stringify(series), range: '1d', period: '10' })}`;
    await open(href);
    const chart = await page.waitForFunction(
      () => {
        const box = document.querySelector('[data-testid="explorer-chart"]');
        return Number(box?.dataset.points) >= 5 * 8600 && box.dataset.drawMs ? box : null;
      },
      null,
      { timeout: 30000 },
    );
    const drawn = Number(await chart.evaluate((box) => box.dataset.drawMs));
    const count = Number(await chart.evaluate((box) => box.dataset.points));
    checks.expect(count >= 5 * 8600, `only ${count} points drawn`);
    checks.note(`${count} points drawn in ${drawn} ms`);
    // The explorer's note, written when the draw is done.
    await page.waitForFunction(() =>
      /drawn in [\d.]+ ms$/.test(
        document.querySelector('[data-testid="explorer-info"]')?.textContent ?? '',
      ),
    );
    await shot('metrics-day');
  });

  await checks.step('the tooltip shows exact values; dragging zooms in', async () => {
    const over = await page.$(`${testid('explorer-chart')} .u-over`);
    const box = await over.boundingBox();
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.5, y);
    const tip = await page.waitForSelector(
      `${testid('explorer-chart')} .chart-tooltip:not([hidden])`,
    );
    const text = await tip.textContent();
    checks.expect(/Wave Average \{Series=s0\}: \d/.test(text), `the tooltip reads "${text}"`);
    await page.mouse.move(box.x + box.width * 0.4, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
    await page.mouse.up();
    await page.waitForSelector('.time-range .zoomed:not([hidden])');
    await page.waitForFunction(
      () => {
        const n = Number(document.querySelector('[data-testid="explorer-chart"]')?.dataset.points);
        return n > 0 && n < 5 * 8640 * 0.3;
      },
      null,
      { timeout: 15000 },
    );
  });

  await checks.step('an alarm set to ALARM from the page turns red; acknowledged', async () => {
    const alarm = 'dashboard-test-alarm';
    // A day-long period: no evaluation sets it back while the test looks at it.
    await cloudwatch('PutMetricAlarm', {
      AlarmName: alarm,
      Namespace: 'Vigil/LoadBalancer',
      MetricName: 'RequestCount',
      Dimensions: [{ Name: 'App', Value: app }],
      Statistic: 'Sum',
      Period: 86400,
      EvaluationPeriods: 1,
      Threshold: 1e12,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmDescription: 'made by tests/browser/dashboard.mjs',
    });
    // OK first (which also ends an acknowledgement from an earlier run on the same server).
    await cloudwatch('SetAlarmState', {
      AlarmName: alarm,
      StateValue: 'OK',
      StateReason: 'reset by the browser test',
    });
    await open(`#/alarms/${encodeURIComponent(alarm)}`);
    await page.waitForSelector(testid('alarm-state'));
    await page.click(testid('set-state'));
    await page.selectOption(testid('state-value'), 'ALARM');
    await page.fill(testid('state-reason'), 'tripped by the browser test');
    await page.click(`${testid('confirm-dialog')} ${testid('confirm')}`);
    const badge = await page.waitForSelector(`${testid('alarm-state')}[data-state="ALARM"]`, {
      timeout: 15000,
    });
    const colour = await badge.evaluate((el) => getComputedStyle(el).color);
    const [r, g] = colour.match(/\d+/g).map(Number);
    checks.expect(r > 150 && g < 110, `the ALARM badge is ${colour}, not red`);
    await page.waitForSelector(`${testid('alarm-reason')}:has-text("tripped by the browser test")`);
    await page.click(testid('ack'));
    await page.waitForSelector('.badge:has-text("acknowledged")');
    await page.waitForSelector(`${testid('history-item')}:has-text("to ALARM")`);
    await shot('alarm');
    await open(`#/overview`);
    await page.waitForSelector(
      `${testid('overview-alarm')}[data-alarm="${alarm}"][data-state="ALARM"]`,
    );
    const first = await page.$eval(testid('overview-alarm'), (el) => el.dataset.state);
    checks.expect(first === 'ALARM', `the overview lists a ${first} alarm first`);
    const count = await page.textContent(testid('alarm-count'));
    checks.expect(/in ALARM/.test(count), `the overview says "${count}"`);
  });

  await checks.step(
    `deploy ${version} from the app page, then roll back; both recorded`,
    async () => {
      await open(`#/apps/${encodeURIComponent(app)}`);
      await page.waitForSelector(`${testid('instance')}[data-state="healthy"]`, { timeout: 30000 });
      await page.waitForSelector(`${testid('app-version')}:not(:empty)`);
      const before = await page.textContent(testid('app-version'));
      checks.expect(
        before !== version,
        `${version} already serves ${app}: VIGIL_DEPLOY_VERSION must be another version`,
      );
      await page.click(testid('deploy'));
      await page.selectOption(testid('deploy-version'), version);
      await page.selectOption(testid('deploy-policy'), 'rolling');
      await page.fill(testid('deploy-batch'), '1');
      await page.fill(testid('deploy-bake'), '2');
      await page.click(`${testid('confirm-dialog')} ${testid('confirm')}`);
      const deployed = await (
        await page.waitForSelector(testid('deploy-started'))
      ).getAttribute('data-deployment');
      await page.waitForSelector(`${testid('deployment-progress')}[data-deployment="${deployed}"]`);
      await page.waitForSelector(
        `${testid('deployment')}[data-deployment="${deployed}"][data-state="succeeded"]`,
        { timeout: 90000 },
      );
      await page.waitForSelector(`${testid('app-version')}:text-is("${version}")`, {
        timeout: 15000,
      });
      checks.note(`${before} -> ${version} by ${deployed}`);
      await page.click(testid('rollback'));
      await page.click(`${testid('confirm-dialog')} ${testid('confirm')}`);
      const rolled = await (
        await page.waitForSelector(testid('rollback-started'))
      ).getAttribute('data-deployment');
      await page.waitForSelector(
        `${testid('deployment')}[data-deployment="${rolled}"][data-kind="rollback"][data-state="succeeded"]`,
        { timeout: 90000 },
      );
      await page.waitForSelector(`${testid('app-version')}:text-is("${before}")`, {
        timeout: 15000,
      });
      checks.note(`back to ${before} by ${rolled}`);
      await page.waitForFunction(
        () => Number(document.querySelector('[data-testid="chart-rps"]')?.dataset.points) > 0,
        null,
        { timeout: 30000 },
      );
      await page.waitForFunction(
        () =>
          document.querySelectorAll('[data-testid="app-logs"] [data-testid="log-line"]').length > 0,
        null,
        { timeout: 30000 },
      );
      await shot('app');
    },
  );

  await checks.step('logs: a filter pattern across groups, then live', async () => {
    await open(`#/logs`);
    await page.waitForSelector(`${testid('log-groups')} input[type=checkbox]`);
    await page.fill(testid('log-pattern'), '"GET /products"');
    await page.click(testid('log-search'));
    await page.waitForFunction(
      () => {
        const lines = [
          ...document.querySelectorAll('[data-testid="log-results"] [data-testid="log-line"]'),
        ];
        return lines.length > 0 && lines.every((l) => l.textContent.includes('GET /products'));
      },
      null,
      { timeout: 30000 },
    );
    const first = await page.$$eval(
      `${testid('log-results')} ${testid('log-line')}`,
      (l) => l.length,
    );
    await page.waitForFunction(
      (n) =>
        document.querySelectorAll('[data-testid="log-results"] [data-testid="log-line"]').length >
        n,
      first,
      { timeout: 30000 },
    );
    await shot('logs');
  });

  await checks.step('audit: the rollback and the alarm change are in the trail', async () => {
    await open(`#/audit`);
    await page.fill(testid('audit-action'), 'SetAlarmState');
    await page.click(testid('audit-search'));
    await page.waitForSelector(`${testid('audit-event')}[data-event="SetAlarmState"]`, {
      timeout: 15000,
    });
    await page.fill(testid('audit-action'), '');
    await page.fill(testid('audit-resource'), app);
    await page.click(testid('audit-search'));
    await page.waitForSelector(`${testid('audit-event')}[data-event="Rollback"]`, {
      timeout: 15000,
    });
    await shot('audit');
  });

  await checks.step('the app page in the dark theme (docs/dashboard.png)', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await open(`#/apps/${encodeURIComponent(app)}`);
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="chart-p99"]')?.dataset.points) > 0,
      null,
      { timeout: 30000 },
    );
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    checks.expect(background === 'rgb(13, 17, 23)', `the dark background is ${background}`);
    await page.screenshot({ path: path.join(shots, 'dashboard.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await checks.step("at a phone's width, every page fits the screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const hash of [
      '#/alarms',
      `#/apps/${encodeURIComponent(app)}`,
      '#/logs',
      '#/audit',
      '#/overview',
    ]) {
      await open(hash);
      await page.waitForLoadState('networkidle');
      // Wide tables and log lines scroll in their own boxes; nothing else may stick out.
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
          .filter((el) => !el.closest('.table-wrap, .nav, .log-view'))
          .map((el) => `${el.tagName.toLowerCase()}.${el.className}`)
          .slice(0, 3),
      );
      checks.expect(wide.length === 0, `${hash} is wider than the phone: ${wide.join(', ')}`);
    }
    await page.waitForSelector(`${testid('app-card')}[data-app="${app}"]`);
    await shot('phone-overview');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await checks.step(
    'a session revoked elsewhere brings the sign-in back, with the page',
    async () => {
      await open(`#/alarms`);
      await page.waitForSelector(testid('alarm-row'));
      // Revoked as an administrator would (DELETE /v1/iam/sessions/{id}).
      const session = await (await page.request.get(`${url}/v1/session`)).json();
      const ended = await page.request.delete(`${url}/v1/iam/sessions/${session.session_id}`, {
        headers: { 'X-Vigil-Csrf': session.csrf_token },
      });
      checks.expect(ended.status() === 204, `revoking the session answered ${ended.status()}`);
      // The alarms page polls every 5 s: its next call is refused.
      await page.waitForSelector(testid('signin-form'), { timeout: 15000 });
      await page.fill(testid('username'), username);
      await page.fill(testid('password'), password);
      await page.click(testid('sign-in'));
      await page.waitForSelector(testid('alarm-row'));
      checks.expect(page.url().endsWith('#/alarms'), `signed in again on ${page.url()}`);
    },
  );

  await checks.step('sign out ends the session', async () => {
    await page.click(testid('sign-out'));
    await page.waitForSelector(testid('signin-form'));
    const status = (await page.request.get(`${url}/v1/session`)).status();
    checks.expect(status === 401, `GET /v1/session after sign-out answered ${status}`);
  });
} catch (e) {
  // Checks.step() has reported it; the page as it was helps to see why.
  checks.failed ??= String(e.stack ?? e);
  await shot('failure').catch(() => {});
} finally {
  await browser.close();
}
process.exit(checks.finish());
