// node --test web/test: qr.js draws qrcode-generator's matrix, module for module.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import qrcode from 'qrcode-generator';
import { kQuietZone, qrPath } from '../src/qr.js';

// As the server writes it (auth::OtpauthUri): a 20-byte secret is 32 base32 characters.
const kUri =
  'otpauth://totp/Vigil:olivia?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Vigil&algorithm=SHA1&digits=6&period=30';

// The dark modules a path draws, as "row,col" strings (its coordinates less the quiet zone).
function drawn(path) {
  const dark = new Set();
  for (const [, x, y, run] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
    for (let i = 0; i < Number(run); i++) {
      dark.add(`${Number(y) - kQuietZone},${Number(x) - kQuietZone + i}`);
    }
  }
  return dark;
}

function matrix(text) {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const dark = new Set();
  for (let r = 0; r < qr.getModuleCount(); r++) {
    for (let c = 0; c < qr.getModuleCount(); c++) if (qr.isDark(r, c)) dark.add(`${r},${c}`);
  }
  return { count: qr.getModuleCount(), dark };
}

test('the path draws exactly the encoder matrix of the URI', () => {
  const { count, path } = qrPath(qrcode, kUri);
  const expected = matrix(kUri);
  assert.equal(count, expected.count);
  assert.equal((count - 17) % 4, 0, 'a QR version is 4 modules a side more than the last');
  assert.ok(count >= 33, `${kUri.length} bytes at level M need version 4 at least, got ${count}`);
  assert.deepEqual(drawn(path), expected.dark);
  // Nothing outside the code: the quiet zone stays light.
  assert.match(path, /^(M\d+ \d+h\d+v1h-\d+z)+$/);
  for (const module of drawn(path)) {
    const [r, c] = module.split(',').map(Number);
    assert.ok(r >= 0 && c >= 0 && r < count && c < count, module);
  }
});

test('the finder patterns sit in three corners', () => {
  const { count, path } = qrPath(qrcode, kUri);
  const dark = drawn(path);
  for (const [top, left] of [
    [0, 0],
    [0, count - 7],
    [count - 7, 0],
  ]) {
    for (let i = 0; i < 7; i++) {
      assert.ok(dark.has(`${top},${left + i}`) && dark.has(`${top + 6},${left + i}`));
      assert.ok(dark.has(`${top + i},${left}`) && dark.has(`${top + i},${left + 6}`));
    }
    assert.ok(!dark.has(`${top + 1},${left + 1}`), 'the ring inside the finder is light');
    assert.ok(dark.has(`${top + 3},${left + 3}`), 'the finder has a dark centre');
  }
});

test('text is encoded as UTF-8 bytes', () => {
  const name = 'otpauth://totp/Vigil:zoë?secret=JBSWY3DP';
  const utf8 = String.fromCharCode(...new TextEncoder().encode(name));
  assert.deepEqual(drawn(qrPath(qrcode, name).path), matrix(utf8).dark);
  assert.notDeepEqual(drawn(qrPath(qrcode, name).path), matrix(name).dark);
});
