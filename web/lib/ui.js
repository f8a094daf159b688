// Shared widgets of the portal and the console: labelled fields with a slot
// for the API's error about them, forms that show an ApiError next to the
// fields it names, loading / empty states, banners, status badges, a confirm
// dialog for destructive actions, the "secret shown once" panel, a hash
// router and the navigation bar. Everything is built with dom.js (text only,
// never HTML strings).

import { h, clear, append, mount, formValues } from './dom.js';
import { ApiError, fieldRoot } from './api.js';

let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

// ---------------------------------------------------------------- fields

// field({label, name, type, value, required, readonly, hint, options,
//        multiline, rows, autocomplete, placeholder, min, max, step, id})
// A <div class="field"> with a <label>, the control, an optional hint and an
// error slot; the control is described by hint and error. `readonly` turns
// the control into a disabled one (nothing to submit). options: an array of
// strings or {value, label} for a <select>. type "checkbox": value is the
// checked state.
export function field(o) {
  const id = o.id || nextId(`f-${o.name}`);
  const errId = `${id}-err`;
  const hintId = o.hint ? `${id}-hint` : null;
  const describedBy = [hintId, errId].filter(Boolean).join(' ');
  const common = {
    id,
    name: o.name,
    required: !!o.required,
    disabled: !!o.readonly,
    'aria-describedby': describedBy,
    autocomplete: o.autocomplete || null,
    placeholder: o.placeholder || null,
  };
  let control;
  if (o.options) {
    control = h(
      'select',
      common,
      o.options.map((opt) => {
        const v = typeof opt === 'object' ? opt.value : opt;
        const l = typeof opt === 'object' ? opt.label : opt;
        return h('option', { value: v, selected: String(o.value) === String(v) }, l);
      }),
    );
  } else if (o.multiline) {
    control = h('textarea', { ...common, rows: o.rows || 4, value: o.value ?? '' });
  } else if (o.type === 'checkbox') {
    control = h('input', { ...common, type: 'checkbox', checked: !!o.value });
  } else {
    control = h('input', {
      ...common,
      type: o.type || 'text',
      value: o.value ?? '',
      min: o.min ?? null,
      max: o.max ?? null,
      step: o.step ?? null,
      accept: o.accept || null,
      spellcheck: o.type === 'password' ? 'false' : null,
    });
  }
  // The required mark stays outside the <label>, so the accessible name is the label alone.
  const label = o.required
    ? h(
        'span',
        { class: 'label-row' },
        h('label', { for: id }, o.label),
        h('span', { class: 'req', 'aria-hidden': 'true' }, ' *'),
      )
    : h('label', { for: id }, o.label);
  const hint = o.hint ? h('p', { class: 'hint', id: hintId }, o.hint) : null;
  const err = h('p', { class: 'field-error', id: errId, 'data-error-for': o.name, hidden: true });
  const cls = ['field', o.type === 'checkbox' ? 'field-check' : null, o.readonly ? 'field-readonly' : null];
  return o.type === 'checkbox'
    ? h('div', { class: cls }, control, label, hint, err)
    : h('div', { class: cls }, label, control, hint, err);
}

// Put `message` in the error slot of field `name` in `root` (a form or any
// container); returns false when there is no such field.
export function setFieldError(root, name, message) {
  const slot = root.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
  if (!slot) return false;
  const prev = slot.hidden ? '' : slot.textContent + ' ';
  slot.textContent = prev + message;
  slot.hidden = false;
  const ctl = root.querySelector(`[name="${CSS.escape(name)}"]`);
  if (ctl) ctl.setAttribute('aria-invalid', 'true');
  return true;
}

