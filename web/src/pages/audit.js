// Audit: the trail of control-plane calls (CloudTrail's LookupEvents), newest first, filtered
// by identity, action, resource and time. LookupEvents takes one attribute: the first filter
// given goes to the server, the others are applied here, each an exact match as CloudTrail's.
import { lookupEvents } from '../api.js';
import { errorBox, h, replace, table } from '../dom.js';
import { dateTime } from '../format.js';
import { timeRange } from '../timerange.js';

const kPageEvents = 50; // LookupEvents' MaxResults limit
const kBatch = 200; // events read per search or "More"

export function render(view, { scope }) {
  const status = h('div');
  const info = h('span', { class: 'muted small' });
  const identity = h('input', {
    type: 'search',
    placeholder: 'Access key id or user',
    'data-testid': 'audit-identity',
  });
  const action = h('input', {
    type: 'search',
    placeholder: 'Event name, e.g. SetAlarmState',
    'data-testid': 'audit-action',
  });
  const resource = h('input', {
    type: 'search',
    placeholder: 'Resource name',
    'data-testid': 'audit-resource',
  });
  const range = timeRange({ initial: '1d', onChange: () => search(), testid: 'audit-range' });
  const results = h('div', { 'data-testid': 'audit-events' });
  const more = h('button', { type: 'button', hidden: true, 'data-testid': 'audit-more' }, 'More');
  const form = h(
    'form',
    { class: 'toolbar' },
    h('label', {}, 'Identity', identity),
    h('label', {}, 'Action', action),
    h('label', {}, 'Resource', resource),
    h('label', {}, 'Time', range.el),
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'audit-search' }, 'Search'),
  );
  view.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Audit trail'), info),
    form,
    status,
    results,
    more,
  );

  let events = [];
  let token = null;
  let query = null;
  let generation = 0;

  // The server-side attribute and the page-side test for the filters as typed.
  const makeQuery = () => {
    const id = identity.value.trim();
    const name = action.value.trim();
    const res = resource.value.trim();
    const attribute = name
      ? ['EventName', name]
      : res
        ? ['ResourceName', res]
        : id
          ? [/^A[KS]IA/.test(id) ? 'AccessKeyId' : 'Username', id]
          : null;
    const matches = (e) =>
      (!name || e.EventName === name) &&
      (!res || (e.Resources ?? []).some((r) => r.ResourceName === res)) &&
      (!id || e.AccessKeyId === id || e.Username === id);
    const { start, end } = range.get();
    const body = { StartTime: Math.floor(start), EndTime: Math.ceil(end), MaxResults: kPageEvents };
    if (attribute)
      body.LookupAttributes = [{ AttributeKey: attribute[0], AttributeValue: attribute[1] }];
    return { body, matches };
  };

  // Reads pages until kBatch more matching events or the trail's end.
  const read = async (mine) => {
    let added = 0;
    do {
      const page = await lookupEvents(token ? { ...query.body, NextToken: token } : query.body);
      if (mine !== generation) return;
      const matching = (page.Events ?? []).filter(query.matches);
      events.push(...matching);
      added += matching.length;
      token = page.NextToken ?? null;
    } while (token && added < kBatch);
    draw();
  };

  const draw = () => {
    info.textContent = `${events.length} events${token ? ' (more below)' : ''}`;
    more.hidden = !token;
    replace(
      results,
      table(
        [
          { label: 'Time', class: 'nowrap' },
          { label: 'Action' },
          { label: 'Identity' },
          { label: 'Source', class: 'hide-narrow' },
          { label: 'Resources' },
          { label: 'Result' },
          { label: 'Details', class: 'wrap' },
        ],
        events.map((e) => {
          const detail = parse(e.CloudTrailEvent);
          const failed = detail.errorCode;
          return {
            props: {
              'data-testid': 'audit-event',
              'data-event': e.EventName,
              class: failed ? 'row-alarm' : '',
            },
            cells: [
              dateTime(e.EventTime * 1000),
              h('span', { title: e.EventSource }, e.EventName),
              h(
                'span',
                { class: 'mono', title: e.Username ? `user ${e.Username}` : '' },
                e.AccessKeyId || e.Username || '–',
              ),
              detail.sourceIPAddress ?? '–',
              (e.Resources ?? []).map((r) => h('div', { title: r.ResourceType }, r.ResourceName)),
              failed
                ? h('span', { class: 'badge state-failed', title: detail.errorMessage }, failed)
                : h('span', { class: 'badge state-ok' }, 'ok'),
              h(
                'details',
                {},
                h(
                  'summary',
                  { class: 'small muted' },
                  failed ? (detail.errorMessage ?? 'parameters') : 'parameters',
                ),
                h(
                  'pre',
                  { class: 'mono small history-data' },
                  JSON.stringify(detail.requestParameters ?? {}, null, 2),
                ),
              ),
            ],
          };
        }),
        { empty: 'No events match.' },
      ),
    );
  };

  const search = async () => {
    const mine = ++generation;
    events = [];
    token = null;
    query = makeQuery();
    replace(status);
    try {
      await read(mine);
    } catch (e) {
      if (mine === generation) replace(status, errorBox(e));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    search();
  });
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      await read(generation);
    } catch (e) {
      replace(status, errorBox(e));
    } finally {
      more.disabled = false;
    }
  });
  if (scope.alive) search();
}

function parse(text) {
  try {
    return JSON.parse(text ?? '{}');
  } catch {
    return {};
  }
}
