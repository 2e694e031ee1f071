// The lifetime of one page: timers and listeners a page starts end when the router leaves it,
// so a page left behind stops polling the server.
export class Scope {
  constructor() {
    this.alive = true;
    this.cleanups = [];
  }

  // Runs `task()` now and again `ms` after each run ends (never two at once), while the scope
  // lives and the tab is visible. A rejected run is passed to `onError` and polling goes on.
  every(ms, task, onError = (e) => console.error(e)) {
    let timer = null;
    let running = false;
    const run = async () => {
      timer = null;
      // A hidden tab waits for visibilitychange (below) to poll again.
      if (!this.alive || running || document.hidden) return;
      running = true;
      try {
        await task();
      } catch (e) {
        if (this.alive) onError(e);
      }
      running = false;
      if (this.alive) timer = setTimeout(run, ms);
    };
    const onVisible = () => {
      if (!document.hidden && timer === null) run();
    };
    document.addEventListener('visibilitychange', onVisible);
    this.onDispose(() => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    });
    run();
  }

  onDispose(fn) {
    this.cleanups.push(fn);
  }

  dispose() {
    this.alive = false;
    for (const fn of this.cleanups.splice(0)) fn();
  }
}
