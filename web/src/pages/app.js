// App detail: its instances, load-balancer graphs, recent logs (live tail, filter), the
// deployments timeline with each one's events, and Deploy / Roll back (after confirmation).
import { getMetricData, rest } from '../api.js';
import { chartPanel, kPalette } from '../chart.js';
import { deployDialog, progressBlock, rollbackDialog, summary } from '../deployments.js';
import { changed, errorBox, h, replace, stateBadge, table } from '../dom.js';
import { ago, bytes, dateTime, duration, latency, number, percent, timeOfDay } from '../format.js';
import { followLogs, logList, searchNewest } from '../logview.js';
import { align, lbQueries, periodFor, seriesOf, wholePeriodsEnd } from '../metricdata.js';
import { timeRange } from '../timerange.js';

const kRefreshMs = 3000;
const kChartRefreshMs = 10000;
const kLogWindowMs = 15 * 60 * 1000; // how far back the recent logs shown on opening go

export function render(view, { params: [name], scope }) {
  const page = h('div', { 'data-testid': 'app-page', 'data-app': name });
  view.append(page);
  const status = h('div', { 'data-testid': 'app-status' }); // the last action's outcome
  const pollError = h('div');
  const version = h('span', { class: 'badge version', 'data-testid': 'app-version' });
  const health = h('span', { class: 'health', 'data-testid': 'app-health' });
  const deployButton = h(
    'button',
    { type: 'button', class: 'primary', 'data-testid': 'deploy' },
    'Deploy…',
  );
  const rollbackButton = h(
    'button',
    { type: 'button', class: 'danger', 'data-testid': 'rollback' },
    'Roll back…',
  );
  const progress = h('div');
  const instances = h('div', { 'data-testid': 'instances' });
  const deployments = h('div', { 'data-testid': 'deployments' });
  let current = null; // the app document last read
  const opened = new Set(); // deployments whose events are shown

  page.append(
    h(
      'div',
      { class: 'page-head' },
      h('div', { class: 'title' }, h('h1', {}, name), version, health),
      deployButton,
      rollbackButton,
    ),
    status,
    pollError,
    progress,
    h('h2', {}, 'Instances'),
    instances,
  );

  const refresh = async () => {
    const [app, deps] = await Promise.all([rest.app(name), rest.deployments(name, 10)]);
    if (!scope.alive) return;
    replace(pollError);
    current = app;
    version.textContent = app.version ?? 'no version';
    const total = app.instances.length;
    health.textContent = `${app.healthy}/${total} healthy`;
    health.className = `health ${app.healthy < total || total === 0 ? 'degraded' : 'ok'}`;
    replace(progress, app.deployment ? progressBlock(app.deployment) : null);
    if (changed(instances, app.instances)) replace(instances, instanceTable(app.instances));
    if (changed(deployments, deps.deployments))
      replace(deployments, timeline(deps.deployments, opened));
  };
  scope.every(kRefreshMs, refresh, (e) => replace(pollError, errorBox(e)));

  deployButton.addEventListener('click', () => deployDialog(name, status, refresh));
  rollbackButton.addEventListener('click', () => rollbackDialog(name, current, status, refresh));

  renderCharts(page, name, scope);
  renderLogs(page, name, scope);
  page.append(h('h2', {}, 'Deployments'), deployments);
}

function instanceTable(list) {
  const columns = [
    { label: 'Instance' },
    { label: 'Version' },
    { label: 'State' },
    { label: 'Reason' },
    { label: 'CPU', class: 'num' },
    { label: 'RSS', class: 'num' },
    { label: 'Restarts', class: 'num' },
    { label: 'Uptime', class: 'num' },
    { label: 'Rotation', class: 'hide-narrow' },
  ];
  return table(
    columns,
    list.map((i) => ({
      props: { 'data-testid': 'instance', 'data-instance': i.id, 'data-state': i.state },
      cells: [
        h('span', { class: 'mono', title: `pid ${i.pid ?? '–'} on ${i.address ?? '–'}` }, i.id),
        i.version ?? '–',
        stateBadge(i.state),
        h('span', { title: i.state_since ? `since ${dateTime(i.state_since)}` : '' }, i.reason),
        i.cpu_percent === null || i.cpu_percent === undefined
          ? '–'
          : `${i.cpu_percent.toFixed(1)}%`,
        bytes(i.rss_bytes),
        String(i.restarts ?? 0),
        duration(i.uptime_seconds),
        i.in_rotation ? 'in' : 'out',
      ],
    })),
    { empty: 'No instances running.' },
  );
}

