#!/usr/bin/env python3
"""Prints the load-balancer benchmark tables from run.sh's results.tsv (run, target, metric, value).

Each figure is the median over runs ("inf" — never, or not by the end of the load — sorts
last). Ratios are Vigil's figure over the peer's (and each proxy's over direct), from the same
runs; targets ending in "-tls" are the same proxies terminating TLS (run.sh --tls), compared with
each other and with their plain runs; the goals restate the issue's targets for Vigil
(bench/README.md "## lb").
"""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import fmt, load_medians as load, table  # noqa: E402

NAMES = {
    "direct": "direct (one backend)",
    "haproxy": "HAProxy",
    "haproxy-1t": "HAProxy, nbthread 1",
    "nginx": "nginx",
    "vigil": "Vigil",
    "haproxy-tls": "HAProxy, TLS",
    "haproxy-1t-tls": "HAProxy, nbthread 1, TLS",
    "nginx-tls": "nginx, TLS",
    "vigil-tls": "Vigil, TLS",
}
FAULT_TARGETS = {
    "haproxy-default": "HAProxy default (inter 2s fall 3)",
    "haproxy-tuned": "HAProxy tuned (retry-on, redispatch, 500ms)",
    "nginx-default": "nginx default",
    "nginx-tuned": "nginx tuned (next_upstream, 300ms)",
    "vigil": "Vigil",
}
FAULTS = {"kill": "kill -9", "stop": "SIGSTOP"}


