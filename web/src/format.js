// How the dashboard writes numbers and times. Values are shown as the API gives them, only
// scaled into a readable unit.

export function number(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toPrecision(digits)}M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toPrecision(digits)}k`;
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(digits)));
}

// An exact value for tooltips: up to 6 significant digits, no unit scaling.
export function exact(v) {
  if (v === null || v === undefined) return '–';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

export function bytes(v) {
  if (v === null || v === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function percent(v) {
  return v === null || v === undefined ? '–' : `${number(v, 3)}%`;
}

// A duration in seconds: "850 ms", "42 s", "5 min 3 s", "3 h 12 min", "2 d 4 h", "1 d"
// (two units at most, a zero second one left out).
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  const s = Math.floor(seconds);
  const two = (major, unit, minor, minorUnit) =>
    minor ? `${major} ${unit} ${minor} ${minorUnit}` : `${major} ${unit}`;
  if (s < 60) return `${s} s`;
  if (s < 3600) return two(Math.floor(s / 60), 'min', s % 60, 's');
  if (s < 86400) return two(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'min');
  return two(Math.floor(s / 86400), 'd', Math.floor((s % 86400) / 3600), 'h');
}

// A latency given in seconds (TargetResponseTime), in ms.
export function latency(seconds) {
  return seconds === null || seconds === undefined ? '–' : `${number(seconds * 1000, 3)} ms`;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// Local date and time of an instant (ms since the epoch, an ISO string or a Date):
// "2026-11-26 18:04:05".
export function dateTime(t) {
  if (t === null || t === undefined || t === '') return '–';
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

// "18:04:05.123" (log lines).
export function timeOfDay(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// "5 s ago", "3 min ago", "2 h ago", "4 d ago".
export function ago(t, now = Date.now()) {
  if (t === null || t === undefined) return '–';
  const ms = now - (typeof t === 'number' ? t : Date.parse(t));
  if (Number.isNaN(ms)) return String(t);
  if (ms < 1000) return 'just now';
  return `${duration(ms / 1000)
    .split(' ')
    .slice(0, 2)
    .join(' ')} ago`;
}
