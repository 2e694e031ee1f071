// A modal confirmation (<dialog>): the page's control-plane actions (deploy, roll back,
// set an alarm's state) are taken only after it.
import { h } from './dom.js';

// Shows `title`, `body` (nodes: text or form fields) and Cancel / `confirm`; resolves true
// when confirmed, false when cancelled or closed with Escape. The dialog is removed after.
export function confirmDialog({
  title,
  body = [],
  confirm = 'Confirm',
  danger = false,
  testid = 'confirm-dialog',
}) {
  return new Promise((resolve) => {
    const ok = h(
      'button',
      {
        type: 'submit',
        value: 'ok',
        class: danger ? 'danger' : 'primary',
        'data-testid': 'confirm',
      },
      confirm,
    );
    const cancel = h(
      'button',
      { type: 'submit', value: 'cancel', formnovalidate: true, 'data-testid': 'cancel' },
      'Cancel',
    );
    const dialog = h(
      'dialog',
      { 'data-testid': testid },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { class: 'dialog-title' }, title),
        body,
        h('div', { class: 'buttons' }, cancel, ok),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}
