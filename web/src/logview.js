// Log events in a scrolling list, searched across groups with a filter pattern and followed
// live. FilterLogEvents takes one group per call: a search is one call per group, merged by
// time here; following is a poll every 2 s from the newest timestamp seen.
import { filterLogEvents } from './api.js';
import { h } from './dom.js';
import { timeOfDay, dateTime } from './format.js';

const kMaxLines = 2000; // lines kept in the list; older ones leave from the top
const kTailMs = 2000;

function levelOf(message) {
  if (/\b(ERROR|FATAL|CRITICAL|error)\b/.test(message)) return 'level-error';
  if (/\b(WARN|WARNING|warn)\b/.test(message)) return 'level-warn';
  return '';
}

// The list. `showGroup`: each line names its group as well as its stream.
export function logList({ showGroup = false, testid = 'log-lines' } = {}) {
  const el = h('div', {
    class: `log-view${showGroup ? ' with-group' : ''}`,
    'data-testid': testid,
    role: 'log',
  });
  const empty = h('p', { class: 'muted empty' }, 'No log events.');
  el.append(empty);
  let count = 0;
  return {
    el,
    clear() {
      el.replaceChildren(empty);
      count = 0;
    },
    // A line that is no event, e.g. where events were skipped.
    marker(text) {
      empty.remove();
      el.append(h('div', { class: 'log-marker' }, text));
    },
    // Appends events (oldest first); keeps the view at the bottom if it was there.
    append(events) {
      if (events.length === 0) return;
      const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
      empty.remove();
      const fragment = document.createDocumentFragment();
      for (const e of events) {
        const source = showGroup ? `${e.logGroupName} ${e.logStreamName}` : e.logStreamName;
        fragment.append(
          h(
            'div',
            { class: `log-line ${levelOf(e.message)}`, 'data-testid': 'log-line' },
            h('span', { class: 'ts', title: dateTime(e.timestamp) }, timeOfDay(e.timestamp)),
            h('span', { class: 'src', title: source }, source),
            h('span', { class: 'msg' }, e.message),
          ),
        );
      }
      el.append(fragment);
      count += events.length;
      for (; count > kMaxLines; count--) el.firstChild.remove();
      if (atBottom) el.scrollTop = el.scrollHeight;
    },
  };
}

// Events of every group in `groups` matching `pattern` in [start, end] (epoch ms; end null:
// now), merged oldest first. Each group gives at most `perGroup`; `truncated` says whether
// one had more.
async function searchLogs(groups, { pattern, start, end, perGroup = 2000 }) {
  const lists = await Promise.all(
    groups.map((g) => filterLogEvents(g, { pattern, start, end, limit: perGroup + 1 })),
  );
  const truncated = lists.some((l) => l.length > perGroup);
  const events = lists
    .flatMap((l) => l.slice(0, perGroup))
    .sort((a, b) => a.timestamp - b.timestamp);
  return { events, truncated };
}

// The newest events, `limit` at most, of `groups` matching `pattern` in [start, end] (epoch
// ms; end null: now), oldest first — what an incident wants to see first. FilterLogEvents reads
// forward in time, so this reads windows back from `end`: 5 s, doubling while they hold less
// than `limit` events, a quarter as long when one holds more. `truncated` says older events
// in the range were left out.
export async function searchNewest(groups, { pattern, start, end, limit = 1000 }) {
  let to = end ?? Date.now();
  let window = 5000;
  let events = [];
  while (to > start && events.length < limit) {
    const from = Math.max(start, to - window);
    const found = await searchLogs(groups, { pattern, start: from, end: to - 1, perGroup: limit });
    if (found.truncated && to - from > 1000) {
      window = Math.max(1000, Math.floor((to - from) / 4));
      continue;
    }
    events = found.events.concat(events);
    to = from;
    window *= 2;
  }
  return { events: events.slice(-limit), truncated: to > start || events.length > limit };
}

// Follows `groups` as `vigil logs tail --follow` does: every 2 s, the events from the newest
// timestamp seen on, less those already shown at that timestamp, go to `onEvents` (oldest
// first, each once). `since` (epoch ms) is where to start and `shown` the events already on
// the page. Stops with the returned function or with the scope.
export function followLogs(scope, groups, { pattern, since, shown = [], onEvents, onError }) {
  const key = (e) => `${e.logGroupName}\n${e.eventId}`;
  let from = Math.max(since, ...shown.map((e) => e.timestamp));
  let atFrom = new Set(shown.filter((e) => e.timestamp === from).map(key));
  return scope.every(
    kTailMs,
    async () => {
      const { events } = await searchLogs(groups, { pattern, start: from, end: null });
      const fresh = events.filter((e) => !atFrom.has(key(e)));
      if (fresh.length === 0) return;
      const newest = fresh[fresh.length - 1].timestamp;
      if (newest > from) {
        from = newest;
        atFrom = new Set();
      }
      for (const e of fresh) if (e.timestamp === from) atFrom.add(key(e));
      onEvents(fresh);
    },
    onError,
  );
}
