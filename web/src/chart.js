// Charts: a thin wrapper over uPlot (canvas, one draw per update: a day at 10 s, 8,640 points
// × 5 series, draws in a few ms). Data is uPlot's aligned form [xs, ys1, ys2, ...] with xs in
// epoch seconds and null for a missing point.
//
// Each chart's container carries data-points (the non-null values it holds), data-series and
// data-draw-ms (the last setData until uPlot's draw, which runs in a microtask after it),
// which the browser tests read.
import uPlot from './vendor/uPlot.esm.js';
import { h } from './dom.js';
import { dateTime, exact } from './format.js';

// Series colours, readable on the dark and the light background.
export const kPalette = [
  '#4c9aff',
  '#f5a623',
  '#36b37e',
  '#e5484d',
  '#a371f7',
  '#14b8c4',
  '#e3b341',
  '#f778ba',
];
export const kThresholdColor = '#f5a623';
export const kBreachColor = '#e5484d';

function cssVar(name, fallback) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function axes(format) {
  const stroke = cssVar('--muted', '#8b949e');
  const grid = { stroke: cssVar('--grid', 'rgba(128,128,128,0.15)'), width: 1 };
  const ticks = { stroke: grid.stroke, width: 1 };
  return [
    { stroke, grid, ticks },
    {
      stroke,
      grid,
      ticks,
      values: (u, values) => values.map((v) => format(v)),
      // Wide enough for the longest label (at most 8 px a character at 12 px), ticks and gap.
      size: (u, values) => 24 + 8 * Math.max(3, ...(values ?? []).map((v) => String(v).length)),
    },
  ];
}

// A tooltip that follows the cursor with the time and each shown series' value; `colors`
// are the series' colours, in order. Its nodes are made once: moving the cursor only changes
// their text.
function tooltipPlugin(format, colors) {
  let box;
  let title;
  let rows = [];
  return {
    hooks: {
      init: (u) => {
        title = h('div', { class: 'chart-tooltip-time' });
        rows = colors.map((color) => {
          const text = h('span');
          const swatch = h('span', { class: 'swatch', style: `background: ${color}` });
          return { row: h('div', {}, swatch, text), text };
        });
        box = h(
          'div',
          { class: 'chart-tooltip', hidden: true },
          title,
          rows.map((r) => r.row),
        );
        u.over.append(box);
      },
      setCursor: (u) => {
        const { idx, left, top } = u.cursor;
        if (idx === null || idx === undefined || left < 0) {
          box.hidden = true;
          return;
        }
        box.hidden = false;
        title.textContent = dateTime(u.data[0][idx] * 1000);
        u.series.slice(1).forEach((s, i) => {
          const v = u.data[i + 1][idx];
          rows[i].row.hidden = !s.show || v === null || v === undefined;
          // The axis' form, and the exact value when that rounds or scales it.
          const shown = format(v);
          const raw = exact(v);
          rows[i].text.textContent = `${s.label}: ${shown}${shown === raw ? '' : ` (${raw})`}`;
        });
        // Keep the box inside the plot: left of the cursor on the right half.
        const flip = left > u.over.clientWidth / 2;
        box.style.left = flip ? '' : `${left + 12}px`;
        box.style.right = flip ? `${u.over.clientWidth - left + 12}px` : '';
        box.style.top = `${Math.max(0, top - 10)}px`;
      },
    },
  };
}

function countPoints(data) {
  let n = 0;
  for (let i = 1; i < data.length; i++) {
    for (const v of data[i]) if (v !== null && v !== undefined) n++;
  }
  return n;
}

// A time chart in `container`.
//   series: [{label, color?, dash?, kind?: 'line' | 'points' (markers only)}]
//   format: value → axis and tooltip text (default: exact value)
//   onZoom(start, end): called with the dragged range in epoch seconds; without it, no drag.
// Returns {setData(data), destroy()}; the chart follows the container's width.
export function timeChart(container, { series, height = 260, format = exact, onZoom } = {}) {
  container.classList.add('chart');
  const colors = series.map((s, i) => s.color ?? kPalette[i % kPalette.length]);
  const opts = {
    width: Math.max(container.clientWidth, 200),
    height,
    scales: { x: { time: true } },
    axes: axes(format),
    legend: { show: series.length > 1, live: false },
    cursor: {
      drag: { x: Boolean(onZoom), y: false, setScale: false },
      points: { size: 6 },
    },
    series: [
      { value: (u, v) => (v === null ? '' : dateTime(v * 1000)) },
      ...series.map((s, i) => {
        const color = colors[i];
        const base = { label: s.label, stroke: color, width: 1.5, dash: s.dash };
        if (s.dash) base.points = { show: false };
        if (s.kind === 'points') {
          return {
            ...base,
            paths: () => null,
            points: { show: true, size: 7, fill: color, stroke: color },
          };
        }
        return base;
      }),
    ],
    hooks: {
      draw: [
        () => {
          if (drawStart === null) return;
          container.dataset.drawMs = (performance.now() - drawStart).toFixed(1);
          drawStart = null;
        },
      ],
      setSelect: [
        (u) => {
          if (!onZoom || u.select.width < 2) return;
          const start = u.posToVal(u.select.left, 'x');
          const end = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          onZoom(start, end);
        },
      ],
    },
    plugins: [tooltipPlugin(format, colors)],
  };
  let drawStart = null;
  const empty = [[], ...series.map(() => [])];
  const plot = new uPlot(opts, empty, container);
  const noData = h('div', { class: 'chart-empty', hidden: true }, 'No data points in this range.');
  plot.over.append(noData);
  container.dataset.series = String(series.length);
  container.dataset.points = '0';
  const resize = new ResizeObserver(() => {
    const width = Math.max(container.clientWidth, 200);
    if (width !== plot.width) plot.setSize({ width, height });
  });
  resize.observe(container);
  return {
    setData(data) {
      drawStart = performance.now();
      plot.setData(data);
      const points = countPoints(data);
      container.dataset.points = String(points);
      noData.hidden = points > 0;
    },
    // Milliseconds from the last setData to its draw (null until drawn).
    get drawMs() {
      return container.dataset.drawMs ? Number(container.dataset.drawMs) : null;
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}

// A sparkline: one series, no axes, no legend, no cursor; `height` px tall.
export function sparkline(container, { color = kPalette[0], height = 36 } = {}) {
  container.classList.add('sparkline');
  const plot = new uPlot(
    {
      width: Math.max(container.clientWidth, 60),
      height,
      legend: { show: false },
      cursor: { show: false },
      select: { show: false },
      axes: [{ show: false }, { show: false }],
      scales: {
        x: { time: true },
        y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
      },
      series: [{}, { stroke: color, width: 1.5, fill: `${color}22`, points: { show: false } }],
    },
    [[], []],
    container,
  );
  container.dataset.points = '0';
  const resize = new ResizeObserver(() => {
    const width = Math.max(container.clientWidth, 60);
    if (width !== plot.width) plot.setSize({ width, height });
  });
  resize.observe(container);
  return {
    setData(data) {
      plot.setData(data);
      container.dataset.points = String(countPoints(data));
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}

// A titled card holding a time chart; append `el` to the page before calling mount().
export function chartPanel(title, options, testid) {
  const box = h('div', { 'data-testid': testid });
  const el = h('section', { class: 'card chart-panel' }, h('h3', {}, title), box);
  let chart = null;
  return {
    el,
    mount() {
      chart = timeChart(box, options);
      return chart;
    },
    setData(data) {
      chart.setData(data);
    },
    destroy() {
      chart?.destroy();
    },
  };
}
