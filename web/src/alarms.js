// What the alarm pages share: the condition in words, breaching points, and the actions
// (acknowledge, enable/disable actions) with their buttons.
import { rest, setAlarmActions } from './api.js';
import { h } from './dom.js';

const kOperators = {
  GreaterThanOrEqualToThreshold: ['≥', (v, t) => v >= t],
  GreaterThanThreshold: ['>', (v, t) => v > t],
  LessThanThreshold: ['<', (v, t) => v < t],
  LessThanOrEqualToThreshold: ['≤', (v, t) => v <= t],
};

// Whether value `v` breaches the metric alarm `a`'s threshold (false for operators without a
// static threshold, such as anomaly bands).
export function breaches(a, v) {
  const op = kOperators[a.ComparisonOperator];
  return Boolean(op) && v !== null && v !== undefined && op[1](v, a.Threshold);
}

// "HealthyHostCount Minimum < 1 for 1 of 1 periods of 10 s" (a metric alarm, from
// DescribeAlarms) or the rule of a composite alarm.
export function conditionText(a) {
  if (a.AlarmRule !== undefined) return a.AlarmRule;
  const op = kOperators[a.ComparisonOperator]?.[0] ?? a.ComparisonOperator;
  const shown = a.Metrics?.find((m) => m.ReturnData !== false);
  const what = a.MetricName
    ? `${a.MetricName} ${a.Statistic ?? a.ExtendedStatistic ?? ''}`
    : (shown?.Label ?? shown?.Expression ?? shown?.Id ?? 'expression');
  const period = a.Period ?? a.Metrics?.find((m) => m.MetricStat)?.MetricStat.Period;
  const m = a.DatapointsToAlarm ?? a.EvaluationPeriods;
  return (
    `${what} ${op} ${a.Threshold} for ${m} of ${a.EvaluationPeriods} periods` +
    (period ? ` of ${period} s` : '')
  );
}

// The buttons for an alarm of GET /v1/alarms ({name, state, acknowledged, actions_enabled}):
// Acknowledge (in ALARM, not yet acknowledged) and Enable/Disable actions. `done()` runs
// after a change, `failed(error)` after a refusal.
export function alarmButtons(alarm, { done, failed }) {
  const run = (button, call) => async () => {
    button.disabled = true;
    try {
      await call();
      await done();
    } catch (e) {
      failed(e);
    } finally {
      button.disabled = false;
    }
  };
  const ack = h(
    'button',
    {
      type: 'button',
      'data-testid': 'ack',
      title: 'Silence its ALARM actions until it is OK again',
    },
    'Acknowledge',
  );
  ack.addEventListener(
    'click',
    run(ack, () => rest.acknowledge(alarm.name)),
  );
  const toggle = h(
    'button',
    { type: 'button', 'data-testid': 'toggle-actions' },
    alarm.actions_enabled ? 'Disable actions' : 'Enable actions',
  );
  toggle.addEventListener(
    'click',
    run(toggle, () => setAlarmActions(alarm.name, !alarm.actions_enabled)),
  );
  return h(
    'span',
    { class: 'buttons-inline' },
    alarm.state === 'ALARM' && !alarm.acknowledged ? ack : null,
    toggle,
  );
}
