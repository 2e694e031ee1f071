// App detail: its instances, load-balancer graphs, recent logs (live tail, filter), the
// deployments timeline with each one's events, and Deploy / Roll back (after confirmation).
import { getMetricData, rest } from '../api.js';
import { chartPanel, kPalette } from '../chart.js';
import { confirmDialog } from '../dialog.js';
import { progressBlock, summary } from '../deployments.js';
import { changed, errorBox, h, replace, select, stateBadge, table } from '../dom.js';
import { ago, bytes, dateTime, duration, latency, number, percent, timeOfDay } from '../format.js';
import { followLogs, logList, searchLogs } from '../logview.js';
import { align, lbQueries, periodFor, seriesOf, wholePeriodsEnd } from '../metricdata.js';
import { timeRange } from '../timerange.js';

const kRefreshMs = 3000;
const kChartRefreshMs = 10000;
const kLogWindowMs = 60 * 1000;  // the recent logs shown on opening
const kPolicies = ['rolling', 'rolling-with-batch', 'all-at-once', 'immutable', 'blue-green'];

export function render(view, { params: [name], scope }) {
  const page = h('div', { 'data-testid': 'app-page', 'data-app': name });
  view.append(page);
  const status = h('div', { 'data-testid': 'app-status' });  // the last action's outcome
  const pollError = h('div');
  const version = h('span', { class: 'badge version', 'data-testid': 'app-version' });
  const health = h('span', { class: 'health', 'data-testid': 'app-health' });
  const deployButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'deploy' }, 'Deploy…');
  const rollbackButton = h('button', { type: 'button', class: 'danger', 'data-testid': 'rollback' }, 'Roll back…');
  const progress = h('div');
  const instances = h('div', { 'data-testid': 'instances' });
  const deployments = h('div', { 'data-testid': 'deployments' });
  let current = null;  // the app document last read
  const opened = new Set();  // deployments whose events are shown

  page.append(
    h('div', { class: 'page-head' },
      h('div', { class: 'title' }, h('h1', {}, name), version, health),
      deployButton, rollbackButton),
    status, pollError, progress,
    h('h2', {}, 'Instances'), instances);

  const refresh = async () => {
    const [app, inst, deps] = await Promise.all([
      rest.app(name), rest.instances(name), rest.deployments(name, 10)]);
    if (!scope.alive) return;
    replace(pollError);
    current = app;
    version.textContent = app.version ?? 'no version';
    const total = inst.instances.length;
    health.textContent = `${app.healthy}/${total} healthy`;
    health.className = `health ${app.healthy < total || total === 0 ? 'degraded' : 'ok'}`;
    replace(progress, app.deployment ? progressBlock(app.deployment) : null);
    if (changed(instances, inst.instances)) replace(instances, instanceTable(inst.instances));
    if (changed(deployments, deps.deployments)) replace(deployments, timeline(deps.deployments, opened));
  };
  scope.every(kRefreshMs, refresh, (e) => replace(pollError, errorBox(e)));

  deployButton.addEventListener('click', () => deploy(name, status, refresh));
  rollbackButton.addEventListener('click', () => rollback(name, current, status, refresh));

  renderCharts(page, name, scope);
  renderLogs(page, name, scope);
  page.append(h('h2', {}, 'Deployments'), deployments);
}

function instanceTable(list) {
  const columns = [
    { label: 'Instance' }, { label: 'Version' }, { label: 'State' }, { label: 'Reason' },
    { label: 'CPU', class: 'num' }, { label: 'RSS', class: 'num' },
    { label: 'Restarts', class: 'num' }, { label: 'Uptime', class: 'num' },
    { label: 'Rotation', class: 'hide-narrow' }];
  return table(columns, list.map((i) => ({
    props: { 'data-testid': 'instance', 'data-instance': i.id, 'data-state': i.state },
    cells: [
      h('span', { class: 'mono', title: `pid ${i.pid ?? '–'} on ${i.address ?? '–'}` }, i.id),
      i.version ?? '–',
      stateBadge(i.state),
      h('span', { title: i.state_since ? `since ${dateTime(i.state_since)}` : '' }, i.reason),
      i.cpu_percent === null || i.cpu_percent === undefined ? '–' : percent(i.cpu_percent),
      bytes(i.rss_bytes),
      String(i.restarts ?? 0),
      duration(i.uptime_seconds),
      i.in_rotation ? 'in' : 'out',
    ],
  })), { empty: 'No instances running.' });
}

