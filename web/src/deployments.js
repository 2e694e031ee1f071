// How the pages show a deployment: its progress bar and a one-line summary, shared by the
// overview (the deployment in progress) and the app page (the timeline).
import { h, stateBadge } from './dom.js';

// The share of a deployment done, 0..1: batches_done / batches (0 before any batch).
export function progress(d) {
  return d.batches > 0 ? Math.min(1, d.batches_done / d.batches) : 0;
}

// "v1 → v2 (rolling)", as `vigil deployments` lists FROM, TO and POLICY.
export function summary(d) {
  return `${d.from || '–'} → ${d.version} (${d.policy})`;
}

// The in-progress block: summary, phase, a bar of batches done.
export function progressBlock(d, testid = 'deployment-progress') {
  const pct = Math.round(progress(d) * 100);
  return h('div', { class: 'deployment', 'data-testid': testid, 'data-deployment': d.id },
    h('div', { class: 'deployment-head' },
      stateBadge(d.state), ' ', h('strong', {}, `${d.kind === 'rollback' ? 'Rolling back' : 'Deploying'} `),
      summary(d)),
    h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100,
      'aria-valuenow': pct, title: `${d.batches_done} of ${d.batches} batches` },
    h('div', { class: 'progress-bar', style: `width: ${pct}%` })),
    h('div', { class: 'muted small' }, `${d.phase || d.state} · ${d.batches_done}/${d.batches} batches`));
}
