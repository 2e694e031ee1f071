// Account and security: who is signed in and how, changing one's own password, setting up a
// virtual MFA device (a QR code of the otpauth:// URI, the URI and the secret as text, for an
// authenticator app), and the dashboard's sessions — one's own, or everyone's for an administrator — with revoke.
import { currentSession, rest } from '../api.js';
import { browserText, methodText, passwordProblem } from '../account.js';
import { confirmDialog } from '../dialog.js';
import { codeInput, errorBox, h, replace, table } from '../dom.js';
import { ago, dateTime } from '../format.js';
import { qrSvg } from '../qr.js';

export function render(view, { scope }) {
  const who = h('div', { class: 'card', 'data-testid': 'account-who' }, 'Loading…');
  const passwordPart = h('div', { 'data-testid': 'account-password' });
  const mfaPart = h('div', { 'data-testid': 'account-mfa' });
  const sessionsPart = h('div', { 'data-testid': 'account-sessions' });
  view.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Account and security')),
    who,
    passwordPart,
    mfaPart,
    sessionsPart,
  );

  currentSession()
    .then((session) => {
      if (!scope.alive || !session) return;
      replace(
        who,
        h('strong', {}, session.principal),
        ` — signed in with ${methodText(session.method, session.mfa)}, until ${dateTime(session.expires_at)}`,
      );
      // The root key is no IAM user: no password, no MFA device of its own.
      if (session.principal !== 'root') {
        renderPassword(passwordPart, session);
        renderMfa(mfaPart, session, scope);
      }
      renderSessions(sessionsPart, session, scope);
    })
    .catch((e) => replace(who, errorBox(e)));
}

function renderPassword(el, session) {
  const current = h('input', {
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'data-testid': 'current-password',
  });
  const next = h('input', {
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    minlength: '12',
    'data-testid': 'new-password',
  });
  const repeat = h('input', {
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    'data-testid': 'repeat-password',
  });
  const status = h('div');
  const button = h(
    'button',
    { type: 'submit', class: 'primary', 'data-testid': 'change-password' },
    'Change password',
  );
  const form = h(
    'form',
    { class: 'card account-form' },
    h('p', { class: 'muted' }, 'Changing your password signs out every session it opened.'),
    h('label', {}, 'Current password', current),
    h('label', {}, 'New password (at least 12 characters)', next),
    h('label', {}, 'New password again', repeat),
    status,
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const problem = passwordProblem(session.principal, next.value, repeat.value);
    if (problem) {
      replace(status, h('div', { class: 'error', role: 'alert' }, problem));
      return;
    }
    const [oldValue, newValue] = [current.value, next.value];
    for (const input of [current, next, repeat]) input.value = '';
    button.disabled = true;
    try {
      await rest.changePassword(oldValue, newValue);
      // The server ended this session too: the next call returns to the sign-in page.
      replace(status, h('p', { class: 'notice' }, 'Password changed. Sign in again.'));
      location.reload();
    } catch (e) {
      replace(status, errorBox(e));
      button.disabled = false;
    }
  });
  replace(el, h('h2', {}, 'Password'), form);
}

