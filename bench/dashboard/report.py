"""Prints the dashboard benchmark's results (RUN<TAB>TARGET<TAB>METRIC<TAB>VALUE lines written by
drive.mjs) as Markdown: each run, the medians, Vigil / Prometheus and the goals."""
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import fmt, table  # noqa: E402

NAMES = {"vigil": "Vigil", "prometheus": "Prometheus 2.42 (classic UI)"}
# (metric, header, format)
HOME = [("home_fcp_ms", "FCP ms", ".0f"), ("home_ready_ms", "content drawn ms", ".0f"),
        ("home_kb", "transferred KiB", ".0f")]
CHART = [("chart_ms", "drawn ms", ".0f"), ("chart_data_asked_ms", "data asked at ms", ".0f"),
         ("chart_fetch_ms", "data request ms", ".0f"),
         ("chart_after_data_ms", "data to drawn ms", ".0f"), ("chart_draw_ms", "own draw ms", ".1f"),
         ("chart_points", "points", ".0f"), ("chart_data_kb", "data KiB", ".0f"),
         ("chart_kb", "transferred KiB", ".0f"), ("chart_heap_mib", "JS heap MiB", ".1f"),
         ("chart_main_thread_ms", "main thread ms", ".0f")]


def main(path):
    values = defaultdict(list)  # (target, metric) -> [values in run order]
    per_run = defaultdict(dict)  # run -> {(target, metric): value}
    targets = []
    with open(path) as f:
        for line in f:
            run, target, metric, value = line.rstrip("\n").split("\t")
            values[(target, metric)].append(float(value))
            per_run[int(run)][(target, metric)] = float(value)
            if target not in targets:
                targets.append(target)
    if not targets:
        sys.exit("report.py: no results")
    medians = {k: statistics.median(v) for k, v in values.items()}

    def rows(get, columns):
        return [[NAMES.get(t, t)] + [fmt(get(t, m), spec) for m, _, spec in columns]
                for t in targets]

    for run in sorted(per_run):
        got = per_run[run]
        print(f"\nRun {run}: main page")
        table(["target"] + [h for _, h, _ in HOME], rows(lambda t, m: got.get((t, m)), HOME))
        print(f"\nRun {run}: the 5-series day at 10 s")
        table(["target"] + [h for _, h, _ in CHART], rows(lambda t, m: got.get((t, m)), CHART))

    print(f"\nMedians of {len(per_run)} runs: main page")
    table(["target"] + [h for _, h, _ in HOME], rows(lambda t, m: medians.get((t, m)), HOME))
    print(f"\nMedians of {len(per_run)} runs: the 5-series day at 10 s")
    table(["target"] + [h for _, h, _ in CHART], rows(lambda t, m: medians.get((t, m)), CHART))

    if "vigil" in targets:
        for peer in (t for t in targets if t != "vigil"):
            ratios = []
            for metric, header, _ in HOME + CHART:
                v, p = medians.get(("vigil", metric)), medians.get((peer, metric))
                if v is not None and p:
                    ratios.append(f"{header} {v / p:.2f}x")
            print(f"\nVigil / {NAMES.get(peer, peer)} (medians): " + ", ".join(ratios) + ".")
        fcp = medians.get(("vigil", "home_fcp_ms"))
        draw = medians.get(("vigil", "chart_draw_ms"))
        after = medians.get(("vigil", "chart_after_data_ms"))
        print("\nGoals (Vigil, medians):")
        print(f"- first paint under 1 s: {fmt(fcp, '.0f')} ms, "
              f"{'met' if fcp is not None and fcp < 1000 else 'MISSED'}")
        print(f"- the day × 5 series drawn in under 200 ms (the chart's own data-draw-ms, as "
              f"tests/browser/dashboard.mjs checks): {fmt(draw, '.1f')} ms, "
              f"{'met' if draw is not None and draw < 200 else 'MISSED'}")
        print(f"- (stricter) from the data's last byte to the drawn frame under 200 ms: "
              f"{fmt(after, '.0f')} ms, {'met' if after is not None and after < 200 else 'MISSED'}")


if __name__ == "__main__":
    main(sys.argv[1])
