import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserText, methodText, passwordProblem } from '../src/account.js';

test('the password rules match the server', () => {
  assert.equal(passwordProblem('alice', 'twelve chars', 'twelve chars'), '');
  assert.match(passwordProblem('alice', 'eleven char', 'eleven char'), /at least 12/);
  assert.match(passwordProblem('alice.operator', 'ALICE.OPERATOR', 'ALICE.OPERATOR'), /user name/);
  assert.match(passwordProblem('alice', 'twelve chars', 'twelve charz'), /differ/);
});

test('sign-in methods and browsers in words', () => {
  assert.equal(methodText('access-key', false), 'access key');
  assert.equal(methodText('password', false), 'password');
  assert.equal(methodText('password+mfa', true), 'password + MFA');
  assert.equal(
    browserText(
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    ),
    'Chrome on Linux',
  );
  assert.equal(
    browserText(
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0',
    ),
    'Firefox on macOS',
  );
  assert.equal(browserText('curl/7.88.1'), 'curl');
  assert.equal(browserText(''), 'unknown');
});