def main():
    m, runs = load(sys.argv[1])
    get = lambda t, k: m.get((t, k))
    start_ms = get("backend", "start_ms")
    print(f"\nResults (median of {runs} run{'s' if runs != 1 else ''}):")
    if start_ms is not None:
        print(f"\nBackend start (exec to its first 200 on /health): {start_ms:.1f} ms")

    targets = [t for t in NAMES if get(t, "rps") is not None]
    if targets:
        print("\nThroughput (wrk -t2 -c64 --latency; -c1: wrk -t1 -c1, per-hop latency):\n")
        direct_c1 = get("direct", "c1_p50_ms")
        rows = []
        for t in targets:
            c1 = get(t, "c1_p50_ms")
            hop = c1 - direct_c1 if c1 is not None and direct_c1 is not None and t != "direct" else None
            rows.append((NAMES[t], fmt(get(t, "rps"), ",.0f"), fmt(get(t, "p50_ms"), ".3f"),
                         fmt(get(t, "p99_ms"), ".3f"), fmt(get(t, "proxy_cpu_pct"), ".0f"),
                         fmt(get(t, "backend_cpu_pct"), ".0f"), fmt(get(t, "errors"), ".0f"),
                         fmt(get(t, "c1_rps"), ",.0f"), fmt(c1, ".3f"),
                         fmt(get(t, "c1_p99_ms"), ".3f"), fmt(hop, "+.3f")))
        table(("target", "req/s", "p50 ms", "p99 ms", "proxy CPU %", "backends CPU %", "errors",
               "-c1 req/s", "-c1 p50 ms", "-c1 p99 ms", "hop ms (-c1 p50 - direct's)"), rows)
        print("\nRatios (same runs; req/s > 1 is better, latency and CPU < 1):\n")
        rows = []
        pairs = [("vigil", p) for p in ("haproxy", "haproxy-1t", "nginx", "direct")]
        pairs += [(p, "direct") for p in ("haproxy", "haproxy-1t", "nginx")]
        pairs += [("vigil-tls", p + "-tls") for p in ("haproxy", "haproxy-1t", "nginx")]
        pairs += [(p + "-tls", p) for p in ("vigil", "haproxy", "haproxy-1t", "nginx")]
        for a, b in pairs:
            if a not in targets or b not in targets:
                continue
            def ratio(k):
                x, y = get(a, k), get(b, k)
                return fmt(x / y, ".2f") if x is not None and y else "-"
            rows.append((f"{NAMES[a]} / {NAMES[b]}", ratio("rps"), ratio("p50_ms"),
                         ratio("p99_ms"), ratio("proxy_cpu_pct"), ratio("c1_p50_ms")))
        if rows:
            table(("pair", "req/s", "p50", "p99", "proxy CPU", "-c1 p50"), rows)

    window = get("backend", "fault_window_s")
    not_back = f"not in {window:.0f} s" if window else "never"
    fault_rows = []
    for t, name in FAULT_TARGETS.items():
        for f, fname in FAULTS.items():
            if get(t, f"{f}.failed") is None:
                continue
            g = lambda k: get(t, f"{f}.{k}")
            fault_rows.append((name, fname, fmt(g("failed"), ".0f"), fmt(g("over_1s"), ".0f"),
                               fmt(g("over_500ms"), ".0f"), fmt(g("max_ms"), ",.0f"),
                               fmt(g("before_rps"), ",.0f"), fmt(g("after_before"), ".2f"),
                               fmt(g("out_s"), ".2f", "not by the end"), fmt(g("back_s"), ".2f", not_back),
                               fmt(g("registry_out_s"), ".2f", "not by the end"),
                               fmt(g("registry_back_s"), ".2f", not_back)))
    if fault_rows:
        print("\nFaults under load (8 keep-alive clients; the peers' backends under supervisord;"
              " after/before: 2xx/s in the window after the fault over the window before; out: "
              "when the last request the fault hit (failed, or 100 ms or more) ended; back: the "
              "first answer from a new process; registry: Vigil's own view, polled every 20 ms):\n")
        table(("proxy", "fault", "failed", "> 1 s", "> 500 ms", "max ms", "req/s before",
               "after/before", "out s", "back s", "registry out s", "registry back s"),
              fault_rows)

    sup_rows = []
    for s in ("supervisord", "monit"):
        crash, hang = get(s, "crash_ms"), get(s, "hang_ms")
        if crash is None and hang is None:
            continue
        timeout = get(s, "hang_timeout_s")
        sup_rows.append((s, fmt(crash, ",.0f"),
                         fmt(hang, ",.0f", f"never (timeout {timeout:.0f} s)" if timeout else "never")))
    if sup_rows:
        print("\nSupervisors alone (fault to a new process answering /health on the port):\n")
        table(("supervisor", "crash-to-healthy ms", "hang-to-replaced ms"), sup_rows)

    print("\nGoals (Vigil):")
    def goal(ok, text):
        print(f"  [{'PASS' if ok else 'FAIL' if ok is not None else ' -- '}] {text}")
    def check(value, test, text, spec=".2f"):
        goal(None if value is None else test(value),
             text + ("" if value is None else f" ({fmt(value, spec)})"))
    v_rps, h_rps = get("vigil", "rps"), get("haproxy", "rps")
    goal(None if v_rps is None or h_rps is None else v_rps >= h_rps,
         "req/s at least HAProxy's" + ("" if v_rps is None or h_rps is None
                                       else f" ({v_rps:,.0f} vs {h_rps:,.0f})"))
    v_p99, h_p99 = get("vigil", "p99_ms"), get("haproxy", "p99_ms")
    goal(None if v_p99 is None or h_p99 is None else v_p99 <= h_p99,
         "p99 no worse than HAProxy's" + ("" if v_p99 is None or h_p99 is None
                                          else f" ({v_p99:.3f} vs {h_p99:.3f} ms)"))
    g = lambda k: get("vigil", k)
    check(g("kill.failed"), lambda v: v == 0, "kill -9: zero failed requests", ".0f")
    check(g("kill.after_before"), lambda v: v >= 0.9, "kill -9: at least 90% throughput")
    check(g("stop.failed"), lambda v: v == 0, "hang: zero failed requests", ".0f")
    check(g("stop.over_500ms"), lambda v: v == 0, "hang: no request over 500 ms", ".0f")
    check(g("stop.after_before"), lambda v: v >= 0.9, "hang: at least 90% throughput")
    back = g("kill.registry_back_s")
    back = g("kill.back_s") if back is None else back
    limit = 0.3 + (start_ms or 0) / 1000
    check(back, lambda v: v <= limit,
          f"killed instance healthy again within 0.3 s + the app's start ({limit:.3f} s)", ".3f")
    out = g("stop.registry_out_s")
    out = g("stop.out_s") if out is None else out
    check(out, lambda v: v <= 0.5, "hung instance out of rotation within 0.5 s", ".3f")
    back = g("stop.registry_back_s")
    back = g("stop.back_s") if back is None else back
    check(back, lambda v: v <= 3, "hung instance replaced within 3 s", ".3f")


if __name__ == "__main__":
    main()
