// The dashboard's entry point: the session, the top bar and the hash router. Each page is a
// module under pages/ exporting render(view, {params, query, scope}); the router disposes
// the previous page's Scope (its timers) before rendering the next.
import { currentSession, onSignedOut, signOut } from './api.js';
import { errorBox, h, replace } from './dom.js';
import { dateTime } from './format.js';
import { Scope } from './scope.js';
import { renderSignIn } from './signin.js';

// #/<page>[/<name>][?query] → the page module and its parameters.
const kRoutes = [
  { pattern: /^\/overview$/, page: 'overview', load: () => import('./pages/overview.js') },
  { pattern: /^\/metrics$/, page: 'metrics', load: () => import('./pages/metrics.js') },
  { pattern: /^\/alarms$/, page: 'alarms', load: () => import('./pages/alarms.js') },
  { pattern: /^\/alarms\/(.+)$/, page: 'alarms', load: () => import('./pages/alarm.js') },
  { pattern: /^\/apps\/(.+)$/, page: 'overview', load: () => import('./pages/app.js') },
  { pattern: /^\/logs$/, page: 'logs', load: () => import('./pages/logs.js') },
  { pattern: /^\/audit$/, page: 'audit', load: () => import('./pages/audit.js') },
  { pattern: /^\/account$/, page: 'account', load: () => import('./pages/account.js') },
];

const view = document.getElementById('view');
const topbar = document.getElementById('topbar');
let scope = null;
let signedIn = false;

function leavePage() {
  scope?.dispose();
  scope = null;
}

// The route of the current hash: {r, m, queryText}, or null when no page has that path.
function currentRoute() {
  const hash = location.hash.replace(/^#/, '') || '/overview';
  const [path, queryText = ''] = hash.split('?');
  for (const r of kRoutes) {
    const m = r.pattern.exec(path);
    if (m) return { r, m, queryText };
  }
  return null;
}

async function route() {
  if (!signedIn) return;
  const match = currentRoute();
  if (!match) {
    location.replace('#/overview');
    return;
  }
  leavePage();
  const pageScope = new Scope();
  scope = pageScope;
  for (const link of topbar.querySelectorAll('nav a')) {
    link.classList.toggle('active', link.dataset.page === match.r.page);
  }
  try {
    const module = await match.r.load();
    if (!pageScope.alive) return;
    view.replaceChildren();
    const params = match.m.slice(1).map((p) => decodeURIComponent(p));
    const query = new URLSearchParams(match.queryText);
    module.render(view, { params, query, scope: pageScope });
    // Pages drawn since the document loaded: the browser tests wait for the next one.
    view.dataset.renders = String(Number(view.dataset.renders ?? 0) + 1);
  } catch (e) {
    replace(view, errorBox(e));
  }
}

function showSignIn(notice) {
  signedIn = false;
  leavePage();
  topbar.hidden = true;
  renderSignIn(view, start, notice);
}

function start(session) {
  signedIn = true;
  topbar.hidden = false;
  document.getElementById('who').textContent = session.principal;
  // dateTime(), not toLocaleString(): the page's first Intl date formatting costs 50-100 ms,
  // and this runs before the first page is drawn.
  const how = session.access_key_id ? `access key ${session.access_key_id}` : session.method;
  document.getElementById('who').title =
    `${how}, session until ${dateTime(session.expires_at)}: account and security`;
  route();
}

async function boot() {
  onSignedOut((error) => {
    if (signedIn) showSignIn(`Signed out: ${error.message || 'the session ended'}. Sign in again.`);
  });
  document.getElementById('sign-out').addEventListener('click', async () => {
    try {
      await signOut();
    } finally {
      showSignIn('Signed out.');
    }
  });
  window.addEventListener('hashchange', route);
  // Charts take their axis colours from the theme when made: draw the page again on a switch.
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', route);
  // The page's module is fetched while the session is checked, not after: import() of the
  // same module again in route() resolves to this one. A failure shows when route() runs.
  currentRoute()
    ?.r.load()
    .catch(() => {});
  try {
    const session = await currentSession();
    if (session) start(session);
    else showSignIn();
  } catch (e) {
    replace(view, h('div', { class: 'signin-page' }, errorBox(e)));
  }
}

boot();
