// Building DOM without HTML strings.
//
// h(tag, attrs, ...children) creates an element. Text always goes in as text
// nodes (textContent), attributes through setAttribute; nothing here ever
// assigns innerHTML, so data from the API cannot become markup.
//
// attrs:
//   class / className    -> class attribute (a string or an array; falsy parts dropped)
//   onclick, onsubmit …  -> addEventListener (functions only)
//   value, checked, disabled, readOnly, selected, hidden, required, multiple
//                        -> set as properties (so forms reflect them)
//   dataset: {x: 1}      -> data-x="1"
//   anything else        -> setAttribute (null / undefined / false: left out;
//                           true: empty attribute)
// children: strings and numbers become text, arrays are flattened,
// null / undefined / false are skipped.

const PROPS = new Set([
  'value',
  'checked',
  'disabled',
  'readOnly',
  'selected',
  'hidden',
  'required',
  'multiple',
  'indeterminate',
]);

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class' || k === 'className') {
      const c = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      if (c) el.setAttribute('class', c);
    } else if (k === 'dataset') {
      for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
    } else if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (PROPS.has(k)) {
      el[k] = v;
    } else if (v === false) {
      continue;
    } else if (v === true) {
      el.setAttribute(k, '');
    } else {
      el.setAttribute(k, String(v));
    }
  }
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Remove every child of el.
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Replace el's children with `children`.
export function mount(el, ...children) {
  clear(el);
  return append(el, children);
}

// Shorthand for the text of an element: text('p', 'hello', {class: 'x'}).
export function text(tag, s, attrs) {
  return h(tag, attrs || null, s === null || s === undefined ? '' : String(s));
}

// A <ul> of items, each rendered by render(item, index) into an <li>'s
// children (or an <li> itself).
export function list(items, render, attrs) {
  return h(
    'ul',
    attrs || null,
    items.map((it, i) => {
      const r = render(it, i);
      return r instanceof HTMLLIElement ? r : h('li', null, r);
    }),
  );
}

// A table with a caption (its accessible name), column headers and rows.
// columns: [{label, cell: (row) => string | Node | array}]
export function table(caption, columns, rows, attrs) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      attrs || null,
      caption ? h('caption', null, caption) : null,
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          columns.map((c) => h('th', { scope: 'col' }, c.label)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((r) =>
          h(
            'tr',
            null,
            columns.map((c) => h('td', { 'data-label': c.label }, c.cell(r))),
          ),
        ),
      ),
    ),
  );
}

// A <dl> of [term, description] pairs (null descriptions shown as "—").
export function deflist(pairs, attrs) {
  return h(
    'dl',
    attrs || { class: 'deflist' },
    pairs
      .filter(Boolean)
      .map(([k, v]) => [h('dt', null, k), h('dd', null, v === null || v === undefined || v === '' ? '—' : v)]),
  );
}

// The values of a form's named controls: checkboxes as booleans, number
// inputs as numbers (or null when empty), everything else as strings.
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.type === 'radio') {
      if (el.checked) out[el.name] = el.value;
    } else if (el.type === 'number') out[el.name] = el.value === '' ? null : Number(el.value);
    else if (el.type === 'file') continue;
    else out[el.name] = el.value;
  }
  return out;
}

// Lines of a textarea as a list (blank lines and surrounding space dropped).
export function lines(s) {
  return String(s || '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

// A readable local date-time for an RFC 3339 value ("—" for null).
export function when(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return String(ts);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
