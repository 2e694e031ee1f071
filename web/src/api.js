// Vigil's API as the dashboard calls it: one fetch wrapper (session cookie, CSRF header, error
// documents), the session calls, and the AWS-protocol and REST calls the pages use. Everything
// is same-origin; nothing here caches data.
//
// Authentication: POST /v1/session exchanges a user name and password (and TOTP code), or an
// access key pair, for an HttpOnly session cookie, which fetch sends by itself. Each non-GET request carries the session's CSRF token in
// X-Vigil-Csrf; the token lives in this module's memory only (a reload reads it again with
// GET /v1/session). A 401 from any data call means the session is gone, and so does a 403
// when GET /v1/session then answers 401 too: the handler set with onSignedOut() is called
// (the app shows the sign-in page). A 403 with the session alive is a refusal of that call
// (a policy's deny), shown like any other error.

// An error answered by the server (or a failed fetch: status 0), with the server's own code
// and message.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

let csrfToken = '';
let signedOutHandler = () => {};

// `handler(error)` runs when a data call answers 401 or 403.
export function onSignedOut(handler) {
  signedOutHandler = handler;
}

// The error in a response body: REST {"error": {code, message}}, AWS JSON {"__type", "message"}
// (__type may be "namespace#Code"), or the status line when the body says nothing.
function errorOf(status, statusText, data, text) {
  if (data?.error) return new ApiError(status, data.error.code ?? '', data.error.message ?? '');
  if (data?.__type || data?.message || data?.Message) {
    const type = String(data.__type ?? '')
      .split('#')
      .pop();
    return new ApiError(status, type, data.message ?? data.Message ?? '');
  }
  return new ApiError(status, `HTTP ${status}`, text.trim().slice(0, 300) || statusText);
}

// Sends one request; resolves to the parsed JSON body (null when empty), rejects with ApiError.
async function send(method, path, { body, headers = {}, session = false } = {}) {
  const init = { method, headers: { ...headers }, credentials: 'same-origin' };
  if (method !== 'GET') init.headers['X-Vigil-Csrf'] = csrfToken;
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] ??= 'application/json';
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'NetworkError', `Vigil cannot be reached (${e.message})`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: errorOf() shows the text.
  }
  if (!response.ok) {
    const error = errorOf(response.status, response.statusText, data, text);
    if (
      !session &&
      (response.status === 401 || (response.status === 403 && !(await sessionAlive())))
    ) {
      csrfToken = '';
      signedOutHandler(error);
    }
    throw error;
  }
  return data;
}

// Whether this browser's session cookie is still good (after a 403: denied, or signed out?).
async function sessionAlive() {
  try {
    return (await fetch('/v1/session', { credentials: 'same-origin' })).ok;
  } catch {
    return true; // the server is unreachable: not a reason to sign out
  }
}

// ---- Session -------------------------------------------------------------------------------

// Signs in with an access key pair; resolves to {principal, access_key_id, session_id, method,
// mfa, expires_at, csrf_token}. Bad credentials reject with the server's 401 error (the
// sign-in handler is not called for it); too many failures with 429 Throttling.
export async function signIn(accessKeyId, secretAccessKey) {
  const session = await send('POST', '/v1/session', {
    body: { access_key_id: accessKeyId, secret_access_key: secretAccessKey },
    session: true,
  });
  csrfToken = session.csrf_token;
  return session;
}

// Signs a person in with their IAM user name and password, and the TOTP code of their MFA
// device when they have one (`totp` '' otherwise). Rejects with ApiError code
// 'MfaCodeRequired' when the password is right and a code is wanted.
export async function signInWithPassword(username, password, totp = '') {
  const body = { username, password };
  if (totp) body.totp = totp;
  const session = await send('POST', '/v1/session', { body, session: true });
  csrfToken = session.csrf_token;
  return session;
}

