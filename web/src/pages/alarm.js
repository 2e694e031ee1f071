// One alarm: its state and reason, condition, actions, a chart of its metric with the threshold
// line and the breaching points marked, and its history; acknowledge, enable/disable actions,
// and set its state by hand (SetAlarmState, to try its actions).
import { alarmHistory, describeAlarms, getMetricData, rest, setAlarmState } from '../api.js';
import { alarmButtons, breaches, conditionText } from '../alarms.js';
import { chartPanel, kBreachColor, kThresholdColor } from '../chart.js';
import { confirmDialog } from '../dialog.js';
import { changed, errorBox, h, replace, select, stateBadge, table } from '../dom.js';
import { ago, dateTime, duration, number } from '../format.js';
import { metricStat, periodFor, wholePeriodsEnd } from '../metricdata.js';
import { timeRange } from '../timerange.js';

const kRefreshMs = 5000;

export function render(view, { params: [name], scope }) {
  const status = h('div');
  const actionStatus = h('div'); // the last action's failure
  const badge = h('span');
  const buttons = h('span');
  const setState = h('button', { type: 'button', 'data-testid': 'set-state' }, 'Set state…');
  const details = h('div');
  const history = h('div', { 'data-testid': 'alarm-history' });
  const chartStatus = h('div');
  const chartTitle = h('span');
  const range = timeRange({ initial: '1h', onChange: () => loadChart(), testid: 'alarm-range' });
  view.append(
    h(
      'div',
      { class: 'page-head' },
      h('div', { class: 'title' }, h('h1', {}, name), badge),
      buttons,
      setState,
    ),
    status,
    actionStatus,
    details,
    h('div', { class: 'page-head' }, h('h2', {}, 'Metric'), chartTitle, range.el),
    chartStatus,
  );
  const chartSlot = h('div');
  view.append(chartSlot, h('h2', {}, 'History'), history);

  let alarm = null; // DescribeAlarms' MetricAlarm or CompositeAlarm
  let panel = null;
  scope.onDispose(() => panel?.destroy());

  const refresh = async () => {
    const [described, summary, items] = await Promise.all([
      describeAlarms({ AlarmNames: [name] }),
      rest.alarms(),
      alarmHistory(name),
    ]);
    if (!scope.alive) return;
    const found = described.metric[0] ?? described.composite[0];
    const vigil = (summary.alarms ?? []).find((a) => a.name === name);
    if (!found || !vigil) {
      replace(status, errorBox({ code: 'ResourceNotFound', message: `No alarm named ${name}.` }));
      return;
    }
    replace(status);
    const first = alarm === null;
    alarm = found;
    replace(
      badge,
      stateBadge(vigil.state, 'alarm-state'),
      vigil.acknowledged ? h('span', { class: 'badge' }, 'acknowledged') : null,
      vigil.actions_enabled ? null : h('span', { class: 'badge' }, 'actions disabled'),
    );
    replace(
      buttons,
      alarmButtons(vigil, {
        done: () => {
          replace(actionStatus);
          return refresh();
        },
        failed: (e) => replace(actionStatus, errorBox(e)),
      }),
    );
    if (changed(details, [found, vigil])) replace(details, detailsOf(found, vigil));
    if (changed(history, items)) replace(history, historyTable(items));
    if (first) {
      if (found.AlarmRule !== undefined) {
        replace(
          chartSlot,
          h(
            'p',
            { class: 'muted' },
            'A composite alarm: its state follows its rule over other alarms.',
          ),
        );
      } else {
        panel = chartPanel(
          '',
          {
            series: [
              {
                label:
                  found.MetricName ??
                  found.Metrics?.find((m) => m.ReturnData !== false)?.Label ??
                  'value',
              },
              { label: `threshold ${found.Threshold}`, color: kThresholdColor, dash: [6, 4] },
              { label: 'breaching', color: kBreachColor, kind: 'points' },
            ],
            height: 300,
            format: (v) => number(v),
            onZoom: (s, e) => range.zoom(s, e),
          },
          'alarm-chart',
        );
        chartSlot.append(panel.el);
        panel.mount();
      }
    }
    if (range.get().live) await loadChart();
  };

  let generation = 0;
  const loadChart = async () => {
    if (!panel || !alarm) return;
    const mine = ++generation;
    const { start: from, end, live } = range.get();
    const alarmPeriod =
      alarm.Period ?? alarm.Metrics.find((m) => m.MetricStat)?.MetricStat.Period ?? 60;
    const period = Math.max(alarmPeriod, periodFor(from, end));
    // At least ten of the alarm's periods, however long they are.
    const start = Math.min(from, end - 10 * period);
    // The alarm's own queries at the chart's period: what its evaluation reads.
    const queries = alarm.Metrics?.length
      ? alarm.Metrics.map((m) =>
          m.MetricStat ? { ...m, MetricStat: { ...m.MetricStat, Period: period } } : m,
        )
      : [
          metricStat('m', {
            namespace: alarm.Namespace,
            metric: alarm.MetricName,
            dimensions: Object.fromEntries((alarm.Dimensions ?? []).map((d) => [d.Name, d.Value])),
            stat: alarm.Statistic ?? alarm.ExtendedStatistic,
            period,
          }),
        ];
    const shownId = queries.find((q) => q.ReturnData !== false).Id;
    try {
      const results = await getMetricData(
        queries,
        start,
        live ? wholePeriodsEnd(start, end, period) : end,
      );
      if (mine !== generation || !scope.alive) return;
      const s = results.get(shownId) ?? { timestamps: [], values: [] };
      panel.setData([
        s.timestamps,
        s.values,
        s.values.map(() => alarm.Threshold),
        s.values.map((v) => (breaches(alarm, v) ? v : null)),
      ]);
      chartTitle.textContent =
        period === alarmPeriod
          ? `at the alarm's period, ${duration(period)}`
          : `at ${duration(period)} (the alarm evaluates ${duration(alarmPeriod)} periods)`;
      replace(chartStatus);
    } catch (e) {
      if (mine === generation) replace(chartStatus, errorBox(e));
    }
  };

  setState.addEventListener('click', async () => {
    const value = select(
      { 'data-testid': 'state-value' },
      ['ALARM', 'OK', 'INSUFFICIENT_DATA'],
      'ALARM',
    );
    const reason = h('input', {
      value: 'set from the dashboard',
      'data-testid': 'state-reason',
      required: true,
    });
    const ok = await confirmDialog({
      title: `Set the state of ${name}`,
      body: [
        h(
          'p',
          { class: 'muted' },
          'As SetAlarmState: the state holds until the next evaluation; its actions run.',
        ),
        h('label', {}, 'State', value),
        h('label', {}, 'Reason', reason),
      ],
      confirm: 'Set state',
      danger: true,
    });
    if (!ok) return;
    try {
      await setAlarmState(name, value.value, reason.value);
      replace(actionStatus);
      await refresh();
    } catch (e) {
      replace(actionStatus, errorBox(e));
    }
  });

  scope.every(kRefreshMs, refresh, (e) => replace(status, errorBox(e)));
}