// Empty every error slot (and the form-level one) under root.
export function clearErrors(root) {
  for (const s of root.querySelectorAll('[data-error-for]')) {
    s.textContent = '';
    s.hidden = true;
  }
  for (const c of root.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  const fe = root.querySelector('.form-error');
  if (fe) {
    clear(fe);
    fe.hidden = true;
  }
}

// Show an error (ApiError or any Error) in root: each API error that names a
// field present in root goes next to it; the rest go to root's form-level
// error box (.form-error), or into a new one at root's top. Focuses the first
// field with an error.
export function showErrors(root, err) {
  clearErrors(root);
  const items = err instanceof ApiError ? err.errors : [{ message: (err && err.message) || String(err) }];
  const rest = [];
  for (const e of items) {
    const placed =
      e.field && (setFieldError(root, e.field, e.message) || setFieldError(root, fieldRoot(e.field), e.message));
    if (!placed) rest.push(e);
  }
  if (rest.length) {
    let fe = root.querySelector('.form-error');
    if (!fe) {
      fe = h('div', { class: 'form-error banner banner-error', role: 'alert' });
      root.prepend(fe);
    }
    mount(
      fe,
      rest.length === 1
        ? rest[0].message
        : h(
            'ul',
            null,
            rest.map((e) => h('li', null, e.field ? `${e.field}: ${e.message}` : e.message)),
          ),
    );
    fe.hidden = false;
  }
  const bad = root.querySelector('[aria-invalid="true"]');
  if (bad) bad.focus();
  else if (rest.length) root.querySelector('.form-error').focus?.();
}

// form({label, fields, submit, onSubmit, readonly, extra, cancel})
// A <form> (named by `label` through aria-label) with the fields, a
// form-level error box and a submit button. onSubmit(values, form) may be
// async; while it runs the submit button is disabled and aria-busy is set; an
// error it throws is shown with showErrors. readonly: no submit button.
// fields: field() option objects or ready nodes.
export function form(o) {
  const errBox = h('div', { class: 'form-error banner banner-error', role: 'alert', tabindex: '-1', hidden: true });
  const submit = o.readonly
    ? null
    : h('button', { type: 'submit', class: ['btn', o.danger ? 'btn-danger' : 'btn-primary'] }, o.submit || 'Save');
  const f = h(
    'form',
    { 'aria-label': o.label || null, class: ['form', o.class], novalidate: o.novalidate ? true : null },
    errBox,
    (o.fields || []).map((x) => (x instanceof Node ? x : field({ ...x, readonly: x.readonly || o.readonly }))),
    o.extra || null,
    submit || o.cancel ? h('div', { class: 'actions' }, submit, o.cancel || null) : null,
  );
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!submit || submit.disabled) return;
    clearErrors(f);
    submit.disabled = true;
    f.setAttribute('aria-busy', 'true');
    try {
      await o.onSubmit(formValues(f), f);
    } catch (e) {
      if (f.isConnected) showErrors(f, e);
      else notify(e.message || String(e), 'error');
    } finally {
      submit.disabled = false;
      f.removeAttribute('aria-busy');
    }
  });
  return f;
}

