// The dashboard benchmark's browser driver (bench/dashboard/run.sh starts the servers and loads
// the data; bench/README.md describes the method). Headless Debian chromium through
// playwright-core (web/'s devDependency), a 1280×800 viewport, a new browser context (empty
// cache, no cookies) for every page load.
//
//   node drive.mjs --out RESULTS.tsv --runs N [--warmup W] [--vigil URL --access-key K
//                  --secret-key S] [--prometheus URL] [--pid-file FILE]
//
// For each run and each target (their order alternates from run to run), two page loads:
//   home   the UI's main page: Vigil's / after signing in (the overview), Prometheus'
//          /classic/graph. First contentful paint, the frame that shows the page's content,
//          bytes transferred.
//   chart  the 5 series over one day at a 10 s step. Vigil: /#/metrics?s=...&range=1d&period=10;
//          Prometheus: /classic/graph?g0.expr=wave&g0.range_input=1d&g0.step_input=10. The
//          frame after every series is drawn, when the data was asked for and how long its
//          request took (resource timing), the UI's own draw time, the JS heap after a GC,
//          main-thread time (CDP Performance.getMetrics), bytes transferred.
// Times are on the page's performance.now() clock: 0 is the start of the navigation.
// Appends RUN<TAB>TARGET<TAB>METRIC<TAB>VALUE lines to RESULTS.tsv (warm-up runs are not
// written) and prints each run's figures.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const { values: opt } = parseArgs({
  options: {
    out: { type: 'string' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    vigil: { type: 'string' },
    'access-key': { type: 'string' },
    'secret-key': { type: 'string' },
    prometheus: { type: 'string' },
    'pid-file': { type: 'string' },
  },
});
if (!opt.out || (!opt.vigil && !opt.prometheus)) {
  console.error('usage: drive.mjs --out FILE --runs N [--warmup W] [--vigil URL --access-key K --secret-key S] [--prometheus URL]');
  process.exit(2);
}

const kViewport = { width: 1280, height: 800 };
const kSeries = 5;
const kPoints = 8640;
const kDrawnPoints = kSeries * 8600;  // as tests/browser/dashboard.mjs: the live day may have moved on a few steps
const kTimeoutMs = 60000;