// The deployments, newest first; `opened` holds the ids whose events are unfolded, kept
// across redraws.
function timeline(list, opened) {
  if (list.length === 0) return h('p', { class: 'muted' }, 'No deployments yet.');
  return h('ol', { class: 'timeline' }, list.map((d) =>
    h('li', { class: `tl-${d.state}`, 'data-testid': 'deployment', 'data-deployment': d.id,
      'data-kind': d.kind, 'data-state': d.state },
    h('div', {},
      stateBadge(d.state), ' ', h('strong', {}, d.id), ' ', d.kind, ' ', summary(d),
      h('span', { class: 'muted small' }, ` · ${dateTime(d.created_at)} (${ago(d.created_at)})`)),
    d.reason ? h('div', { class: 'small' }, d.reason) : null,
    d.state === 'in-progress' ? h('div', { class: 'muted small' }, d.phase) : null,
    h('details', { open: opened.has(d.id),
      ontoggle: (e) => (e.target.open ? opened.add(d.id) : opened.delete(d.id)) },
    h('summary', { class: 'small muted' }, `${d.events.length} events`),
      h('ul', { class: 'events' }, d.events.map((e) =>
        h('li', {}, `[${timeOfDay(Date.parse(e.at))}] ${e.message}`)))))));
}

async function deploy(app, status, refresh) {
  let versions;
  try {
    versions = await rest.versions(app);
  } catch (e) {
    replace(status, errorBox(e));
    return;
  }
  const others = versions.versions.filter((v) => v.label !== versions.current);
  if (others.length === 0) {
    replace(status, errorBox({ message: `${app} has no version but the one serving (${versions.current}); create one with vigil versions create.` }));
    return;
  }
  const newest = others[others.length - 1].label;
  const label = select({ 'data-testid': 'deploy-version' },
    versions.versions.map((v) => [v.label, `${v.label}${v.label === versions.current ? ' (serving)' : ''}${v.description ? ` — ${v.description}` : ''}`]), newest);
  const policy = select({ 'data-testid': 'deploy-policy' }, kPolicies, 'rolling');
  const batch = h('input', { value: '1', 'data-testid': 'deploy-batch', 'aria-label': 'Batch' });
  const bake = h('input', { type: 'number', min: '0', placeholder: 'server default', 'data-testid': 'deploy-bake' });
  const ok = await confirmDialog({
    title: `Deploy ${app}`,
    body: [
      h('p', { class: 'muted' }, `Serving ${versions.current ?? 'nothing'}. The rollout is watched by the app's alarms and health checks and rolls back on a failure.`),
      h('label', {}, 'Version', label),
      h('div', { class: 'grid-2' }, h('label', {}, 'Policy', policy), h('label', {}, 'Batch (instances or %)', batch)),
      h('label', {}, 'Bake (seconds)', bake),
    ],
    confirm: 'Deploy',
  });
  if (!ok) return;
  const body = { version: label.value, policy: policy.value };
  if (batch.value.trim()) body.batch = batch.value.trim();
  if (bake.value !== '') body.bake_seconds = Number(bake.value);
  try {
    const d = await rest.deploy(app, body);
    replace(status, h('div', { class: 'notice', 'data-testid': 'deploy-started', 'data-deployment': d.id },
      `Deployment ${d.id} started: ${summary(d)}.`));
    await refresh();
  } catch (e) {
    replace(status, errorBox(e));
  }
}

