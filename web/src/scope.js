// The lifetime of one page: timers and listeners a page starts end when the router leaves it,
// so a page left behind stops polling the server.
export class Scope {
  constructor() {
    this.alive = true;
    this.cleanups = [];
  }

  // Runs `task()` now and again `ms` after each run ends (never two at once), while the scope
  // lives and the tab is visible. A rejected run is passed to `onError` and polling goes on.
  // Returns a function that stops this polling alone.
  every(ms, task, onError = (e) => console.error(e)) {
    let timer = null;
    let running = false;
    let stopped = false;
    const live = () => this.alive && !stopped;
    const run = async () => {
      timer = null;
      // A hidden tab waits for visibilitychange (below) to poll again.
      if (!live() || running || document.hidden) return;
      running = true;
      try {
        await task();
      } catch (e) {
        if (live()) onError(e);
      }
      running = false;
      if (live()) timer = setTimeout(run, ms);
    };
    const onVisible = () => {
      if (!document.hidden && timer === null) run();
    };
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
    document.addEventListener('visibilitychange', onVisible);
    this.onDispose(stop);
    run();
    return stop;
  }

  onDispose(fn) {
    this.cleanups.push(fn);
  }

  dispose() {
    this.alive = false;
    for (const fn of this.cleanups.splice(0)) fn();
  }
}
