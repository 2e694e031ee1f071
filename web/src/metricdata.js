// What the pages ask GetMetricData for: time ranges, the period for a range, MetricStat and
// expression queries, and the load balancer's per-app series. Derived series (request rate,
// 5xx rate) are metric-math expressions evaluated by the server, the same ones its default
// alarms use, so the page shows what the alarms see.

// The ranges the pickers offer: [key, seconds, label].
export const kRanges = [
  ['15m', 900, 'Last 15 minutes'],
  ['1h', 3600, 'Last hour'],
  ['3h', 3 * 3600, 'Last 3 hours'],
  ['12h', 12 * 3600, 'Last 12 hours'],
  ['1d', 86400, 'Last day'],
  ['3d', 3 * 86400, 'Last 3 days'],
  ['7d', 7 * 86400, 'Last 7 days'],
  ['30d', 30 * 86400, 'Last 30 days'],
];

export function rangeSeconds(key) {
  return (kRanges.find((r) => r[0] === key) ?? kRanges[1])[1];
}

// Periods the explorer offers, in seconds.
export const kPeriods = [1, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400];

// The shortest period that keeps a range within `maxPoints` points and that CloudWatch accepts
// for its start: a multiple of 300 s once the start is over 15 days old, of 3600 s over 63
// days (rollup tiers, README "Rollups").
export function periodFor(start, end, { maxPoints = 1500, now = Date.now() / 1000 } = {}) {
  const age = now - start;
  const multiple = age > 63 * 86400 ? 3600 : age > 15 * 86400 ? 300 : 1;
  return (
    kPeriods.find((p) => p % multiple === 0 && (end - start) / p <= maxPoints) ??
    kPeriods[kPeriods.length - 1]
  );
}

// The end of a live range at the last whole period (the period in progress would read low),
// unless that leaves nothing of the range.
export function wholePeriodsEnd(start, end, period) {
  const aligned = Math.floor(end / period) * period;
  return aligned > start ? aligned : end;
}

// {Name: Value} → CloudWatch's [{Name, Value}], sorted by name.
export function dimensionList(dimensions) {
  return Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Name, Value]) => ({ Name, Value }));
}

// A MetricStat query. `stat` is any statistic GetMetricData takes (Sum, Average, p99, ...).
export function metricStat(
  id,
  { namespace, metric, dimensions = {}, stat, period, label, returnData = true },
) {
  const q = {
    Id: id,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: metric, Dimensions: dimensionList(dimensions) },
      Period: period,
      Stat: stat,
    },
    ReturnData: returnData,
  };
  if (label) q.Label = label;
  return q;
}

function expression(id, text, label) {
  return { Id: id, Expression: text, Label: label, ReturnData: true };
}

const kLb = 'Vigil/LoadBalancer';

// An app's load-balancer series, as queries whose Ids end in `suffix`:
//   rps<suffix>  requests per second         RequestCount Sum / PERIOD
//   p99<suffix>  p99 latency (seconds)       TargetResponseTime p99
//   e5<suffix>   5xx rate (% of requests)    100 * FILL(5xx Sum, 0) / RequestCount Sum, as the
//                                            default alarm <app>-target-5xx-rate computes it
//   hh<suffix>   healthy hosts (only with `healthy`)  HealthyHostCount Minimum
export function lbQueries(app, period, suffix = '', { healthy = false } = {}) {
  const dimensions = { App: app };
  const lb = (id, metric, stat, returnData = true, label = undefined) =>
    metricStat(id, { namespace: kLb, metric, dimensions, stat, period, returnData, label });
  const queries = [
    lb(`req${suffix}`, 'RequestCount', 'Sum', false),
    lb(`err${suffix}`, 'HTTPCode_Target_5XX_Count', 'Sum', false),
    expression(`rps${suffix}`, `req${suffix} / PERIOD(req${suffix})`, 'requests/s'),
    lb(`p99${suffix}`, 'TargetResponseTime', 'p99', true, 'p99 latency'),
    expression(`e5${suffix}`, `100 * FILL(err${suffix}, 0) / req${suffix}`, '5xx rate (%)'),
  ];
  if (healthy)
    queries.push(lb(`hh${suffix}`, 'HealthyHostCount', 'Minimum', true, 'healthy hosts'));
  return queries;
}

// A GetMetricData result (or an empty one) as {timestamps, values}.
export function seriesOf(results, id) {
  return results.get(id) ?? { timestamps: [], values: [] };
}

// The last value of a series, or null.
export function last(series) {
  return series.values.length ? series.values[series.values.length - 1] : null;
}

// Puts series with their own timestamps on one time axis: [xs, ys...] over the union of
// their timestamps (seconds), null where a series has no point. Series that share their
// timestamps (the usual case: one period) are taken as they are, without a copy; series in
// ascending time (as getMetricData answers) are merged in one pass.
export function align(list) {
  if (list.length === 0) return [[]];
  const first = list[0].timestamps;
  if (list.every((s) => sameTimes(s.timestamps, first))) {
    return [first, ...list.map((s) => s.values)];
  }
  if (list.every((s) => ascending(s.timestamps))) return mergeAscending(list);
  const xs = [...new Set(list.flatMap((s) => s.timestamps))].sort((a, b) => a - b);
  const index = new Map(xs.map((t, i) => [t, i]));
  return [
    xs,
    ...list.map((s) => {
      const ys = new Array(xs.length).fill(null);
      s.timestamps.forEach((t, i) => {
        ys[index.get(t)] = s.values[i];
      });
      return ys;
    }),
  ];
}

function sameTimes(a, b) {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function ascending(ts) {
  for (let i = 1; i < ts.length; i++) if (!(ts[i - 1] < ts[i])) return false;
  return true;
}

// align() of series each in strictly ascending time: a merge of their timestamps.
function mergeAscending(list) {
  const k = list.length;
  const at = new Array(k).fill(0);
  const xs = [];
  const ys = list.map(() => []);
  for (;;) {
    let t = Infinity;
    for (let j = 0; j < k; j++) {
      const ts = list[j].timestamps;
      if (at[j] < ts.length && ts[at[j]] < t) t = ts[at[j]];
    }
    if (t === Infinity) return [xs, ...ys];
    xs.push(t);
    for (let j = 0; j < k; j++) {
      const ts = list[j].timestamps;
      if (at[j] < ts.length && ts[at[j]] === t) ys[j].push(list[j].values[at[j]++]);
      else ys[j].push(null);
    }
  }
}

// The metric explorer's URL for `series` ([{namespace, metric, dimensions, stat}]) over a
// range key of kRanges and a period ('auto' or seconds): #/metrics?s=...&period=...&range=...
export function explorerHref(series, { range = '1h', period = 'auto' } = {}) {
  return `#/metrics?${new URLSearchParams({ s: JSON.stringify(series), period, range })}`;
}
