// The time-range picker the metric explorer, the logs and the audit pages share: a relative
// range ("last hour", live) or an absolute one (after a drag-to-zoom), with a way back to live.
import { h, select } from './dom.js';
import { dateTime } from './format.js';
import { kRanges, rangeSeconds } from './metricdata.js';

// `onChange()` runs after every change; get() answers {start, end, live} in epoch seconds
// (for a live range, as of the call).
export function timeRange({ initial = '1h', onChange, testid = 'time-range' }) {
  let key = initial;
  let absolute = null; // {start, end} while zoomed
  const picker = select(
    { 'aria-label': 'Time range', 'data-testid': testid },
    kRanges.map(([k, , label]) => [k, label]),
    key,
  );
  const zoomed = h('span', { class: 'zoomed', hidden: true });
  const live = h('button', { type: 'button', class: 'link', hidden: true }, 'Back to live');
  const el = h('span', { class: 'time-range' }, picker, zoomed, live);

  const show = () => {
    picker.hidden = Boolean(absolute);
    zoomed.hidden = live.hidden = !absolute;
    if (absolute)
      zoomed.textContent = `${dateTime(absolute.start * 1000)} – ${dateTime(absolute.end * 1000)}`;
  };
  picker.addEventListener('change', () => {
    key = picker.value;
    onChange();
  });
  live.addEventListener('click', () => {
    absolute = null;
    show();
    onChange();
  });
  return {
    el,
    get key() {
      return key;
    },
    get() {
      if (absolute) return { ...absolute, live: false };
      const end = Date.now() / 1000;
      return { start: end - rangeSeconds(key), end, live: true };
    },
    // Zooms to [start, end] (seconds).
    zoom(start, end) {
      absolute = { start, end };
      show();
      onChange();
    },
  };
}