// A plain button; onClick may be async (the button is disabled meanwhile and
// a thrown error is announced).
export function button(label, onClick, o = {}) {
  const b = h(
    'button',
    {
      type: 'button',
      class: ['btn', o.kind ? `btn-${o.kind}` : null, o.class],
      'aria-label': o.ariaLabel || null,
      disabled: !!o.disabled,
    },
    label,
  );
  b.addEventListener('click', async (ev) => {
    if (b.disabled) return;
    b.disabled = true;
    try {
      await onClick(ev);
    } catch (e) {
      notify(e.message || String(e), 'error');
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

// ---------------------------------------------------------------- states

export function loading(what = 'Loading…') {
  return h(
    'p',
    { class: 'loading', role: 'status', 'aria-busy': 'true' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    what,
  );
}

export function empty(what) {
  return h('p', { class: 'empty' }, what);
}

// banner(kind, ...children): kind is info, success, warning, error or red.
// error / red banners are alerts (read out at once).
export function banner(kind, ...children) {
  const urgent = kind === 'error' || kind === 'red';
  return h('div', { class: ['banner', `banner-${kind}`], role: urgent ? 'alert' : 'status' }, children);
}

// Seed 000's statuses (subscriptions: activation-requested, active,
// deactivation-requested, inactive; app access: red, green) and a few
// others, as a coloured badge that also says the status in words.
const BADGE = {
  'activation-requested': 'pending',
  active: 'ok',
  'deactivation-requested': 'pending',
  inactive: 'off',
  red: 'bad',
  green: 'ok',
  pending: 'pending',
  sent: 'ok',
  failed: 'bad',
  disabled: 'off',
};

export function badge(status, label) {
  const s = String(status);
  return h('span', { class: ['badge', `badge-${BADGE[s] || 'neutral'}`], 'data-status': s }, label || s);
}

// A live region for short notices ("Saved.", errors of buttons).
export function notify(message, kind = 'info') {
  let region = document.getElementById('gh-live');
  if (!region) {
    region = h('div', { id: 'gh-live', class: 'live', 'aria-live': 'polite' });
    document.body.append(region);
  }
  const n = h('div', { class: ['toast', `toast-${kind}`], role: kind === 'error' ? 'alert' : 'status' }, message);
  region.append(n);
  setTimeout(() => n.remove(), kind === 'error' ? 8000 : 4000);
}

// ---------------------------------------------------------------- dialogs

// confirmDialog({title, message, confirm, cancel, danger}) -> Promise<bool>
// A modal <dialog> asking before a destructive action; Escape or Cancel is
// "no". Focus starts on Cancel, so Enter alone does not destroy anything.
export function confirmDialog(o) {
  return new Promise((resolve) => {
    const titleId = nextId('dlg-title');
    const cancel = h('button', { type: 'button', class: 'btn', value: 'cancel' }, o.cancel || 'Cancel');
    const ok = h(
      'button',
      { type: 'button', class: ['btn', o.danger === false ? 'btn-primary' : 'btn-danger'] },
      o.confirm || 'Delete',
    );
    const dlg = h(
      'dialog',
      { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, o.title || 'Are you sure?'),
      o.message ? h('p', null, o.message) : null,
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
    cancel.addEventListener('click', () => done(false));
    ok.addEventListener('click', () => done(true));
    dlg.addEventListener('close', () => done(false));
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

// Copy text to the clipboard; returns whether it worked.
export async function copyText(s) {
  try {
    await navigator.clipboard.writeText(s);
    return true;
  } catch (e) {
    const ta = h('textarea', { class: 'offscreen', 'aria-hidden': 'true', value: s });
    document.body.append(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch (e2) {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

export function copyButton(getText, label = 'Copy') {
  return button(label, async () => {
    const ok = await copyText(typeof getText === 'function' ? getText() : getText);
    notify(
      ok ? 'Copied to the clipboard.' : 'Copying failed: select the text and copy it yourself.',
      ok ? 'info' : 'error',
    );
  });
}

// secretPanel({title, label, value, note, onDone})
// Shows a secret once: the value in a read-only field, a copy button and the
// warning that it will not be shown again. The value lives only in this
// element (and the caller's memory); "Done" removes the panel.
export function secretPanel(o) {
  const id = nextId('secret');
  const input = h('input', {
    id,
    type: 'text',
    readOnly: true,
    value: o.value,
    class: 'secret-value',
    spellcheck: 'false',
    autocomplete: 'off',
  });
  input.addEventListener('focus', () => input.select());
  const panel = h(
    'section',
    { class: 'secret-panel', 'aria-label': o.title || 'Secret' },
    h('h3', null, o.title || 'Your new secret'),
    h(
      'p',
      { class: 'secret-warning', role: 'alert' },
      h('strong', null, 'Copy it now: you will not see this again.'),
      ' ',
      o.note || 'Store it somewhere safe; gatehouse keeps only a hash of it.',
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: id }, o.label || 'Secret'),
      h(
        'div',
        { class: 'secret-row' },
        input,
        copyButton(() => input.value, o.copyLabel || 'Copy'),
      ),
    ),
    h(
      'div',
      { class: 'actions' },
      button('Done, I have stored it', () => {
        input.value = '';
        panel.remove();
        if (o.onDone) o.onDone();
      }),
    ),
  );
  return panel;
}

// Offer `content` as a file download built in the browser.
export function download(filename, mime, content) {
  const blob = new Blob([content], { type: mime });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, class: 'offscreen' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ---------------------------------------------------------------- routing

// createRouter(outlet, routes, {notFound, before})
// routes: [['/apps/:id', (params, query) => Node | Promise<Node>], …] on the
// location hash ("#/apps/app_x?tab=keys"). before(path) may return a
// replacement path (e.g. '/login' when logged out) or nothing. The rendered
// node replaces outlet's children; a render that finished after a newer
// navigation is dropped. After rendering, focus moves to the first <h1>.
export function createRouter(outlet, routes, o = {}) {
  const compiled = routes.map(([pattern, handler]) => {
    const names = [];
    const re = new RegExp(
      '^' +
        pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_, n) => {
          names.push(n);
          return '([^/]+)';
        }) +
        '/?$',
    );
    return { re, names, handler };
  });
  let gen = 0;
  const current = () => {
    const raw = location.hash.replace(/^#/, '') || '/';
    const [p, qs] = raw.split('?');
    return { path: p || '/', query: Object.fromEntries(new URLSearchParams(qs || '')) };
  };
  async function render() {
    const my = ++gen;
    let { path: p, query } = current();
    if (o.before) {
      const r = await o.before(p, query);
      if (my !== gen) return;
      if (r && r !== p) {
        location.replace('#' + r);
        return;
      }
    }
    let node;
    const m = compiled.map((c) => [c, c.re.exec(p)]).find(([, x]) => x);
    mount(outlet, loading());
    try {
      if (m) {
        const [c, x] = m;
        const params = {};
        c.names.forEach((n, i) => (params[n] = decodeURIComponent(x[i + 1])));
        node = await c.handler(params, query);
      } else {
        node = o.notFound ? await o.notFound(p) : h('h1', null, 'Page not found');
      }
    } catch (e) {
      if (my !== gen) return;
      if (e instanceof ApiError && (e.status === 401 || e.isCsrf)) return;
      node = h('div', null, h('h1', null, 'Something went wrong'), banner('error', e.message || String(e)));
    }
    if (my !== gen) return;
    mount(outlet, node);
    if (o.after) o.after(p);
    const h1 = outlet.querySelector('h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: false });
      document.title = `${h1.textContent} · ${o.title || 'gatehouse'}`;
    }
  }
  window.addEventListener('hashchange', render);
  return {
    start: render,
    refresh: render,
    go(p) {
      if (location.hash === '#' + p) render();
      else location.hash = '#' + p;
    },
    current,
  };
}

// A link into the hash router.
export function link(path, ...children) {
  return h('a', { href: '#' + path }, children);
}

// nav(label, links, currentPath): a <nav> with a list of links
// ({path, label} or {label, onClick} for buttons); the one matching
// currentPath (or a prefix of it) is aria-current="page".
export function nav(label, links, currentPath) {
  const best = links
    .filter(
      (l) => l.path && (currentPath === l.path || currentPath.startsWith(l.path === '/' ? '/\u0000' : l.path + '/')),
    )
    .sort((a, b) => b.path.length - a.path.length)[0];
  return h(
    'nav',
    { 'aria-label': label, class: 'nav' },
    h(
      'ul',
      null,
      links.map((l) =>
        h(
          'li',
          null,
          l.path
            ? h('a', { href: '#' + l.path, 'aria-current': l === best ? 'page' : null }, l.label)
            : button(l.label, l.onClick, { kind: 'link' }),
        ),
      ),
    ),
  );
}

// A titled section: section(title, ...children) -> <section aria-labelledby>
export function section(title, ...children) {
  const id = nextId('sec');
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), children);
}

export { h, append, mount, clear };