async function rollback(app, current, status, refresh) {
  let versions;
  try {
    versions = await rest.versions(app);
  } catch (e) {
    replace(status, errorBox(e));
    return;
  }
  const to = select({ 'data-testid': 'rollback-to' },
    [['', 'the previous version'], ...versions.versions.filter((v) => v.label !== versions.current)
      .map((v) => [v.label, v.label])], '');
  const reason = h('input', { placeholder: 'manual rollback', 'data-testid': 'rollback-reason' });
  const ok = await confirmDialog({
    title: `Roll back ${app}?`,
    body: [
      h('p', {}, current?.deployment
        ? `Deployment ${current.deployment.id} (${summary(current.deployment)}) is in progress: it stops and the old version comes back.`
        : `${app} serves ${versions.current ?? 'nothing'}. Its instances are replaced at once, with no analysis.`),
      h('label', {}, 'To', to),
      h('label', {}, 'Reason (kept in the deployment and the audit trail)', reason),
    ],
    confirm: 'Roll back',
    danger: true,
  });
  if (!ok) return;
  const body = {};
  if (to.value) body.to = to.value;
  if (reason.value.trim()) body.reason = reason.value.trim();
  try {
    const d = await rest.rollback(app, body);
    replace(status, h('div', { class: 'notice', 'data-testid': 'rollback-started', 'data-deployment': d.id },
      `Rollback ${d.id}: ${summary(d)}, ${d.state}.`));
    await refresh();
  } catch (e) {
    replace(status, errorBox(e));
  }
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
    id, panel: chartPanel(title, { series: [{ label: title, color }], height: 180, format, onZoom }, `chart-${id}`),
  }));
  page.append(
    h('div', { class: 'page-head' }, h('h2', {}, 'Load balancer'), range.el),
    status,
    h('div', { class: 'chart-grid' }, panels.map((p) => p.panel.el)));
  panels.forEach((p) => p.panel.mount());
  scope.onDispose(() => panels.forEach((p) => p.panel.destroy()));

  let generation = 0;
  const load = async () => {
    const mine = ++generation;
    const { start, end, live } = range.get();
    const period = periodFor(start, end, { maxPoints: 720 });
    const queries = lbQueries(app, period, '', { healthy: true });
    const results = await getMetricData(queries, start, live ? wholePeriodsEnd(start, end, period) : end);
    if (mine !== generation || !scope.alive) return;
    replace(status);
    for (const p of panels) p.panel.setData(align([seriesOf(results, p.id)]));
  };
  scope.every(kChartRefreshMs, () => (range.get().live ? load() : undefined),
    (e) => replace(status, errorBox(e)));
}

// The app's log group: the last minute, then followed live; a filter pattern narrows it.
function renderLogs(page, app, scope) {
  const group = `/vigil/${app}`;
  const status = h('div');
  const list = logList({ testid: 'app-logs' });
  const pattern = h('input', { type: 'search', placeholder: 'Filter pattern, e.g. ERROR or "GET /products"',
    'data-testid': 'app-log-filter', size: 40 });
  const live = h('input', { type: 'checkbox', checked: true, 'data-testid': 'app-log-live' });
  page.append(
    h('div', { class: 'page-head' }, h('h2', {}, `Logs (${group})`),
      h('label', { class: 'inline' }, live, 'Live tail')),
    h('form', { class: 'toolbar' }, pattern, h('button', { type: 'submit' }, 'Filter')),
    status, list.el);

  let stopTail = () => {};
  let generation = 0;
  const start = async () => {
    const mine = ++generation;
    stopTail();
    list.clear();
    replace(status);
    const since = Date.now() - kLogWindowMs;
    try {
      const { events } = await searchLogs([group], { pattern: pattern.value.trim(), start: since, end: null, perGroup: 1000 });
      if (mine !== generation || !scope.alive) return;
      list.append(events);
      if (live.checked) {
        stopTail = followLogs(scope, [group], {
          pattern: pattern.value.trim(), since, shown: events,
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
