// searchNewest() against a stand-in for FilterLogEvents (fetch replaced): the newest events
// of a range, whatever its density.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { searchNewest } from '../src/logview.js';

// One group's events, `perSecond` a second over [t0, t1), answered as FilterLogEvents does:
// oldest first from startTime to endTime (inclusive), `limit` a page, nextToken for the rest.
function serve(t0, t1, perSecond) {
  const all = [];
  for (let t = t0; t < t1; t += 1000 / perSecond) {
    all.push({ eventId: String(all.length), timestamp: Math.floor(t), message: `m${all.length}` });
  }
  let calls = 0;
  globalThis.fetch = async (path, init) => {
    calls++;
    const body = JSON.parse(init.body);
    const end = body.endTime ?? Infinity;
    const from = Number(body.nextToken ?? 0);
    const match = all.filter(
      (e, i) => i >= from && e.timestamp >= body.startTime && e.timestamp <= end,
    );
    const page = match.slice(0, body.limit);
    const next = match.length > page.length ? all.indexOf(page[page.length - 1]) + 1 : undefined;
    const text = JSON.stringify({
      events: page,
      nextToken: next === undefined ? undefined : String(next),
    });
    return { ok: true, status: 200, text: async () => text };
  };
  return { all, calls: () => calls };
}

test('a busy range: the newest events, none missing between them', async () => {
  const end = 1_800_000_000_000;
  const store = serve(end - 15 * 60_000, end, 50);
  const found = await searchNewest(['g'], { start: end - 15 * 60_000, end, limit: 1000 });
  assert.equal(found.truncated, true);
  assert.equal(found.events.length, 1000);
  assert.deepEqual(
    found.events.map((e) => e.message),
    store.all.slice(-1000).map((e) => e.message),
  );
  assert.ok(store.calls() < 20, `${store.calls()} calls`);
});

test('a quiet range: every event, and not truncated', async () => {
  const end = 1_800_000_000_000;
  const store = serve(end - 3_600_000, end, 0.01);
  const found = await searchNewest(['g'], { start: end - 3_600_000, end, limit: 1000 });
  assert.equal(found.truncated, false);
  assert.equal(found.events.length, store.all.length);
});
