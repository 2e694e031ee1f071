// Charts: a thin wrapper over uPlot (canvas, one draw per update: a day at 10 s, 8,640 points
// × 5 series, draws in a few ms). Data is uPlot's aligned form [xs, ys1, ys2, ...] with xs in
// epoch seconds and null for a missing point.
//
// Each chart's container carries data-points (the non-null values it holds), data-series and
// data-draw-ms (the last setData until uPlot's draw, which runs in a microtask after it),
// which the browser tests read.
//
// uPlot is imported when the first chart is made, not with this module: evaluating it makes
// the page's first Intl formatters (50-100 ms in a fresh page), which then runs while the
// page's data is being fetched rather than before the page is drawn. A chart is made empty at
// once and its uPlot when the module is there; data set before that is drawn then.
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

let uPlotModule = null;
function loadUPlot() {
  uPlotModule ??= import('./vendor/uPlot.esm.js').then((m) => m.default);
  return uPlotModule;
}

// Makes `make(uPlot)` (a uPlot) in `container` once uPlot is loaded, unless disposed before.
// Answers {plot(), dispose()}; `plot()` is null until then.
function deferred(container, make) {
  let plot = null;
  let disposed = false;
  loadUPlot()
    .then((uPlot) => {
      if (!disposed) plot = make(uPlot);
    })
    .catch((e) => {
      container.replaceChildren(
        h('p', { class: 'muted empty' }, `The chart cannot be drawn: ${e.message}`),
      );
    });
  return {
    plot: () => plot,
    dispose() {
      disposed = true;
      plot?.destroy();
    },
  };
}

function countPoints(data) {
  let n = 0;
  for (let i = 1; i < data.length; i++) {
    const ys = data[i];
    for (let j = 0; j < ys.length; j++) if (ys[j] !== null && ys[j] !== undefined) n++;
  }
  return n;
}

// A time chart in `container`.
//   series: [{label, color?, dash?, kind?: 'line' | 'points' (markers only)}]
//   format: value → axis and tooltip text (default: exact value)
//   onZoom(start, end): called with the dragged range in epoch seconds; without it, no drag.
// Returns {setData(data), drawMs, destroy()}; the chart follows the container's width.
export function timeChart(container, { series, height = 260, format = exact, onZoom } = {}) {
  container.classList.add('chart');
  const colors = series.map((s, i) => s.color ?? kPalette[i % kPalette.length]);
  const opts = {
    width: 0, // when made
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
          const ms = (performance.now() - drawStart).toFixed(1);
          container.dataset.drawMs = ms;
          drawStart = null;
          onDrawn?.(Number(ms));
          onDrawn = null;
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
  let onDrawn = null;
  let data = null; // set before uPlot was there
  let resize = null;
  const noData = h('div', { class: 'chart-empty', hidden: true }, 'No data points in this range.');
  container.dataset.series = String(series.length);
  container.dataset.points = '0';
  // What the chart holds: data-points, and the note when there is nothing to draw.
  const holds = (data) => {
    const points = countPoints(data);
    container.dataset.points = String(points);
    noData.hidden = points > 0;
  };
  const chart = deferred(container, (uPlot) => {
    opts.width = Math.max(container.clientWidth, 200);
    if (data) drawStart = performance.now();
    const plot = new uPlot(opts, data ?? [[], ...series.map(() => [])], container);
    plot.over.append(noData);
    if (data) holds(data);
    data = null;
    resize = new ResizeObserver(() => {
      const width = Math.max(container.clientWidth, 200);
      if (width !== plot.width) plot.setSize({ width, height });
    });
    resize.observe(container);
    return plot;
  });
  return {
    // Resolves to the draw's milliseconds once drawn (never when another setData comes first).
    setData(next) {
      const drawn = new Promise((resolve) => {
        onDrawn = resolve;
      });
      const plot = chart.plot();
      if (!plot) {
        data = next; // drawn when made
        return drawn;
      }
      drawStart = performance.now();
      plot.setData(next);
      holds(next);
      return drawn;
    },
    // Milliseconds from the last setData to its draw (null until drawn).
    get drawMs() {
      return container.dataset.drawMs ? Number(container.dataset.drawMs) : null;
    },
    destroy() {
      resize?.disconnect();
      chart.dispose();
    },
  };
}

// A sparkline: one series, no axes, no legend, no cursor; `height` px tall.
export function sparkline(container, { color = kPalette[0], height = 36 } = {}) {
  container.classList.add('sparkline');
  container.dataset.points = '0';
  let data = null; // set before uPlot was there
  let resize = null;
  const chart = deferred(container, (uPlot) => {
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
      data ?? [[], []],
      container,
    );
    if (data) container.dataset.points = String(countPoints(data));
    data = null;
    resize = new ResizeObserver(() => {
      const width = Math.max(container.clientWidth, 60);
      if (width !== plot.width) plot.setSize({ width, height });
    });
    resize.observe(container);
    return plot;
  });
  return {
    setData(next) {
      const plot = chart.plot();
      if (!plot) {
        data = next; // drawn when made
        return;
      }
      plot.setData(next);
      container.dataset.points = String(countPoints(next));
    },
    destroy() {
      resize?.disconnect();
      chart.dispose();
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
      return chart.setData(data);
    },
    destroy() {
      chart?.destroy();
    },
  };
}
