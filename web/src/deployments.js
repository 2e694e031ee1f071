// Deployments on the pages: a progress bar and a one-line summary (the overview's deployment
// in progress, the app page's timeline), and the app page's Deploy and Roll back dialogs.
import { rest } from './api.js';
import { confirmDialog } from './dialog.js';
import { errorBox, h, replace, select, stateBadge } from './dom.js';

const kPolicies = ['rolling', 'rolling-with-batch', 'all-at-once', 'immutable', 'blue-green'];

// The share of a deployment done, 0..1: batches_done / batches (0 before any batch).
function progress(d) {
  return d.batches > 0 ? Math.min(1, d.batches_done / d.batches) : 0;
}

// "v1 → v2 (rolling)", as `vigil deployments` lists FROM, TO and POLICY.
export function summary(d) {
  return `${d.from || '–'} → ${d.version} (${d.policy})`;
}

// The in-progress block: summary, phase, a bar of batches done.
export function progressBlock(d) {
  const pct = Math.round(progress(d) * 100);
  return h(
    'div',
    { class: 'deployment', 'data-testid': 'deployment-progress', 'data-deployment': d.id },
    h(
      'div',
      { class: 'deployment-head' },
      stateBadge(d.state),
      ' ',
      h('strong', {}, `${d.kind === 'rollback' ? 'Rolling back' : 'Deploying'} `),
      summary(d),
    ),
    h(
      'div',
      {
        class: 'progress',
        role: 'progressbar',
        'aria-valuemin': 0,
        'aria-valuemax': 100,
        'aria-valuenow': pct,
        title: `${d.batches_done} of ${d.batches} batches`,
      },
      h('div', { class: 'progress-bar', style: `width: ${pct}%` }),
    ),
    h(
      'div',
      { class: 'muted small' },
      `${d.phase || d.state} · ${d.batches_done}/${d.batches} batches`,
    ),
  );
}

// Deploy… on the app page: the version (the newest not serving first), policy, batch and bake,
// then POST /v1/apps/{app}/deployments after confirmation. The outcome goes to `status`
// (data-testid deploy-started with the deployment's id, or the server's error); `refresh()`
// runs after.
export async function deployDialog(app, status, refresh) {
  let versions;
  try {
    versions = await rest.versions(app);
  } catch (e) {
    replace(status, errorBox(e));
    return;
  }
  const others = versions.versions.filter((v) => v.label !== versions.current);
  if (others.length === 0) {
    replace(
      status,
      errorBox({
        message: `${app} has no version but the one serving (${versions.current}); create one with vigil versions create.`,
      }),
    );
    return;
  }
  const newest = others[others.length - 1].label;
  const label = select(
    { 'data-testid': 'deploy-version' },
    versions.versions.map((v) => [
      v.label,
      `${v.label}${v.label === versions.current ? ' (serving)' : ''}${v.description ? ` — ${v.description}` : ''}`,
    ]),
    newest,
  );
  const policy = select({ 'data-testid': 'deploy-policy' }, kPolicies, 'rolling');
  const batch = h('input', { value: '1', 'data-testid': 'deploy-batch', 'aria-label': 'Batch' });
  const bake = h('input', {
    type: 'number',
    min: '0',
    placeholder: 'server default',
    'data-testid': 'deploy-bake',
  });
  const ok = await confirmDialog({
    title: `Deploy ${app}`,
    body: [
      h(
        'p',
        { class: 'muted' },
        `Serving ${versions.current ?? 'nothing'}. The rollout is watched by the app's alarms and health checks and rolls back on a failure.`,
      ),
      h('label', {}, 'Version', label),
      h(
        'div',
        { class: 'grid-2' },
        h('label', {}, 'Policy', policy),
        h('label', {}, 'Batch (instances or %)', batch),
      ),
      h('label', {}, 'Bake (seconds)', bake),
    ],
    confirm: 'Deploy',
  });
  if (!ok) return;
  const body = { version: label.value, policy: policy.value };
  if (batch.value.trim()) body.batch = batch.value.trim();
  if (bake.value !== '') body.bake_seconds = Number(bake.value);
  await submit(
    status,
    refresh,
    'deploy-started',
    () => rest.deploy(app, body),
    (d) => `Deployment ${d.id} started: ${summary(d)}.`,
  );
}

// Sends a deployment request (`send`), then shows `describe(deployment)` in `status` as a notice
// (tagged `testid` and the deployment's id) and refreshes the page, or shows the server's error.
async function submit(status, refresh, testid, send, describe) {
  try {
    const d = await send();
    replace(
      status,
      h('div', { class: 'notice', 'data-testid': testid, 'data-deployment': d.id }, describe(d)),
    );
    await refresh();
  } catch (e) {
    replace(status, errorBox(e));
  }
}

// Roll back… on the app page: to the previous version or a chosen one, with a reason, then
// POST /v1/apps/{app}/rollback after confirmation. `current` is the app's document (its
// deployment in progress, if any, is named in the question).
export async function rollbackDialog(app, current, status, refresh) {
  let versions;
  try {
    versions = await rest.versions(app);
  } catch (e) {
    replace(status, errorBox(e));
    return;
  }
  const to = select(
    { 'data-testid': 'rollback-to' },
    [
      ['', 'the previous version'],
      ...versions.versions
        .filter((v) => v.label !== versions.current)
        .map((v) => [v.label, v.label]),
    ],
    '',
  );
  const reason = h('input', { placeholder: 'manual rollback', 'data-testid': 'rollback-reason' });
  const ok = await confirmDialog({
    title: `Roll back ${app}?`,
    body: [
      h(
        'p',
        {},
        current?.deployment
          ? `Deployment ${current.deployment.id} (${summary(current.deployment)}) is in progress: it stops and the old version comes back.`
          : `${app} serves ${versions.current ?? 'nothing'}. Its instances are replaced at once, with no analysis.`,
      ),
      h('label', {}, 'To', to),
      h('label', {}, 'Reason (kept in the deployment and the audit trail)', reason),
    ],
    confirm: 'Roll back',
    danger: true,
  });
  if (!ok) return;
  const body = {};
  if (to.value) body.to = to.value;
  if (reason.value.trim()) body.reason = reason.value.trim();
  await submit(
    status,
    refresh,
    'rollback-started',
    () => rest.rollback(app, body),
    (d) => `Rollback ${d.id}: ${summary(d)}, ${d.state}.`,
  );
}