// What each UI is asked for, and how the page tells that it is there. `ready` and `drawn` are
// function sources evaluated in the page on every animation frame.
const targets = {};
if (opt.vigil) {
  const series = Array.from({ length: kSeries }, (_, s) => ({
    namespace: 'DashboardBench', metric: 'Wave', dimensions: { Series: `s${s}` }, stat: 'Average' }));
  targets.vigil = {
    url: opt.vigil.replace(/\/$/, ''),
    home: '/',
    // The overview after its first answers: the top bar and the alarm summary are shown.
    ready: `() => !document.getElementById('topbar')?.hidden &&
                  !!document.querySelector('[data-testid="alarm-count"]')`,
    chart: `/#/metrics?${new URLSearchParams({ s: JSON.stringify(series), range: '1d', period: '10' })}`,
    // chart.js sets data-points at setData and data-draw-ms in uPlot's draw hook (the canvas
    // is drawn by then).
    drawn: `() => {
      const box = document.querySelector('[data-testid="explorer-chart"]');
      return Number(box?.dataset.points) >= ${kDrawnPoints} && !!box.dataset.drawMs;
    }`,
    points: `() => Number(document.querySelector('[data-testid="explorer-chart"]').dataset.points)`,
    ownDrawMs: `() => Number(document.querySelector('[data-testid="explorer-chart"]').dataset.drawMs)`,
    // The GetMetricData answer: the largest POST / answer (ListMetrics' is a few hundred bytes).
    isData: (e) => new URL(e.name).pathname === '/' && e.initiatorType === 'fetch',
    async signIn(context) {
      const r = await context.request.post(`${this.url}/v1/session`, {
        data: { access_key_id: opt['access-key'], secret_access_key: opt['secret-key'] } });
      if (!r.ok()) throw new Error(`vigil sign-in: HTTP ${r.status()} ${await r.text()}`);
    },
  };
}
if (opt.prometheus) {
  // Rickshaw (d3, SVG) draws each series as one <path class="path">: "M x,y" then "L x,y"
  // for every further point. The drawn points are those commands, counted.
  const countPoints = `() => [...document.querySelectorAll('.graph svg path.path')]
    .reduce((n, p) => n + ((p.getAttribute('d') ?? '').match(/[ML]/g)?.length ?? 0), 0)`;
  targets.prometheus = {
    url: opt.prometheus.replace(/\/$/, ''),
    home: '/classic/graph',
    // index.js fetches the panel's template, then builds the panel with its expression input.
    ready: `() => !!document.querySelector('#graph_container .expression_input')`,
    chart: `/classic/graph?${new URLSearchParams({ 'g0.expr': 'wave', 'g0.tab': '0', 'g0.stacked': '0',
      'g0.range_input': '1d', 'g0.step_input': '10' })}`,
    // render() draws every series' path in one synchronous call: five paths with their
    // points are the whole chart (the points are counted afterwards, not in every frame).
    drawn: `() => [...document.querySelectorAll('.graph svg path.path')]
      .filter((p) => (p.getAttribute('d') ?? '').length > 0).length >= ${kSeries}`,
    points: countPoints,
    // Set by the wrapper of Prometheus.Graph.prototype.updateGraph (initScript below).
    ownDrawMs: '() => window.__benchUpdateGraphMs ?? null',
    isData: (e) => e.name.includes('/api/v1/query_range'),
    // Times the classic UI's updateGraph (Rickshaw graph, axes, render, legend), the nearest
    // to Vigil's data-draw-ms (uPlot's setData to its draw). Wrapped before jQuery's ready
    // handler runs: index.js is a classic script in <head>, loaded by DOMContentLoaded.
    initScript: `document.addEventListener('DOMContentLoaded', () => {
      const proto = window.Prometheus?.Graph?.prototype;
      if (!proto?.updateGraph) return;
      const update = proto.updateGraph;
      proto.updateGraph = function (...args) {
        const t0 = performance.now();
        try { return update.apply(this, args); } finally {
          window.__benchUpdateGraphMs ??= performance.now() - t0;
        }
      };
    });`,
    async signIn() {},
  };
}

// Installed before any page script: checks `condition` on every animation frame from the start
// of the navigation. The frame in which it first holds paints that state; the timestamp of the
// next frame (performance.now() clock, 0 = navigation start) is when that paint was done.
function watcherScript(condition) {
  return `(() => {
    const condition = ${condition};
    window.__bench = { readyAt: null, paintedAt: null, error: null };
    const frame = () => {
      let ok = false;
      try { ok = condition(); } catch (e) { window.__bench.error = String(e); }
      if (!ok) { requestAnimationFrame(frame); return; }
      window.__bench.readyAt = performance.now();
      requestAnimationFrame((t) => { window.__bench.paintedAt = t; });
    };
    requestAnimationFrame(frame);
  })();`;
}

async function pageLoad(browser, target, path, condition) {
  const context = await browser.newContext({ viewport: kViewport });
  try {
    await target.signIn(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`  [${target.name} page error] ${e.message}`));
    if (target.initScript) await page.addInitScript(target.initScript);
    await page.addInitScript(watcherScript(condition));
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(target.url + path, { waitUntil: 'commit' });
    await page.waitForFunction(() => window.__bench?.paintedAt !== null, null,
      { timeout: kTimeoutMs, polling: 50 });
    // Let late requests (the overview's second round, favicons) finish before counting bytes.
    await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const resources = performance.getEntriesByType('resource');
      return {
        bench: window.__bench,
        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
        bytes: nav.transferSize + resources.reduce((n, e) => n + e.transferSize, 0),
        resources: resources.map((e) => ({ name: e.name, initiatorType: e.initiatorType,
          startTime: e.startTime, requestStart: e.requestStart, responseEnd: e.responseEnd,
          transferSize: e.transferSize })),
      };
    });
    return { context, page, cdp, timing };
  } catch (e) {
    await context.close();
    throw e;
  }
}

async function measureHome(browser, target) {
  const { context, timing } = await pageLoad(browser, target, target.home, target.ready);
  await context.close();
  return {
    home_fcp_ms: timing.fcp,
    home_ready_ms: timing.bench.paintedAt,
    home_kb: timing.bytes / 1024,
  };
}