function detailsOf(a, vigil) {
  const actions = (list) => (list?.length ? list.join(', ') : '–');
  return h(
    'section',
    { class: 'card' },
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'Reason'),
      h('dd', { 'data-testid': 'alarm-reason' }, vigil.reason),
      h('dt', {}, 'Since'),
      h('dd', {}, `${dateTime(vigil.updated_at)} (${ago(vigil.updated_at)})`),
      h('dt', {}, 'Condition'),
      h('dd', {}, conditionText(a)),
      a.AlarmDescription ? [h('dt', {}, 'Description'), h('dd', {}, a.AlarmDescription)] : null,
      a.TreatMissingData ? [h('dt', {}, 'Missing data'), h('dd', {}, a.TreatMissingData)] : null,
      h('dt', {}, 'On ALARM'),
      h('dd', {}, actions(a.AlarmActions)),
      h('dt', {}, 'On OK'),
      h('dd', {}, actions(a.OKActions)),
      h('dt', {}, 'On INSUFFICIENT_DATA'),
      h('dd', {}, actions(a.InsufficientDataActions)),
    ),
  );
}

function historyTable(items) {
  return table(
    [{ label: 'Time', class: 'nowrap' }, { label: 'Type' }, { label: 'Summary', class: 'wrap' }],
    items.map((i) => ({
      props: { 'data-testid': 'history-item' },
      cells: [
        dateTime(i.Timestamp * 1000),
        i.HistoryItemType,
        h(
          'details',
          {},
          h('summary', {}, i.HistorySummary),
          h('pre', { class: 'mono small history-data' }, prettyJson(i.HistoryData)),
        ),
      ],
    })),
    { empty: 'No history yet.' },
  );
}

function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
