// Metric explorer: pick namespace, metric and dimensions and a statistic, and add as many
// series as needed to one chart; period (auto or chosen) and time range (live, or dragged on
// the chart to zoom). The picker reads ListMetrics one namespace at a time (the namespaces
// offered come from a first few pages), so a store of a million series stays quick. The
// choice lives in the URL (#/metrics?s=...), so a view can be shared or bookmarked.
import { getMetricData, listMetrics } from '../api.js';
import { kPalette, timeChart } from '../chart.js';
import { errorBox, h, replace, select } from '../dom.js';
import { duration, number } from '../format.js';
import {
  align,
  explorerHref,
  kPeriods,
  metricStat,
  periodFor,
  seriesOf,
  wholePeriodsEnd,
} from '../metricdata.js';
import { timeRange } from '../timerange.js';

const kStats = [
  'Average',
  'Sum',
  'Minimum',
  'Maximum',
  'SampleCount',
  'p50',
  'p90',
  'p99',
  'p99.9',
];
const kRefreshMs = 10000;
const kMaxSeries = 10;

// A series: {namespace, metric, dimensions: {Name: Value}, stat}.
function seriesLabel(s) {
  const dims = Object.entries(s.dimensions)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${s.metric} ${s.stat}${dims ? ` {${dims}}` : ''}`;
}

function dimensionsOf(metric) {
  return Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
}

function dimsText(dimensions) {
  const text = Object.entries(dimensions)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return text || '(no dimensions)';
}

// The page's state from the URL query: s (JSON list of series), period ("auto" or seconds),
// range (a key of kRanges).
function readState(query) {
  let series = [];
  try {
    series = JSON.parse(query.get('s') ?? '[]')
      .filter((s) => s.namespace && s.metric && s.stat)
      .map((s) => ({ ...s, dimensions: s.dimensions ?? {} }));
  } catch {
    // A hand-edited URL: start empty.
  }
  return { series, period: query.get('period') ?? 'auto', range: query.get('range') ?? '1h' };
}

export function render(view, { query, scope }) {
  const state = readState(query);
  const status = h('div');
  const info = h('span', { class: 'muted small', 'data-testid': 'explorer-info' });
  const period = select(
    { 'data-testid': 'period', 'aria-label': 'Period' },
    [['auto', 'Auto period'], ...kPeriods.map((p) => [String(p), `${duration(p)} period`])],
    state.period,
  );
  const chips = h('ul', { class: 'series-list', 'data-testid': 'series-list' });
  const chartBox = h('div', { 'data-testid': 'explorer-chart' });
  const range = timeRange({
    initial: state.range,
    onChange: () => {
      saveState();
      load();
    },
  });

  let chart = null;
  scope.onDispose(() => chart?.destroy());

  let generation = 0;
  const load = async () => {
    if (!state.series.length) return;
    const mine = ++generation;
    const { start, end, live } = range.get();
    const p = period.value === 'auto' ? periodFor(start, end) : Number(period.value);
    const to = live ? wholePeriodsEnd(start, end, p) : end;
    const queries = state.series.map((s, i) => metricStat(`m${i}`, { ...s, period: p }));
    const t0 = performance.now();
    try {
      const results = await getMetricData(queries, start, to);
      if (mine !== generation || !scope.alive || !chart) return;
      const fetched = performance.now() - t0;
      const drawn = chart.setData(align(state.series.map((s, i) => seriesOf(results, `m${i}`))));
      replace(status);
      // The draw runs a microtask after setData (or when uPlot is loaded, were it not yet).
      drawn.then((ms) => {
        if (mine !== generation) return;
        info.textContent =
          `${number(Number(chartBox.dataset.points))} points at ${duration(p)} · ` +
          `fetched in ${Math.round(fetched)} ms, drawn in ${ms} ms`;
      });
    } catch (e) {
      if (mine === generation) replace(status, errorBox(e));
    }
  };

  // The data of the series the URL names is asked for first, before the rest of the page is
  // made (the chart at the end of render(), while the answer comes).
  load();

  const namespaces = h('datalist', { id: 'namespaces' });
  const namespace = h('input', {
    list: 'namespaces',
    'data-testid': 'namespace',
    'aria-label': 'Namespace',
    placeholder: 'e.g. Vigil/LoadBalancer',
    spellcheck: 'false',
    autocapitalize: 'off',
  });
  const listed = h('p', { class: 'muted small', hidden: true });
  const metric = h('select', { 'data-testid': 'metric', 'aria-label': 'Metric' });
  const dimensions = h('select', { 'data-testid': 'dimensions', 'aria-label': 'Dimensions' });
  const stat = select({ 'data-testid': 'stat', 'aria-label': 'Statistic' }, kStats, 'Average');
  const add = h(
    'button',
    { type: 'submit', class: 'primary', 'data-testid': 'add-series' },
    'Add to chart',
  );
  view.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Metrics'), info),
    status,
    h(
      'div',
      { class: 'explorer' },
      h(
        'form',
        { class: 'card picker', 'data-testid': 'metric-picker' },
        h('label', {}, 'Namespace', namespace, namespaces),
        h('label', {}, 'Metric', metric),
        h('label', {}, 'Dimensions', dimensions),
        h('label', {}, 'Statistic', stat),
        listed,
        add,
      ),
      h(
        'div',
        {},
        h('div', { class: 'toolbar' }, range.el, period),
        chips,
        h('section', { class: 'card chart-panel' }, chartBox),
      ),
    ),
  );

  let metrics = []; // ListMetrics of listedNamespace

  const saveState = () => {
    const href = explorerHref(state.series, { period: period.value, range: range.key });
    history.replaceState(null, '', href);
  };

  // The namespace's metrics, from ListMetrics filtered by it. `listedNamespace` is the one
  // whose metrics the picker shows; Add is off while another is being listed.
  let wantedNamespace = null;
  let listedNamespace = null;
  const fillMetrics = async () => {
    const ns = namespace.value.trim();
    if (ns === wantedNamespace) return;
    wantedNamespace = ns;
    add.disabled = true;
    const found = ns ? await listMetrics({ Namespace: ns }) : { metrics: [], truncated: false };
    if (!scope.alive || ns !== wantedNamespace) return;
    listedNamespace = ns;
    add.disabled = false;
    metrics = found.metrics;
    listed.hidden = !found.truncated;
    listed.textContent = `The first ${metrics.length} series of ${ns} are listed.`;
    const names = [...new Set(metrics.map((m) => m.MetricName))].sort();
    replace(
      metric,
      names.map((n) => h('option', { value: n }, n)),
    );
    fillDimensions();
  };
  const fillDimensions = () => {
    const sets = metrics
      .filter((m) => m.MetricName === metric.value)
      .map(dimensionsOf)
      .sort((a, b) => dimsText(a).localeCompare(dimsText(b)));
    replace(
      dimensions,
      sets.map((d) => h('option', { value: JSON.stringify(d) }, dimsText(d))),
    );
  };
  const onNamespace = () =>
    fillMetrics().catch((e) => {
      wantedNamespace = null;
      replace(status, errorBox(e));
    });
  namespace.addEventListener('change', onNamespace);
  // Enter in the namespace lists its metrics rather than adding the series shown.
  namespace.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    onNamespace();
  });
  metric.addEventListener('change', fillDimensions);

  add.form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!metric.value || !dimensions.value) return;
    if (state.series.length >= kMaxSeries) {
      replace(status, errorBox({ message: `At most ${kMaxSeries} series on one chart.` }));
      return;
    }
    state.series.push({
      namespace: listedNamespace,
      metric: metric.value,
      dimensions: JSON.parse(dimensions.value),
      stat: stat.value,
    });
    seriesChanged();
  });
  period.addEventListener('change', () => {
    saveState();
    load();
  });

  // A new set of series: the data is asked for first; the chart is made while it comes.
  const seriesChanged = () => {
    chart?.destroy();
    chart = null;
    load();
    showSeries();
  };
  const showSeries = () => {
    saveState();
    renderChips();
    chart = state.series.length
      ? timeChart(chartBox, {
          series: state.series.map((s) => ({ label: seriesLabel(s) })),
          height: 360,
          format: (v) => number(v),
          onZoom: (start, end) => range.zoom(start, end),
        })
      : null;
    if (!chart)
      replace(chartBox, h('p', { class: 'muted empty' }, 'Pick a metric and add it to the chart.'));
  };

  const renderChips = () =>
    replace(
      chips,
      state.series.map((s, i) =>
        h(
          'li',
          { class: 'series-chip', 'data-testid': 'series-chip' },
          h('span', { class: 'swatch', style: `background: ${kPalette[i % kPalette.length]}` }),
          `${s.namespace} · ${seriesLabel(s)}`,
          h(
            'button',
            {
              type: 'button',
              title: 'Remove',
              'aria-label': `Remove ${seriesLabel(s)}`,
              onclick: () => {
                state.series.splice(i, 1);
                seriesChanged();
              },
            },
            '×',
          ),
        ),
      ),
    );

  // The URL's series: their chart, while their data comes (asked for above) and while the
  // picker below lists the namespaces (ListMetrics).
  showSeries();
  let started = false;
  scope.every(
    kRefreshMs,
    async () => {
      if (!started) {
        // The namespaces of the first series listed (a few pages; any other can be typed).
        const { metrics: some } = await listMetrics({}, { maxPages: 4 });
        if (!scope.alive) return;
        const names = [...new Set(some.map((m) => m.Namespace))].sort();
        replace(
          namespaces,
          names.map((n) => h('option', { value: n })),
        );
        // Unless one was typed meanwhile.
        if (wantedNamespace === null) {
          namespace.value =
            state.series[0]?.namespace ??
            (names.includes('Vigil/LoadBalancer') ? 'Vigil/LoadBalancer' : (names[0] ?? ''));
          await fillMetrics();
        }
        started = true;
        return;
      }
      if (range.get().live) await load();
    },
    (e) => replace(status, errorBox(e)),
  );
}
