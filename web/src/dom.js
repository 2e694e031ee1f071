// Building DOM from data without ever parsing it as HTML: every string given here becomes a
// text node or an attribute value, so a server string cannot inject markup.

// h('a', {href: '#/x', class: 'c', 'data-testid': 't', onclick: fn}, 'text', child, [more]).
// Props: `class`, `text` (textContent), on<event> listeners, `hidden`/`disabled`/`checked`/
// `value`/`selected` as properties, anything else as an attribute (null/false: left out).
// Children: nodes, strings (text nodes), numbers, arrays (flattened); null/undefined/false skipped.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key in kProperties) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

const kProperties = { hidden: 1, disabled: 1, checked: 1, value: 1, selected: 1 };

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

// Replaces every child of `el` with `children` (same forms as h()).
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A <select> of `options` ([value, label] pairs or plain values) with `selected` chosen.
export function select(props, options, selected) {
  return h(
    'select',
    props,
    options.map((o) => {
      const [value, label] = Array.isArray(o) ? o : [o, o];
      return h('option', { value, selected: String(value) === String(selected) }, label);
    }),
  );
}

// An input for a 6-digit one-time code (TOTP); `props` adds to or overrides the defaults.
export function codeInput(props) {
  return h('input', {
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    pattern: '[0-9]{6}',
    maxlength: '6',
    required: true,
    ...props,
  });
}

// The server's error, as the page shows it: "Code: message" in a box.
export function errorBox(err) {
  const code = err?.code ? `${err.code}: ` : '';
  return h(
    'div',
    { class: 'error', role: 'alert', 'data-testid': 'error' },
    code + (err?.message ?? String(err)),
  );
}

// A table: `columns` is [{label, class?}], `rows` an array of arrays of cells (same forms as
// h() children) or of {cells, props} for row attributes. An empty list shows `empty`.
export function table(columns, rows, { empty = 'Nothing yet.', testid } = {}) {
  if (rows.length === 0) return h('p', { class: 'muted empty', 'data-testid': testid }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { 'data-testid': testid },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((c) => h('th', { class: c.class }, c.label)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((row) => {
          const { cells, props } = Array.isArray(row) ? { cells: row, props: {} } : row;
          return h(
            'tr',
            props,
            cells.map((cell, i) => h('td', { class: columns[i]?.class }, cell)),
          );
        }),
      ),
    ),
  );
}

// A coloured badge for an alarm, instance or deployment state (style.css maps the classes).
export function stateBadge(state, testid) {
  const cls = String(state)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
  return h(
    'span',
    { class: `badge state-${cls}`, 'data-testid': testid, 'data-state': state },
    String(state),
  );
}

const lastShown = new WeakMap();

// Whether `data` differs from what was last shown in `el` (compared as JSON); records it.
// Pages that poll redraw a part only when its data changed, so open <details>, selections
// and scroll positions survive the polling.
export function changed(el, data) {
  const text = JSON.stringify(data);
  if (lastShown.get(el) === text) return false;
  lastShown.set(el, text);
  return true;
}
