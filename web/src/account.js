// The account page's rules and wording, without the DOM (unit-tested under node).

// The server's password rules (src/auth/password.h), checked before sending so that a typo in
// the repeat costs no round trip: the problem as a sentence, or '' when there is none.
export function passwordProblem(user, password, repeat) {
  if (password.length < 12) return 'The new password must be at least 12 characters long.';
  if (password.toLowerCase() === String(user).toLowerCase()) {
    return 'The new password must not be your user name.';
  }
  if (password !== repeat) return 'The two new passwords differ.';
  return '';
}

// How a session was signed in, in words.
export function methodText(method, mfa) {
  if (method === 'access-key') return 'access key';
  if (method === 'password+mfa' || mfa) return 'password + MFA';
  return 'password';
}

// A browser's name and platform from its User-Agent, short enough for a table cell.
export function browserText(userAgent) {
  const ua = String(userAgent ?? '');
  if (!ua) return 'unknown';
  const browser =
    [
      [/Edg\//, 'Edge'],
      [/Firefox\//, 'Firefox'],
      [/Chrom(e|ium)\//, 'Chrome'],
      [/Safari\//, 'Safari'],
      [/curl\//, 'curl'],
    ].find(([re]) => re.test(ua))?.[1] ?? ua.split(/[ /]/)[0];
  const platform =
    [
      [/Android/, 'Android'],
      [/iPhone|iPad/, 'iOS'],
      [/Windows/, 'Windows'],
      [/Mac OS X|Macintosh/, 'macOS'],
      [/Linux/, 'Linux'],
    ].find(([re]) => re.test(ua))?.[1] ?? '';
  return platform ? `${browser} on ${platform}` : browser;
}