// The deployments, newest first; `opened` holds the ids whose events are unfolded, kept
// across redraws.
function timeline(list, opened) {
  if (list.length === 0) return h('p', { class: 'muted' }, 'No deployments yet.');
  return h(
    'ol',
    { class: 'timeline' },
    list.map((d) =>
      h(
        'li',
        {
          class: `tl-${d.state}`,
          'data-testid': 'deployment',
          'data-deployment': d.id,
          'data-kind': d.kind,
          'data-state': d.state,
        },
        h(
          'div',
          {},
          stateBadge(d.state),
          ' ',
          h('strong', {}, d.id),
          ' ',
          d.kind,
          ' ',
          summary(d),
          h(
            'span',
            { class: 'muted small' },
            ` · ${dateTime(d.created_at)} (${ago(d.created_at)})`,
          ),
        ),
        d.reason ? h('div', { class: 'small' }, d.reason) : null,
        d.state === 'in-progress' ? h('div', { class: 'muted small' }, d.phase) : null,
        h(
          'details',
          {
            open: opened.has(d.id),
            ontoggle: (e) => (e.target.open ? opened.add(d.id) : opened.delete(d.id)),
          },
          h('summary', { class: 'small muted' }, `${d.events.length} events`),
          h(
            'ul',
            { class: 'events' },
            d.events.map((e) => h('li', {}, `[${timeOfDay(Date.parse(e.at))}] ${e.message}`)),
          ),
        ),
      ),
    ),
  );
}

// The load balancer's graphs over a chosen range, live.
function renderCharts(page, app, scope) {
  const status = h('div');
  const range = timeRange({ initial: '1h', onChange: () => load(), testid: 'app-range' });
  const onZoom = (start, end) => range.zoom(start, end);
  const panels = [
    ['rps', 'Requests per second', (v) => number(v), kPalette[0]],
    ['p99', 'p99 latency', latency, kPalette[4]],
    ['e5', '5xx rate (% of requests)', percent, kPalette[3]],
    ['hh', 'Healthy hosts (minimum)', (v) => number(v), kPalette[2]],
  ].map(([id, title, format, color]) => ({
    id,
    panel: chartPanel(
      title,
      { series: [{ label: title, color }], height: 180, format, onZoom },
      `chart-${id}`,
    ),
  }));
  page.append(
    h('div', { class: 'page-head' }, h('h2', {}, 'Load balancer'), range.el),
    status,
    h(
      'div',
      { class: 'chart-grid' },
      panels.map((p) => p.panel.el),
    ),
  );
  panels.forEach((p) => p.panel.mount());
  scope.onDispose(() => panels.forEach((p) => p.panel.destroy()));

  let generation = 0;
  const load = async () => {
    const mine = ++generation;
    const { start, end, live } = range.get();
    const period = periodFor(start, end, { maxPoints: 720 });
    const queries = lbQueries(app, period, '', { healthy: true });
    const results = await getMetricData(
      queries,
      start,
      live ? wholePeriodsEnd(start, end, period) : end,
    );
    if (mine !== generation || !scope.alive) return;
    replace(status);
    for (const p of panels) p.panel.setData(align([seriesOf(results, p.id)]));
  };
  scope.every(
    kChartRefreshMs,
    () => (range.get().live ? load() : undefined),
    (e) => replace(status, errorBox(e)),
  );
}

// The app's log group: the last minute, then followed live; a filter pattern narrows it.
function renderLogs(page, app, scope) {
  const group = `/vigil/${app}`;
  const status = h('div');
  const list = logList({ testid: 'app-logs' });
  const pattern = h('input', {
    type: 'search',
    placeholder: 'Filter pattern, e.g. ERROR or "GET /products"',
    'data-testid': 'app-log-filter',
    size: 40,
  });
  const live = h('input', { type: 'checkbox', checked: true, 'data-testid': 'app-log-live' });
  page.append(
    h(
      'div',
      { class: 'page-head' },
      h('h2', {}, `Logs (${group})`),
      h('label', { class: 'inline' }, live, 'Live tail'),
    ),
    h('form', { class: 'toolbar' }, pattern, h('button', { type: 'submit' }, 'Filter')),
    status,
    list.el,
  );

  let stopTail = () => {};
  let generation = 0;
  const start = async () => {
    const mine = ++generation;
    stopTail();
    list.clear();
    replace(status);
    const since = Date.now() - kLogWindowMs;
    try {
      const { events } = await searchNewest([group], {
        pattern: pattern.value.trim(),
        start: since,
        end: null,
        limit: 500,
      });
      if (mine !== generation || !scope.alive) return;
      list.append(events);
      if (live.checked) {
        stopTail = followLogs(scope, [group], {
          pattern: pattern.value.trim(),
          since,
          shown: events,
          onEvents: (fresh) => list.append(fresh),
          onError: (e) => replace(status, errorBox(e)),
        });
      }
    } catch (e) {
      replace(status, errorBox(e));
    }
  };
  pattern.form.addEventListener('submit', (e) => {
    e.preventDefault();
    start();
  });
  live.addEventListener('change', start);
  start();
}
