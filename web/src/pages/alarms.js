// Alarms: every alarm, those in ALARM first, with its condition, state reason, since when,
// acknowledgement and actions; acknowledge and enable/disable actions in place.
import { describeAlarms, rest } from '../api.js';
import { alarmButtons, conditionText } from '../alarms.js';
import { errorBox, h, replace, stateBadge, table } from '../dom.js';
import { ago, dateTime } from '../format.js';

const kRefreshMs = 5000;
const kStateOrder = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 };

export function render(view, { scope }) {
  const status = h('div');
  const actionStatus = h('div'); // a refused acknowledgement or actions change
  const list = h('div', { 'data-testid': 'alarms' });
  const filter = h('input', {
    type: 'search',
    placeholder: 'Filter by name',
    'data-testid': 'alarm-filter',
  });
  view.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Alarms'), filter),
    status,
    actionStatus,
    list,
  );

  let last = null;
  const draw = () => {
    if (!last) return;
    const [alarms, described] = last;
    const byName = new Map(
      [...described.metric, ...described.composite].map((a) => [a.AlarmName, a]),
    );
    const needle = filter.value.trim().toLowerCase();
    const rows = alarms
      .filter((a) => a.name.toLowerCase().includes(needle))
      .sort(
        (a, b) =>
          (kStateOrder[a.state] ?? 3) - (kStateOrder[b.state] ?? 3) || a.name.localeCompare(b.name),
      );
    replace(
      list,
      table(
        [
          { label: 'State' },
          { label: 'Alarm' },
          { label: 'Condition', class: 'hide-narrow' },
          { label: 'Reason', class: 'wrap' },
          { label: 'Since', class: 'nowrap' },
          { label: '' },
        ],
        rows.map((a) => ({
          props: {
            class: a.state === 'ALARM' ? 'row-alarm' : '',
            'data-testid': 'alarm-row',
            'data-alarm': a.name,
            'data-state': a.state,
          },
          cells: [
            [
              stateBadge(a.state, 'alarm-state'),
              a.acknowledged ? h('div', { class: 'muted small' }, 'acknowledged') : null,
            ],
            [
              h('a', { href: `#/alarms/${encodeURIComponent(a.name)}` }, a.name),
              a.actions_enabled ? null : h('div', { class: 'muted small' }, 'actions disabled'),
            ],
            h(
              'span',
              { class: 'small' },
              byName.has(a.name) ? conditionText(byName.get(a.name)) : a.kind,
            ),
            h('span', { class: 'small' }, a.reason),
            h('span', { title: dateTime(a.updated_at) }, ago(a.updated_at)),
            alarmButtons(a, {
              done: () => {
                replace(actionStatus);
                return refresh();
              },
              failed: (e) => replace(actionStatus, errorBox(e)),
            }),
          ],
        })),
        {
          empty: needle
            ? 'No alarm matches.'
            : 'No alarms. Create them with PutMetricAlarm (aws cloudwatch put-metric-alarm).',
        },
      ),
    );
  };
  filter.addEventListener('input', draw);

  const refresh = async () => {
    const [alarms, described] = await Promise.all([rest.alarms(), describeAlarms()]);
    if (!scope.alive) return;
    last = [alarms.alarms ?? [], described];
    replace(status);
    draw();
  };
  scope.every(kRefreshMs, refresh, (e) => replace(status, errorBox(e)));
}