// The live session of this browser's cookie, or null when there is none.
export async function currentSession() {
  try {
    const session = await send('GET', '/v1/session', { session: true });
    csrfToken = session.csrf_token;
    return session;
  } catch (e) {
    if (e.status === 401 || e.status === 403) return null;
    throw e;
  }
}

export async function signOut() {
  try {
    await send('DELETE', '/v1/session', { session: true });
  } finally {
    csrfToken = '';
  }
}

// ---- AWS protocols on POST / -----------------------------------------------------------------

// A CloudWatch call (JSON 1.0, as botocore sends it: timestamps as epoch seconds).
export function cloudwatch(operation, body = {}) {
  return send('POST', '/', {
    body,
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `GraniteServiceVersion20100801.${operation}`,
    },
  });
}

// A CloudWatch Logs call (JSON 1.1; timestamps in epoch milliseconds).
export function logs(operation, body = {}) {
  return send('POST', '/', {
    body,
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': `Logs_20140328.${operation}`,
    },
  });
}

// CloudTrail's LookupEvents (JSON 1.1; epoch seconds): one LookupAttribute at most.
export function lookupEvents(body = {}) {
  return send('POST', '/', {
    body,
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents',
    },
  });
}

// Follows `tokenKey` through the pages of `call(body)`; `collect(page)` takes each page.
async function paginate(call, body, tokenKey, collect) {
  let token;
  do {
    const page = await call(token ? { ...body, [tokenKey]: token } : body);
    collect(page);
    token = page?.[tokenKey];
  } while (token);
}

// The metrics matching `body` (ListMetrics), following up to `maxPages` pages of 500:
// {metrics, truncated} where `truncated` says there were more.
export async function listMetrics(body = {}, { maxPages = 20 } = {}) {
  const metrics = [];
  let token;
  for (let page = 0; page < maxPages; page++) {
    const answer = await cloudwatch('ListMetrics', token ? { ...body, NextToken: token } : body);
    metrics.push(...(answer.Metrics ?? []));
    token = answer.NextToken;
    if (!token) return { metrics, truncated: false };
  }
  return { metrics, truncated: true };
}

// GetMetricData over every page: a Map from query Id to {label, timestamps, values} in
// ascending time (seconds). `queries` are MetricDataQueries; `start`/`end` epoch seconds.
// Query errors (Messages, StatusCode InternalError) reject with the server's message.
export async function getMetricData(queries, start, end) {
  const results = new Map();
  const body = {
    MetricDataQueries: queries,
    StartTime: Math.floor(start),
    EndTime: Math.ceil(end),
    ScanBy: 'TimestampAscending',
  };
  await paginate(
    (b) => cloudwatch('GetMetricData', b),
    body,
    'NextToken',
    (page) => {
      for (const r of page.MetricDataResults ?? []) {
        if (r.StatusCode === 'InternalError') {
          throw new ApiError(
            200,
            'InternalError',
            r.Messages?.[0]?.Value ?? `query ${r.Id} failed`,
          );
        }
        const into = results.get(r.Id);
        // A first page's arrays are taken as they are (the usual case: one page); a further
        // page's are appended one by one (a spread of 8,640 arguments costs more, and a large
        // one overflows the stack).
        if (!into) {
          results.set(r.Id, {
            label: r.Label,
            timestamps: r.Timestamps ?? [],
            values: r.Values ?? [],
          });
          continue;
        }
        appendAll(into.timestamps, r.Timestamps ?? []);
        appendAll(into.values, r.Values ?? []);
      }
    },
  );
  return results;
}

function appendAll(to, from) {
  for (let i = 0; i < from.length; i++) to.push(from[i]);
}

// Every metric alarm and composite alarm (DescribeAlarms, every page), as
// {metric: [...MetricAlarms], composite: [...CompositeAlarms]}.
export async function describeAlarms(body = {}) {
  const out = { metric: [], composite: [] };
  const request = { AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], ...body };
  await paginate(
    (b) => cloudwatch('DescribeAlarms', b),
    request,
    'NextToken',
    (page) => {
      out.metric.push(...(page.MetricAlarms ?? []));
      out.composite.push(...(page.CompositeAlarms ?? []));
    },
  );
  return out;
}

