// Overview: the alarms (ALARM first), then every app with its version, healthy instances,
// deployment in progress and sparklines of the last 15 minutes of its load balancer: request
// rate, p99 latency, 5xx rate; then the canaries' last runs.
import { getMetricData, rest } from '../api.js';
import { kPalette, sparkline } from '../chart.js';
import { progressBlock } from '../deployments.js';
import { errorBox, h, replace, stateBadge, table } from '../dom.js';
import { ago, duration, latency, number, percent } from '../format.js';
import { explorerHref, last, lbQueries, seriesOf } from '../metricdata.js';

const kWindow = 15 * 60; // seconds of sparkline
const kPeriod = 10;
const kRefreshMs = 5000;
const kStateOrder = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 };

// The sparklines of one app card: [query id prefix, label, colour, formatter, the load
// balancer's metric and statistic the explorer opens on].
const kSparks = [
  ['rps', 'Requests', kPalette[0], (v) => `${number(v)}/s`, 'RequestCount', 'Sum'],
  ['p99', 'p99 latency', kPalette[4], latency, 'TargetResponseTime', 'p99'],
  ['e5', '5xx rate', kPalette[3], percent, 'HTTPCode_Target_5XX_Count', 'Sum'],
];

export function render(view, { scope }) {
  const status = h('div');
  const alarms = h('section', { class: 'alarms-summary', 'data-testid': 'overview-alarms' });
  const apps = h('section', { class: 'app-grid', 'data-testid': 'apps' });
  const canaries = h('section', { 'data-testid': 'canaries' });
  const updated = h('span', { class: 'muted small' });
  view.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Overview'), updated),
    status,
    h('h2', {}, 'Alarms'),
    alarms,
    h('h2', {}, 'Apps'),
    apps,
    h('h2', {}, 'Canaries'),
    canaries,
  );

  const cards = new Map(); // app name → {el, sparks, ...}
  scope.onDispose(() => cards.forEach((c) => c.sparks.forEach((s) => s.chart.destroy())));

  scope.every(
    kRefreshMs,
    async () => {
      // Up to the last whole period: the one in progress would read low.
      const end = Math.floor(Date.now() / 1000 / kPeriod) * kPeriod;
      const [appsDoc, alarmsDoc, canariesDoc] = await Promise.all([
        rest.apps(),
        rest.alarms(),
        rest.canaries(),
      ]);
      const list = appsDoc.apps ?? [];
      const queries = list.flatMap((app, i) =>
        app.listen ? lbQueries(app.name, kPeriod, `_${i}`) : [],
      );
      const metrics = queries.length ? await getMetricData(queries, end - kWindow, end) : new Map();
      if (!scope.alive) return;
      replace(status);
      renderAlarms(alarms, alarmsDoc.alarms ?? []);
      syncCards(apps, cards, list);
      list.forEach((app, i) => updateCard(cards.get(app.name), app, metrics, `_${i}`));
      replace(canaries, canaryTable(canariesDoc.canaries ?? []));
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    },
    (e) => replace(status, errorBox(e)),
  );
}

function renderAlarms(el, alarms) {
  const sorted = [...alarms].sort(
    (a, b) =>
      (kStateOrder[a.state] ?? 3) - (kStateOrder[b.state] ?? 3) || a.name.localeCompare(b.name),
  );
  const firing = sorted.filter((a) => a.state === 'ALARM').length;
  replace(
    el,
    h(
      'p',
      { class: firing ? 'alarm-count firing' : 'alarm-count', 'data-testid': 'alarm-count' },
      firing ? `${firing} in ALARM` : `No alarm firing (${alarms.length} alarms)`,
    ),
    sorted.length === 0
      ? null
      : h(
          'ul',
          { class: 'alarm-list' },
          sorted.map((a) =>
            h(
              'li',
              {
                class: `alarm-item state-row-${a.state.toLowerCase()}`,
                'data-testid': 'overview-alarm',
                'data-alarm': a.name,
                'data-state': a.state,
              },
              stateBadge(a.state),
              h('a', { href: `#/alarms/${encodeURIComponent(a.name)}` }, a.name),
              a.acknowledged ? h('span', { class: 'badge' }, 'acknowledged') : null,
              // Why it fires, for those in ALARM; the others' reasons are on hover.
              a.state === 'ALARM'
                ? h('span', { class: 'alarm-reason small', title: a.reason }, a.reason)
                : null,
              h('span', { class: 'since muted small', title: a.reason }, ago(a.updated_at)),
            ),
          ),
        ),
  );
}

