// Logs: search log groups with a CloudWatch Logs filter pattern over a time range (one
// FilterLogEvents call per group, merged by time), then follow them live.
import { logGroups } from '../api.js';
import { errorBox, h, replace } from '../dom.js';
import { bytes, number } from '../format.js';
import { followLogs, logList, searchNewest } from '../logview.js';
import { timeRange } from '../timerange.js';

const kLimit = 1000; // events shown by a search, the newest

export function render(view, { scope }) {
  const status = h('div');
  const info = h('span', { class: 'muted small', 'data-testid': 'logs-info' });
  const groupsBox = h(
    'fieldset',
    { class: 'card group-picker', 'data-testid': 'log-groups' },
    h('legend', {}, 'Log groups'),
  );
  const pattern = h('input', {
    type: 'search',
    placeholder: 'Filter pattern: ERROR, "exact phrase", { $.level = "error" }',
    'data-testid': 'log-pattern',
    class: 'grow',
  });
  const live = h('input', { type: 'checkbox', checked: true, 'data-testid': 'log-live' });
  const range = timeRange({ initial: '15m', onChange: () => search(), testid: 'log-range' });
  const list = logList({ showGroup: true, testid: 'log-results' });
  const form = h(
    'form',
    { class: 'toolbar' },
    pattern,
    range.el,
    h('label', { class: 'inline' }, live, 'Live tail'),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'log-search' }, 'Search'),
  );
  view.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Logs'), info),
    groupsBox,
    form,
    status,
    list.el,
  );

  const chosen = () => [...groupsBox.querySelectorAll('input:checked')].map((c) => c.value);
  let stopTail = () => {};
  let generation = 0;

  const search = async () => {
    const mine = ++generation;
    stopTail();
    replace(status);
    const groups = chosen();
    if (groups.length === 0) {
      list.clear();
      info.textContent = 'Choose at least one log group.';
      return;
    }
    const { start, end, live: isLive } = range.get();
    info.textContent = 'Searching…';
    try {
      const found = await searchNewest(groups, {
        pattern: pattern.value.trim(),
        start: start * 1000,
        end: isLive ? null : end * 1000,
        limit: kLimit,
      });
      if (mine !== generation || !scope.alive) return;
      list.clear();
      if (found.truncated) list.marker('… older events in the range: narrow it or the pattern …');
      list.append(found.events);
      info.textContent =
        `${number(found.events.length)} events in ${groups.length} group(s)` +
        (found.truncated ? ', the newest of the range' : '') +
        (live.checked && isLive ? ', then live' : '');
      if (live.checked && isLive) {
        stopTail = followLogs(scope, groups, {
          pattern: pattern.value.trim(),
          since: start * 1000,
          shown: found.events,
          onEvents: (fresh) => list.append(fresh),
          onError: (e) => replace(status, errorBox(e)),
        });
      }
    } catch (e) {
      if (mine === generation) {
        info.textContent = '';
        replace(status, errorBox(e));
      }
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    search();
  });
  live.addEventListener('change', search);

  (async () => {
    try {
      const groups = await logGroups();
      if (!scope.alive) return;
      const choices = groups.map((g) =>
        h(
          'label',
          { class: 'inline' },
          h('input', { type: 'checkbox', value: g.logGroupName, checked: true, onchange: search }),
          g.logGroupName,
          h('span', { class: 'muted small' }, bytes(g.storedBytes)),
        ),
      );
      groupsBox.append(
        ...(choices.length ? choices : [h('p', { class: 'muted' }, 'No log groups yet.')]),
      );
      search();
    } catch (e) {
      replace(status, errorBox(e));
    }
  })();
}
