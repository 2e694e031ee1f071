"""The dashboard benchmark's data set and its loaders (python3 stdlib only).

5 series ("wave", label/dimension series=s0..s4), one sample every 10 s over the day that ends at
END (epoch seconds, a multiple of 10): 8,640 samples a series, the same values for every target.

  data.py openmetrics END FILE           the OpenMetrics text promtool backfills from
  data.py vm-import END URL              POST /api/v1/import/prometheus (VictoriaMetrics)
  data.py vigil END PORT KEY SECRET      PutMetricData, SigV4-signed, 1,000 datums a call
"""
import math
import os
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import benchlib  # noqa: E402

SERIES = 5
POINTS = 8640
STEP_S = 10
NAMESPACE = "DashboardBench"
METRIC = "Wave"        # Vigil's metric name
PROM_METRIC = "wave"   # the peers'


def samples(end):
    """(series index, epoch seconds, value) of every sample, series by series."""
    for s in range(SERIES):
        for i in range(POINTS):
            t = end - (POINTS - i - 1) * STEP_S
            yield s, t, round(50 + 40 * math.sin(i / (200 + 50 * s)) + 5 * s, 3)


def openmetrics(end, path):
    with open(path, "w") as f:
        f.write(f"# TYPE {PROM_METRIC} gauge\n")
        for s, t, v in samples(end):
            f.write(f'{PROM_METRIC}{{series="s{s}"}} {v} {t}\n')
        f.write("# EOF\n")


def vm_import(end, url):
    body = "".join(f'{PROM_METRIC}{{series="s{s}"}} {v} {t * 1000}\n'
                   for s, t, v in samples(end)).encode()
    req = urllib.request.Request(url.rstrip("/") + "/api/v1/import/prometheus", data=body,
                                 method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        r.read()


def vigil(end, port, key, secret):
    client = benchlib.AwsJsonClient(int(port), key, secret, benchlib.AwsJsonClient.CLOUDWATCH)
    datums = [{"MetricName": METRIC, "Dimensions": [{"Name": "Series", "Value": f"s{s}"}],
               "Timestamp": t, "Value": v} for s, t, v in samples(end)]
    for i in range(0, len(datums), 1000):  # PutMetricData takes at most 1,000 datums a call
        client.call("PutMetricData", {"Namespace": NAMESPACE, "MetricData": datums[i:i + 1000]})


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    what, end = sys.argv[1], int(sys.argv[2])
    assert end % STEP_S == 0, "END must be a multiple of 10 s"
    {"openmetrics": openmetrics, "vm-import": vm_import, "vigil": vigil}[what](end, *sys.argv[3:])