// An alarm's history items, newest first (up to `max`).
export async function alarmHistory(name, max = 100) {
  const page = await cloudwatch('DescribeAlarmHistory', {
    AlarmName: name,
    MaxRecords: max,
    ScanBy: 'TimestampDescending',
  });
  return page.AlarmHistoryItems ?? [];
}

export function setAlarmState(name, state, reason) {
  return cloudwatch('SetAlarmState', { AlarmName: name, StateValue: state, StateReason: reason });
}

export function setAlarmActions(name, enabled) {
  return cloudwatch(enabled ? 'EnableAlarmActions' : 'DisableAlarmActions', { AlarmNames: [name] });
}

// Every log group (DescribeLogGroups, every page).
export async function logGroups() {
  const groups = [];
  await paginate(
    (b) => logs('DescribeLogGroups', b),
    {},
    'nextToken',
    (page) => groups.push(...(page.logGroups ?? [])),
  );
  return groups;
}

// FilterLogEvents on one group from `start` to `end` (epoch ms, end may be null), at most
// `limit` events, oldest first, following nextToken until the limit or the last page.
export async function filterLogEvents(group, { pattern = '', start, end, limit = 500 }) {
  const events = [];
  const body = { logGroupName: group, startTime: start, limit };
  if (end) body.endTime = end;
  if (pattern) body.filterPattern = pattern;
  let token;
  do {
    const page = await logs('FilterLogEvents', token ? { ...body, nextToken: token } : body);
    events.push(...(page.events ?? []).map((e) => ({ ...e, logGroupName: group })));
    token = page.nextToken;
  } while (token && events.length < limit);
  return events.slice(0, limit);
}

// ---- Vigil REST ------------------------------------------------------------------------------

const enc = encodeURIComponent;

export const rest = {
  apps: () => send('GET', '/v1/apps'),
  app: (app) => send('GET', `/v1/apps/${enc(app)}`),
  versions: (app) => send('GET', `/v1/apps/${enc(app)}/versions`),
  deployments: (app, limit = 20) => send('GET', `/v1/apps/${enc(app)}/deployments?limit=${limit}`),
  // body: {version, policy?, batch?, bake_seconds?, alarms?, canaries?} (src/api/api.h).
  deploy: (app, body) => send('POST', `/v1/apps/${enc(app)}/deployments`, { body }),
  // body: {to?, reason?}.
  rollback: (app, body = {}) => send('POST', `/v1/apps/${enc(app)}/rollback`, { body }),
  alarms: () => send('GET', '/v1/alarms'),
  acknowledge: (name) => send('POST', `/v1/alarms/${enc(name)}/ack`, { body: {} }),
  canaries: () => send('GET', '/v1/canaries'),
  // The caller's own password; the server then ends the caller's sessions, this one too.
  changePassword: (oldPassword, newPassword) =>
    send('POST', '/v1/iam/change-password', {
      body: { old_password: oldPassword, new_password: newPassword },
    }),
  mfaDevices: (user) => send('GET', `/v1/iam/users/${enc(user)}/mfa-device`),
  // Resolves to {serial, secret_base32, otpauth_uri}: the secret is shown this once.
  createMfaDevice: (user) => send('POST', `/v1/iam/users/${enc(user)}/mfa-device`, { body: {} }),
  enableMfaDevice: (user, code1, code2) =>
    send('POST', `/v1/iam/users/${enc(user)}/mfa-device/enable`, { body: { code1, code2 } }),
  // The dashboard's sessions: `user`'s, or everyone's ('' — an administrator's view).
  sessions: (user = '') =>
    send('GET', user ? `/v1/iam/sessions?user=${enc(user)}` : '/v1/iam/sessions'),
  revokeSession: (id) => send('DELETE', `/v1/iam/sessions/${enc(id)}`),
};
