// Console-only conveniences over web/lib: a Form object that reads its
// fields by name, a cell-array table, UTC times. Widgets themselves (fields
// with error slots, banners, badges, dialogs) come from web/lib/ui.js, and
// every piece of text goes into the page as text, never as HTML.

import { h, mount, table as libTable } from '../lib/dom.js';
import * as ui from '../lib/ui.js';

export { h, mount };
export const { banner, badge, loading, empty, notify } = ui;

export function on(el, type, fn) {
  el.addEventListener(type, fn);
  return el;
}

// A button whose (async) action disables it while running; an error it
// throws is announced (ui.button). kind: 'primary', 'danger' or none;
// ariaLabel: a longer accessible name (starting with the visible label) for
// buttons repeated per row.
export function button(label, fn, kind, ariaLabel) {
  return ui.button(label, fn, { kind: kind === 'primary' || kind === 'danger' ? kind : null, ariaLabel });
}

// Asks before a destructive action; resolves true only on the confirm button.
export function confirmAction(title, message, confirmLabel) {
  return ui.confirmDialog({ title, message, confirm: confirmLabel });
}

export function fmtTime(s) {
  if (!s) return '—';
  const d = new Date(s);
  return Number.isNaN(d.getTime())
    ? String(s)
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

// table(['Name', …], rows given as arrays of cells, caption).
export function table(headers, rows, caption) {
  return libTable(
    caption,
    headers.map((label, i) => ({ label, cell: (r) => r[i] })),
    rows,
  );
}

// A form from field specs: {name, label, type?, value?, options?
// [[value, label]…], hint?, rows?, checked?, required?, autocomplete?}; type
// is an input type, 'textarea', 'select' or 'checkbox'. onSubmit(form) may
// throw an ApiError: each error lands next to the field it names (the API's
// `field`, e.g. "customer_number.template" or "path_prefixes[1]" →
// "path_prefixes"), the others above the fields.
export class Form {
  constructor(specs, submitLabel, onSubmit, opts = {}) {
    this.el = ui.form({
      label: opts.label || submitLabel,
      submit: submitLabel,
      danger: !!opts.danger,
      novalidate: true,
      cancel: opts.cancel || null,
      fields: specs.map((s) => ({
        name: s.name,
        label: s.label,
        type: s.type === 'textarea' || s.type === 'select' ? undefined : s.type,
        multiline: s.type === 'textarea',
        rows: s.rows,
        options: s.type === 'select' ? s.options.map(([value, label]) => ({ value, label })) : undefined,
        value: s.type === 'checkbox' ? !!s.checked : s.value,
        hint: s.hint,
        required: !!s.required,
        autocomplete: s.autocomplete || (s.type === 'password' ? 'off' : null),
      })),
      onSubmit: () => onSubmit(this),
    });
  }

  input(name) {
    return this.el.elements.namedItem(name);
  }

  value(name) {
    const i = this.input(name);
    return i.type === 'checkbox' ? i.checked : i.value;
  }

  // A textarea's lines (or an input's comma-separated parts) without blanks.
  list(name) {
    return String(this.value(name))
      .split(/[\n,]/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  showErrors(err) {
    ui.showErrors(this.el, err);
  }
}

// After a view redraws itself (not through the router), the control that was
// used is gone: focus the new content's first heading (h1, or the given
// selector) so keyboard and screen-reader users carry on from there.
export function focusHeading(root, selector = 'h1') {
  const el = root.querySelector(selector);
  if (!el) return;
  el.setAttribute('tabindex', '-1');
  el.focus();
}

let dialogs = 0;

// Like confirmAction, with a labelled text box for a reason: resolves the
// reason ('' when left empty) on confirm, null on Cancel or Escape. Focus
// starts in the text box.
export function askReason(title, message, reasonLabel, confirmLabel) {
  return new Promise((resolve) => {
    const n = ++dialogs;
    const reason = h('textarea', { id: `reason-dlg-${n}`, rows: 3, maxlength: 1000 });
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const ok = h('button', { type: 'button', class: 'btn btn-danger' }, confirmLabel);
    const dlg = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': `reason-dlg-title-${n}` },
      h('h2', { id: `reason-dlg-title-${n}` }, title),
      h('p', null, message),
      h('div', { class: 'field' }, h('label', { for: `reason-dlg-${n}` }, reasonLabel), reason),
      h('div', { class: 'actions' }, cancel, ok),
    );
    let answered = false;
    const done = (v) => {
      if (answered) return;
      answered = true;
      if (dlg.open) dlg.close();
      dlg.remove();
      resolve(v);
    };
    on(cancel, 'click', () => done(null));
    on(ok, 'click', () => done(reason.value.trim()));
    on(dlg, 'close', () => done(null));
    document.body.append(dlg);
    dlg.showModal();
    reason.focus();
  });
}