function renderMfa(el, session, scope) {
  const user = session.principal;
  const status = h('div');
  const body = h('div', { class: 'card' }, 'Loading…');
  replace(el, h('h2', {}, 'Multi-factor authentication'), body, status);

  const show = async () => {
    try {
      const { devices } = await rest.mfaDevices(user);
      if (!scope.alive) return;
      const device = devices[0];
      if (device?.enabled) {
        replace(
          body,
          h('p', { 'data-testid': 'mfa-enabled' }, `MFA is on (${device.serial}), since `),
          h('p', { class: 'muted' }, dateTime(device.enabled_at)),
          h('p', { class: 'muted' }, 'To turn it off or replace it, ask an administrator.'),
        );
        return;
      }
      const start = h(
        'button',
        { type: 'button', class: 'primary', 'data-testid': 'mfa-setup' },
        'Set up an authenticator app',
      );
      start.addEventListener('click', () => enrol(start));
      replace(
        body,
        h('p', {}, 'MFA is off: a password alone signs you in.'),
        h('p', { class: 'muted' }, 'With MFA, signing in also asks for a six-digit code.'),
        start,
      );
    } catch (e) {
      replace(body, errorBox(e));
    }
  };

  const enrol = async (button) => {
    button.disabled = true;
    try {
      const device = await rest.createMfaDevice(user);
      const code1 = codeInput({ 'data-testid': 'mfa-code1' });
      const code2 = codeInput({ 'data-testid': 'mfa-code2' });
      // The QR code is drawn here from the URI (qr.js): the secret goes into no URL.
      const qr = h('div', { class: 'mfa-qr' });
      qrSvg(device.otpauth_uri, 200, {
        'data-testid': 'mfa-qr',
        'aria-label': 'QR code of the URI below',
      })
        .then((svg) => replace(qr, svg))
        .catch((e) => replace(qr, errorBox(e)));
      const form = h(
        'form',
        { class: 'account-form' },
        h(
          'p',
          {},
          'Scan this QR code with your authenticator app (or type the setup key, or paste the ' +
            'URI), then type two consecutive codes it shows.',
        ),
        h(
          'div',
          { class: 'mfa-key' },
          qr,
          h(
            'div',
            {},
            h(
              'label',
              {},
              'Setup key',
              h('code', { 'data-testid': 'mfa-secret' }, device.secret_base32),
            ),
            h(
              'label',
              {},
              'URI',
              h('code', { class: 'wrap', 'data-testid': 'mfa-uri' }, device.otpauth_uri),
            ),
          ),
        ),
        h('label', {}, 'First code', code1),
        h('label', {}, 'Next code', code2),
        h(
          'button',
          { type: 'submit', class: 'primary', 'data-testid': 'mfa-enable' },
          'Enable MFA',
        ),
      );
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        try {
          await rest.enableMfaDevice(user, code1.value.trim(), code2.value.trim());
          replace(status, h('p', { class: 'notice' }, 'MFA is on.'));
          show();
        } catch (e) {
          replace(status, errorBox(e));
        }
      });
      replace(body, form);
      code1.focus();
    } catch (e) {
      replace(status, errorBox(e));
      button.disabled = false;
    }
  };
  show();
}

function renderSessions(el, session, scope) {
  const everyone = h('input', { type: 'checkbox', 'data-testid': 'sessions-everyone' });
  const list = h('div');
  const status = h('div');
  replace(
    el,
    h(
      'div',
      { class: 'page-head' },
      h('h2', {}, 'Sessions'),
      h('label', { class: 'inline' }, everyone, "Everyone's (administrators)"),
    ),
    status,
    list,
  );

  const draw = async () => {
    try {
      const { sessions } = await rest.sessions(everyone.checked ? '' : session.principal);
      if (!scope.alive) return;
      replace(status);
      replace(
        list,
        table(
          [
            { label: 'User' },
            { label: 'Signed in with' },
            { label: 'From', class: 'hide-narrow' },
            { label: 'Signed in', class: 'nowrap' },
            { label: 'Last seen', class: 'nowrap' },
            { label: '' },
          ],
          sessions.map((s) => ({
            props: { 'data-testid': 'session-row', 'data-session': s.id },
            cells: [
              s.user,
              methodText(s.method, s.mfa),
              `${browserText(s.user_agent)}, ${s.source_ip}`,
              h('span', { title: dateTime(s.created_at) }, ago(s.created_at)),
              h('span', { title: dateTime(s.last_seen_at) }, ago(s.last_seen_at)),
              s.current
                ? h('span', { class: 'muted' }, 'this session')
                : h(
                    'button',
                    { type: 'button', 'data-testid': 'revoke-session', onclick: () => revoke(s) },
                    'Revoke',
                  ),
            ],
          })),
          { empty: 'No sessions.', testid: 'sessions' },
        ),
      );
    } catch (e) {
      replace(status, errorBox(e));
    }
  };

  const revoke = async (s) => {
    const ok = await confirmDialog({
      title: 'Revoke session',
      body: [h('p', {}, `${s.user}'s session from ${s.source_ip} ends at once.`)],
      confirm: 'Revoke',
      danger: true,
    });
    if (!ok) return;
    try {
      await rest.revokeSession(s.id);
      draw();
    } catch (e) {
      replace(status, errorBox(e));
    }
  };

  everyone.addEventListener('change', draw);
  draw();
}
