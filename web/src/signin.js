// The sign-in form: an access key id and secret exchanged for a session cookie
// (POST /v1/session). The secret is read once from the input, which is cleared at once; it is
// never stored.
import { signIn } from './api.js';
import { errorBox, h, replace } from './dom.js';

// Renders the form into `view`; `onSession(session)` runs after a successful sign-in.
// `notice` (optional) says why the form is shown, e.g. an ended session.
export function renderSignIn(view, onSession, notice = '') {
  const keyId = h('input', {
    name: 'access_key_id',
    autocomplete: 'username',
    required: true,
    spellcheck: 'false',
    autocapitalize: 'off',
    'data-testid': 'access-key-id',
  });
  const secret = h('input', {
    name: 'secret_access_key',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'data-testid': 'secret-access-key',
  });
  const status = h(
    'div',
    { class: 'signin-status', 'aria-live': 'polite' },
    notice ? h('p', { class: 'muted' }, notice) : null,
  );
  const submit = h(
    'button',
    { type: 'submit', class: 'primary', 'data-testid': 'sign-in' },
    'Sign in',
  );
  const form = h(
    'form',
    { class: 'signin card', 'data-testid': 'signin-form' },
    h('h1', {}, 'Vigil'),
    h(
      'p',
      { class: 'muted' },
      'Sign in with an access key (the root key is in <data-dir>/credentials).',
    ),
    h('label', {}, 'Access key id', keyId),
    h('label', {}, 'Secret access key', secret),
    status,
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = secret.value;
    secret.value = '';
    submit.disabled = true;
    replace(status, h('p', { class: 'muted' }, 'Signing in…'));
    try {
      const session = await signIn(keyId.value.trim(), value);
      onSession(session);
    } catch (e) {
      replace(status, errorBox(e));
      submit.disabled = false;
      secret.focus();
    }
  });
  replace(view, h('div', { class: 'signin-page' }, form));
  (keyId.value ? secret : keyId).focus();
}
