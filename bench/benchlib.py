"""What the benchmark reports share (python3 stdlib only): reading the results file of a
run.sh and printing Markdown tables."""
import math
import statistics
from collections import defaultdict


def load_medians(path, setup_run="0"):
    """Reads RUN<TAB>TARGET<TAB>METRIC<TAB>VALUE lines: the median of each (target, metric) over
    the runs, and how many runs there were (run `setup_run` holds one-off measurements and is not
    counted; None counts every run)."""
    values = defaultdict(list)
    runs = set()
    with open(path) as f:
        for line in f:
            run, target, metric, value = line.rstrip("\n").split("\t")
            if run != setup_run:
                runs.add(run)
            try:
                values[(target, metric)].append(float(value))
            except ValueError:
                pass
    return {k: statistics.median(v) for k, v in values.items()}, len(runs)


def fmt(v, spec, inf="never"):
    """`v` formatted with `spec`; "-" when missing, `inf` when infinite."""
    if v is None:
        return "-"
    if math.isinf(v):
        return inf
    return format(v, spec)


def table(header, rows):
    """A Markdown table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                       for i, (c, w) in enumerate(zip(r, widths))) + " |"
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
