// node --test web/test: the dashboard's pure functions (no browser, no server).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { align, dimensionList, lbQueries, periodFor, wholePeriodsEnd } from '../src/metricdata.js';

const day = 86400;
const now = 1_800_000_000;

test('periodFor keeps a range within the point budget', () => {
  assert.equal(periodFor(now - 900, now, { now }), 1);
  assert.equal(periodFor(now - 3600, now, { now }), 5);
  assert.equal(periodFor(now - day, now, { now }), 60);
  assert.equal(periodFor(now - day, now, { now, maxPoints: 8640 }), 10);
});

test('periodFor follows the rollup tiers for old starts', () => {
  // 30 days: over 15 days old, so a multiple of 300 s.
  assert.equal(periodFor(now - 30 * day, now, { now }) % 300, 0);
  // An hour 70 days ago: a multiple of 3600 s.
  assert.equal(periodFor(now - 70 * day, now - 70 * day + 3600, { now }), 3600);
});

test('wholePeriodsEnd drops the period in progress unless nothing is left', () => {
  assert.equal(wholePeriodsEnd(now - 900, now + 7, 10), now);
  assert.equal(wholePeriodsEnd(now - 3600, now, 86400), now);
});

test('align keeps shared timestamps and merges different ones', () => {
  const a = { timestamps: [10, 20, 30], values: [1, 2, 3] };
  const b = { timestamps: [10, 20, 30], values: [4, 5, 6] };
  assert.deepEqual(align([a, b]), [
    [10, 20, 30],
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const c = { timestamps: [20, 40], values: [7, 8] };
  assert.deepEqual(align([a, c]), [
    [10, 20, 30, 40],
    [1, 2, 3, null],
    [null, 7, null, 8],
  ]);
  assert.deepEqual(align([]), [[]]);
  // Shared timestamps are not copied.
  assert.equal(align([a, b])[0], a.timestamps);
  // Not in ascending time, or a timestamp twice: still one sorted axis, the last value kept.
  const d = { timestamps: [30, 10, 10], values: [9, 8, 7] };
  assert.deepEqual(align([a, d]), [
    [10, 20, 30],
    [1, 2, 3],
    [7, null, 9],
  ]);
  const e = { timestamps: [5], values: [0] };
  assert.deepEqual(align([e, c, a]), [
    [5, 10, 20, 30, 40],
    [0, null, null, null, null],
    [null, null, 7, null, 8],
    [null, 1, 2, 3, null],
  ]);
});

test("the 5xx rate is the default alarm's expression", () => {
  const queries = lbQueries('shop', 10, '_0');
  const rate = queries.find((q) => q.Id === 'e5_0');
  assert.equal(rate.Expression, '100 * FILL(err_0, 0) / req_0');
  const rps = queries.find((q) => q.Id === 'rps_0');
  assert.equal(rps.Expression, 'req_0 / PERIOD(req_0)');
  assert.ok(queries.filter((q) => q.MetricStat).every((q) => q.MetricStat.Period === 10));
  assert.deepEqual(dimensionList({ InstanceId: 'i', App: 'a' }), [
    { Name: 'App', Value: 'a' },
    { Name: 'InstanceId', Value: 'i' },
  ]);
});
