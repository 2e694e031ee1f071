import assert from 'node:assert/strict';
import { test } from 'node:test';
import { breaches, conditionText } from '../src/alarms.js';
import { bytes, duration, exact, latency, number } from '../src/format.js';

test('numbers, bytes, durations, latencies', () => {
  assert.equal(number(40.2345), '40.2');
  assert.equal(number(12345), '12.3k');
  assert.equal(number(null), '–');
  assert.equal(exact(0.123456789), '0.123457');
  assert.equal(bytes(3 * 1024 * 1024), '3.0 MiB');
  assert.equal(duration(0.25), '250 ms');
  assert.equal(duration(303), '5 min 3 s');
  assert.equal(duration(2 * 86400 + 4 * 3600), '2 d 4 h');
  assert.equal(duration(86400), '1 d');
  assert.equal(duration(300), '5 min');
  assert.equal(latency(0.0123), '12.3 ms');
});

test('breaching points follow the comparison operator', () => {
  const gt = { ComparisonOperator: 'GreaterThanThreshold', Threshold: 5 };
  assert.equal(breaches(gt, 5), false);
  assert.equal(breaches(gt, 5.1), true);
  assert.equal(breaches(gt, null), false);
  const le = { ComparisonOperator: 'LessThanOrEqualToThreshold', Threshold: 1 };
  assert.equal(breaches(le, 1), true);
  assert.equal(
    breaches({ ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold' }, 9),
    false,
  );
});

test("an alarm's condition in words", () => {
  assert.equal(
    conditionText({
      MetricName: 'HealthyHostCount',
      Statistic: 'Minimum',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      Period: 10,
    }),
    'HealthyHostCount Minimum < 1 for 1 of 1 periods of 10 s',
  );
  assert.equal(
    conditionText({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 5,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Metrics: [
        { Id: 'errors', MetricStat: { Period: 10 }, ReturnData: false },
        { Id: 'rate', Expression: '100 * errors', Label: '5xx rate (%)', ReturnData: true },
      ],
    }),
    '5xx rate (%) > 5 for 2 of 3 periods of 10 s',
  );
  assert.equal(conditionText({ AlarmRule: 'ALARM(a) OR ALARM(b)' }), 'ALARM(a) OR ALARM(b)');
});
