// The sign-in page: a person's user name and password (and, when the server asks for it, the
// code of their MFA device), or an access key pair as the second option, exchanged for a
// session cookie (POST /v1/session). Secrets are read from their inputs, which are cleared at
// once; the password is held in this closure only while the code is asked for, never stored.
import { signIn, signInWithPassword } from './api.js';
import { codeInput, errorBox, h, replace } from './dom.js';

function input(props) {
  return h('input', { required: true, spellcheck: 'false', autocapitalize: 'off', ...props });
}

// Renders the page into `view`; `onSession(session)` runs after a successful sign-in.
// `notice` (optional) says why the page is shown, e.g. an ended session.
export function renderSignIn(view, onSession, notice = '') {
  const status = h(
    'div',
    { class: 'signin-status', 'aria-live': 'polite' },
    notice ? h('p', { class: 'muted' }, notice) : null,
  );
  const page = h('div', { class: 'signin-page' });
  replace(view, page);

  // Runs `attempt()`; shows its error, or hands the session on.
  async function submit(button, attempt, onError) {
    button.disabled = true;
    replace(status, h('p', { class: 'muted' }, 'Signing in…'));
    try {
      onSession(await attempt());
    } catch (e) {
      replace(status, errorBox(e));
      button.disabled = false;
      onError(e);
    }
  }

  function showPasswordForm() {
    const username = input({
      name: 'username',
      autocomplete: 'username',
      'data-testid': 'username',
    });
    const password = input({
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      'data-testid': 'password',
    });
    const code = codeInput({ name: 'totp', required: false, 'data-testid': 'totp' });
    const codeLabel = h('label', { hidden: true }, 'MFA code (from your authenticator app)', code);
    const button = h(
      'button',
      { type: 'submit', class: 'primary', 'data-testid': 'sign-in' },
      'Sign in',
    );
    let heldPassword = ''; // while the code is asked for
    const form = h(
      'form',
      { class: 'signin card', 'data-testid': 'signin-form' },
      h('h1', {}, 'Vigil'),
      h('p', { class: 'muted' }, 'Sign in with your user name and password.'),
      h('label', {}, 'User name', username),
      h('label', {}, 'Password', password),
      codeLabel,
      status,
      button,
      h(
        'button',
        { type: 'button', class: 'link', 'data-testid': 'use-access-key', onclick: showKeyForm },
        'Sign in with an access key instead',
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const secret = heldPassword || password.value;
      password.value = '';
      const totp = code.value.trim();
      code.value = '';
      submit(
        button,
        async () => {
          const session = await signInWithPassword(username.value.trim(), secret, totp);
          heldPassword = '';
          return session;
        },
        (e) => {
          if (
            e.code === 'MfaCodeRequired' ||
            (totp && e.code === 'Unauthenticated' && heldPassword)
          ) {
            // The password was right: ask for the code, keeping the password until then.
            heldPassword = secret;
            username.readOnly = true;
            password.closest('label').hidden = true;
            password.required = false;
            codeLabel.hidden = false;
            code.required = true;
            code.focus();
          } else {
            heldPassword = '';
            username.readOnly = false;
            password.closest('label').hidden = false;
            password.required = true;
            codeLabel.hidden = true;
            code.required = false;
            password.focus();
          }
        },
      );
    });
    replace(page, form);
    username.focus();
  }

  function showKeyForm() {
    const keyId = input({
      name: 'access_key_id',
      autocomplete: 'username',
      'data-testid': 'access-key-id',
    });
    const secret = input({
      name: 'secret_access_key',
      type: 'password',
      autocomplete: 'current-password',
      'data-testid': 'secret-access-key',
    });
    const button = h(
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
      button,
      h(
        'button',
        { type: 'button', class: 'link', 'data-testid': 'use-password', onclick: showPasswordForm },
        'Sign in with a user name and password instead',
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = secret.value;
      secret.value = '';
      submit(
        button,
        () => signIn(keyId.value.trim(), value),
        () => secret.focus(),
      );
    });
    replace(page, form);
    keyId.focus();
  }

  showPasswordForm();
}