// Makes one card per app, in the list's order; cards of apps gone are dropped.
function syncCards(container, cards, list) {
  const names = list.map((a) => a.name);
  if (names.join('\n') === [...cards.keys()].join('\n')) return;
  cards.forEach((c) => c.sparks.forEach((s) => s.chart.destroy()));
  cards.clear();
  replace(container);
  if (list.length === 0) container.append(h('p', { class: 'muted' }, 'No apps configured.'));
  for (const app of list) {
    const card = makeCard(app);
    container.append(card.el);
    card.sparks.forEach((s) => {
      s.chart = sparkline(s.box, { color: s.color });
    });
    cards.set(app.name, card);
  }
}

function makeCard(app) {
  const version = h('span', { class: 'badge version', 'data-testid': 'app-version' });
  const health = h('span', { class: 'health', 'data-testid': 'app-health' });
  const deployment = h('div');
  const sparks = app.listen
    ? kSparks.map(([id, label, color, format, metric, stat]) => {
        const series = {
          namespace: 'Vigil/LoadBalancer',
          metric,
          dimensions: { App: app.name },
          stat,
        };
        const value = h('span', { class: 'spark-value' });
        const box = h('div', { class: 'spark-chart', 'data-testid': `spark-${id}` });
        return {
          id,
          format,
          color,
          value,
          box,
          el: h(
            'a',
            {
              class: 'spark',
              href: explorerHref([series]),
              title: `${metric} ${stat} in the explorer`,
            },
            h('div', { class: 'spark-head' }, h('span', { class: 'muted small' }, label), value),
            box,
          ),
        };
      })
    : [];
  const el = h(
    'article',
    { class: 'card app-card', 'data-testid': 'app-card', 'data-app': app.name },
    h(
      'div',
      { class: 'app-card-head' },
      h('a', { class: 'app-name', href: `#/apps/${encodeURIComponent(app.name)}` }, app.name),
      version,
      health,
    ),
    deployment,
    app.listen
      ? h(
          'div',
          { class: 'sparks' },
          sparks.map((s) => s.el),
        )
      : h('p', { class: 'muted small' }, 'A worker app: no load balancer.'),
  );
  return { el, version, health, deployment, sparks };
}

function updateCard(card, app, metrics, suffix) {
  card.version.textContent = app.version ?? 'no version';
  const total = app.instances?.length ?? 0;
  card.health.textContent = `${app.healthy}/${total} healthy`;
  card.health.className = `health ${app.healthy < total || total === 0 ? 'degraded' : 'ok'}`;
  replace(card.deployment, app.deployment ? progressBlock(app.deployment) : null);
  for (const s of card.sparks) {
    const series = seriesOf(metrics, s.id + suffix);
    s.chart.setData([series.timestamps, series.values]);
    s.value.textContent = s.format(last(series));
  }
}

// As `vigil canaries list`: target, interval, runs, failures, the last result.
function canaryTable(list) {
  return table(
    [
      { label: 'Last run' },
      { label: 'Canary' },
      { label: 'Target', class: 'hide-narrow' },
      { label: 'Every', class: 'num' },
      { label: 'Runs', class: 'num' },
      { label: 'Failures', class: 'num' },
      { label: 'Why', class: 'wrap' },
    ],
    list.map((c) => {
      const last = c.last;
      const state = last === null ? 'no run yet' : last.ok ? 'passed' : 'failed';
      return {
        props: {
          'data-testid': 'canary',
          'data-canary': c.name,
          class: last && !last.ok ? 'row-alarm' : '',
        },
        cells: [
          h(
            'span',
            {
              class: `badge state-${last === null ? 'stopped' : last.ok ? 'ok' : 'alarm'}`,
              title: last ? `${ago(last.started_at)}, ${last.duration_ms} ms` : '',
            },
            state,
          ),
          c.name,
          c.app ? `app ${c.app}` : c.url,
          c.interval_ms > 0 ? duration(c.interval_ms / 1000) : 'on demand',
          String(c.runs),
          String(c.failures),
          last && !last.ok ? last.failure : '',
        ],
      };
    }),
    { empty: 'No canaries configured.' },
  );
}