async function measureChart(browser, target) {
  const { context, page, cdp, timing } = await pageLoad(browser, target, target.chart, target.drawn);
  try {
    const painted = timing.bench.paintedAt;
    const data = timing.resources.filter((e) => target.isData(e) && e.responseEnd <= painted)
      .sort((a, b) => b.transferSize - a.transferSize)[0];
    const points = await page.evaluate(`(${target.points})()`);
    const ownDraw = await page.evaluate(`(${target.ownDrawMs})()`);
    const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics
      .map((m) => [m.name, m.value]));
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await cdp.send('Runtime.getHeapUsage');
    return {
      chart_ms: painted,
      chart_data_asked_ms: data ? data.startTime : null,
      chart_after_data_ms: data ? painted - data.responseEnd : null,
      chart_fetch_ms: data ? data.responseEnd - data.requestStart : null,
      chart_draw_ms: ownDraw,
      chart_points: points,
      chart_data_kb: data ? data.transferSize / 1024 : null,
      chart_kb: timing.bytes / 1024,
      chart_heap_mib: heap.usedSize / 1048576,
      chart_main_thread_ms: metrics.TaskDuration * 1000,
      chart_script_ms: metrics.ScriptDuration * 1000,
    };
  } finally {
    await context.close();
  }
}

const names = Object.keys(targets);
for (const name of names) targets[name].name = name;
const runs = Number(opt.runs);
const warmups = Number(opt.warmup);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // Root: chromium's sandbox needs an unprivileged user.
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
  // Signals are handled below: playwright's own handlers could leave chromium running when a
  // second signal came during its graceful close (Ctrl-C, then run.sh's SIGTERM).
  handleSIGINT: false,
  handleSIGTERM: false,
  handleSIGHUP: false,
});
// Chromium runs in its own process group (playwright starts it detached), led by the browser
// process: its id and its temporary profile go to --pid-file, for run.sh to kill the group and
// remove the profile should this process die without closing it (SIGKILL).
const browserPid = (await (await browser.newBrowserCDPSession()).send('SystemInfo.getProcessInfo'))
  .processInfo.find((p) => p.type === 'browser')?.id;
if (opt['pid-file'] && browserPid) {
  const profile = readFileSync(`/proc/${browserPid}/cmdline`, 'utf8').split('\0')
    .find((a) => a.startsWith('--user-data-dir='))?.slice('--user-data-dir='.length) ?? '';
  writeFileSync(opt['pid-file'], `${browserPid}\n${profile}\n`);
}
let stopping = false;
const stop = (signal, code) => {
  if (stopping) return;
  stopping = true;
  console.error(`drive.mjs: ${signal}, closing chromium`);
  const kill = () => {
    try { if (browserPid) process.kill(-browserPid, 'SIGKILL'); } catch { /* gone already */ }
    process.exit(code);
  };
  setTimeout(kill, 5000).unref();
  browser.close().then(kill, kill);
};
process.on('SIGINT', () => stop('SIGINT', 130));
process.on('SIGTERM', () => stop('SIGTERM', 143));
process.on('SIGHUP', () => stop('SIGHUP', 129));
let failed = false;
try {
  for (let run = 1 - warmups; run <= runs; run++) {
    const order = run % 2 ? names : [...names].reverse();
    for (const name of order) {
      const target = targets[name];
      let figures;
      try {
        figures = { ...await measureHome(browser, target), ...await measureChart(browser, target) };
      } catch (e) {
        if (stopping) await new Promise(() => {});  // closing on a signal: stop() exits
        throw e;
      }
      const label = run <= 0 ? `warm-up ${run + warmups}` : `run ${run}/${runs}`;
      console.error(`[${new Date().toISOString().slice(11, 19)}] ${label} ${name}: ` +
        Object.entries(figures).map(([k, v]) => `${k}=${v === null ? '-' : +v.toFixed(1)}`).join(' '));
      if (figures.chart_points < kDrawnPoints) {
        console.error(`  ${name}: only ${figures.chart_points} points drawn`);
        failed = true;
      }
      if (run <= 0) continue;
      appendFileSync(opt.out, Object.entries(figures).filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => `${run}\t${name}\t${k}\t${v.toFixed(3)}\n`).join(''));
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
