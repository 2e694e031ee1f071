// QR codes drawn as SVG, for authenticator apps to scan (the Account page's MFA set-up). The
// encoding is qrcode-generator's (npm, served as /ui/vendor/qrcode.mjs and loaded on first use);
// this module only draws its matrix. The text never leaves the page: no image URL, no request.

// Modules of light margin around the code, as the QR standard asks (ISO/IEC 18004: 4).
export const kQuietZone = 4;

const kSvg = 'http://www.w3.org/2000/svg';

// The QR code of `text` (byte mode as UTF-8, error correction M, the smallest version that
// holds it) as {count: modules a side, path: an SVG path of the dark modules, drawn in a box of
// count + 2 × kQuietZone}. `qrcode` is qrcode-generator's factory (its default export).
export function qrPath(qrcode, text) {
  const qr = qrcode(0, 'M');
  // qrcode-generator keeps the low byte of each UTF-16 unit: give it the UTF-8 bytes.
  qr.addData(String.fromCharCode(...new TextEncoder().encode(text)), 'Byte');
  qr.make();
  const count = qr.getModuleCount();
  const parts = [];
  for (let row = 0; row < count; row++) {
    // One rectangle per run of dark modules in a row.
    for (let col = 0; col < count;) {
      if (!qr.isDark(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < count && qr.isDark(row, col)) col++;
      const run = col - start;
      parts.push(`M${start + kQuietZone} ${row + kQuietZone}h${run}v1h-${run}z`);
    }
  }
  return { count, path: parts.join('') };
}

let encoder = null;
function loadEncoder() {
  encoder ??= import('./vendor/qrcode.mjs').then((m) => m.default);
  return encoder;
}

// An <svg> showing `text` as a QR code, `px` pixels a side, with `attrs` (e.g. data-testid) set
// on it; data-modules holds the modules a side. Rejects when the encoder cannot be loaded or
// the text is too long for a QR code.
export async function qrSvg(text, px, attrs = {}) {
  const { count, path } = qrPath(await loadEncoder(), text);
  const side = count + 2 * kQuietZone;
  return svgElement(
    'svg',
    {
      ...attrs,
      viewBox: `0 0 ${side} ${side}`,
      width: px,
      height: px,
      role: 'img',
      'shape-rendering': 'crispEdges',
      'data-modules': count,
    },
    svgElement('rect', { width: side, height: side, fill: '#fff' }),
    svgElement('path', { d: path, fill: '#000' }),
  );
}

function svgElement(tag, attrs, ...children) {
  const el = document.createElementNS(kSvg, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}
