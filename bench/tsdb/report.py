#!/usr/bin/env python3
"""Prints the benchmark table from run.sh's results.tsv (run, target, metric, value).

Each figure is the median over runs. Ratios are Vigil's figure over the peer's, from the
same runs; the goal lines restate the targets of the benchmark (bench/README.md).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import fmt, load_medians, table  # noqa: E402

NAMES = {
    "vm": "VictoriaMetrics (import, HTTP)",
    "prometheus": "Prometheus (remote-write)",
    "vigil-rw": "Vigil (remote-write, SigV4)",
    "vigil-pmd": "Vigil (PutMetricData JSON, SigV4)",
    "vigil-inproc": "Vigil store (in-process)",
}
PEERS = ["vm", "prometheus"]
VIGILS = ["vigil-rw", "vigil-pmd", "vigil-inproc"]
KINDS = ["counter", "latency", "gauge"]


def get(m, target, metric):
    return m.get((target, metric))


def bytes_per_sample(m, target):
    d, n = get(m, target, "disk_bytes"), get(m, target, "samples")
    return d / n if d is not None and n else None


def main():
    m, runs = load_medians(sys.argv[1], setup_run=None)
    targets = [t for t in NAMES if get(m, t, "samples") or get(m, t, "q3_median_ms")]
    print(f"\nResults (median of {runs} run{'s' if runs > 1 else ''}):\n")
    header = ("target", "samples/s", "samples/CPU-s", "bytes/sample", "peak RSS MiB",
              "B/new series", "q1 median ms", "q1 p99 ms", "q2 median ms", "q3 median ms")
    rows = []
    empty_q1 = [t for t in targets if get(m, t, "q1_points") == 0]
    for t in empty_q1:  # a latency of an empty answer measures nothing
        for metric in ("q1_median_ms", "q1_p99_ms"):
            m.pop((t, metric), None)
    for t in targets:
        per_cpu = get(m, t, "samples_per_cpu_s")
        rows.append((NAMES[t], fmt(get(m, t, "samples_per_s"), ",.0f"),
                     fmt(per_cpu, ",.0f") if per_cpu else "(in-proc)",
                     fmt(bytes_per_sample(m, t), ".3f"), fmt(get(m, t, "peak_rss_mib"), ".1f"),
                     fmt(get(m, t, "bytes_per_new_series"), ",.0f"),
                     "no data" if t in empty_q1 else fmt(get(m, t, "q1_median_ms"), ".3f"),
                     "no data" if t in empty_q1 else fmt(get(m, t, "q1_p99_ms"), ".3f"),
                     "no data" if get(m, t, "q2_points") == 0 else fmt(get(m, t, "q2_median_ms"), ".1f"),
                     "no data" if get(m, t, "q3_points") == 0 else fmt(get(m, t, "q3_median_ms"), ".3f")))
    table(header, rows)

    extra = []
    for t in targets:
        parts = []
        for metric, label in (("samples", "samples"), ("seconds", "load s"), ("server_cpu_s", "server CPU s"),
                              ("client_cpu_s", "loader CPU s"), ("flush_cpu_s", "flush CPU s"),
                              ("flush_s", "close s"), ("wal_bytes", "WAL bytes after flush"),
                              ("q1_points", "q1 points"), ("q2_points", "q2 points"),
                              ("q3_points", "q3 points"), ("q3_p99_ms", "q3 p99 ms"),
                              ("rollup_1h_pct", "1-hour tier % of raw"),
                              ("rollup_5m_pct", "5-minute tier % of raw"),
                              ("q3_raw_bytes", "q3 store raw bytes"),
                              ("q3_rollup_bytes", "q3 store rollup bytes")):
            v = get(m, t, metric)
            if v is not None:
                parts.append(f"{label} {v:,.2f}".rstrip("0").rstrip("."))
        extra.append(f"  {NAMES[t]}: " + ", ".join(parts))
    print("\n" + "\n".join(extra))

    if any(get(m, f"{p}.{k}", "samples") for p in PEERS + ["vigil-inproc"] for k in KINDS):
        print("\nOn-disk bytes/sample by kind (each kind alone in a fresh store):\n")
        print("| kind | VictoriaMetrics | Prometheus | Vigil store |")
        print("|---|---:|---:|---:|")
        for k in KINDS:
            print(f"| {k} | " + " | ".join(fmt(bytes_per_sample(m, f"{t}.{k}"), ".3f")
                                          for t in ("vm", "prometheus", "vigil-inproc")) + " |")

    print("\nVigil / peer (same run; > 1 is better for rates, < 1 for the rest):\n")
    print("| Vigil path / peer | samples/s | samples/CPU-s | bytes/sample | peak RSS | q1 median "
          "| q2 median | q3 median |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for v in [t for t in VIGILS if t in targets]:
        for p in [t for t in PEERS if t in targets]:
            def ratio(a, b):
                return fmt(a / b, ".2f") if a is not None and b else "-"
            print(f"| {NAMES[v]} / {NAMES[p].split(' ')[0]} | "
                  f"{ratio(get(m, v, 'samples_per_s'), get(m, p, 'samples_per_s'))} | "
                  f"{ratio(get(m, v, 'samples_per_cpu_s'), get(m, p, 'samples_per_cpu_s'))} | "
                  f"{ratio(bytes_per_sample(m, v), bytes_per_sample(m, p))} | "
                  f"{ratio(get(m, v, 'peak_rss_mib'), get(m, p, 'peak_rss_mib'))} | "
                  f"{ratio(get(m, v, 'q1_median_ms'), get(m, p, 'q1_median_ms'))} | "
                  f"{ratio(get(m, v, 'q2_median_ms'), get(m, p, 'q2_median_ms'))} | "
                  f"{ratio(get(m, v, 'q3_median_ms'), get(m, p, 'q3_median_ms'))} |")

    if "vm" in targets:
        print("\nGoals:")
        def goal(ok, text):
            print(f"  [{'PASS' if ok else 'FAIL' if ok is not None else ' -- '}] {text}")
        vm_rate = get(m, "vm", "samples_per_s")
        for v in ("vigil-rw", "vigil-pmd"):
            if v in targets:
                r = get(m, v, "samples_per_s")
                goal(r >= vm_rate, f"{NAMES[v]} ingest >= VictoriaMetrics' "
                                   f"({r:,.0f} vs {vm_rate:,.0f} samples/s)")
        for k in KINDS:
            a, b = bytes_per_sample(m, f"vigil-inproc.{k}"), bytes_per_sample(m, f"vm.{k}")
            if a is not None and b is not None:
                goal(a < b, f"{k}: bytes/sample below VictoriaMetrics' ({a:.3f} vs {b:.3f})")
        for v in VIGILS:
            n = get(m, v, "bytes_per_new_series")
            if n is not None:
                goal(n < 1024, f"{NAMES[v]}: < 1 KB per added active series ({n:,.0f} B)")
        vm_rss = get(m, "vm", "peak_rss_mib")
        for v in ("vigil-rw", "vigil-pmd"):
            if v in targets:
                r = get(m, v, "peak_rss_mib")
                goal(r <= vm_rss / 2, f"{NAMES[v]}: peak RSS <= half of VictoriaMetrics' "
                                      f"({r:.1f} vs {vm_rss:.1f} MiB)")
        for v in VIGILS:
            q = get(m, v, "q1_median_ms")
            if v in empty_q1:
                goal(False, f"{NAMES[v]}: q1 under 1 ms (the answer had no datapoints)")
            elif q is not None:
                goal(q < 1, f"{NAMES[v]}: q1 under 1 ms ({q:.3f} ms)")
        for v in VIGILS:
            q = get(m, v, "q3_median_ms")
            if q is not None:
                goal(q < 5 and get(m, v, "q3_points") != 0,
                     f"{NAMES[v]}: q3 (90 days at 1-hour periods) under 5 ms ({q:.3f} ms)")
            pct = get(m, v, "rollup_1h_pct")
            if pct is not None:
                goal(pct <= 15, f"{NAMES[v]}: rollups cost at most 15% more disk than raw "
                                f"(1-hour tier {pct:.1f}%; the 5-minute tier replaces raw data)")
        vm_q2 = get(m, "vm", "q2_median_ms")
        for v in VIGILS:
            q = get(m, v, "q2_median_ms")
            if q is not None and vm_q2 is not None:
                goal(q < vm_q2 and get(m, v, "q2_points") != 0,
                     f"{NAMES[v]}: q2 under VictoriaMetrics' ({q:.1f} vs {vm_q2:.1f} ms)")


if __name__ == "__main__":
    main()
