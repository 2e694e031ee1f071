#!/usr/bin/env python3
"""Alarm evaluation side by side: Vigil's CloudWatch alarms vs Prometheus alerting rules.

    alarms_bench.py --vigil BIN [--alarms 10000] [--steady 20] [--breaches 10] [--targets vigil,prometheus]

For each target, on core 0 (taskset), with the load driver on core 1:
  - N alarms (rules) at a 1 s period, each on its own series, fed every second below threshold
    (Vigil: PutMetricData, 1,000 datums a request; Prometheus: a 1 s scrape of N gauges);
  - the wall time of an evaluation round over `--steady` seconds (Vigil: vigil_alarm_round_seconds;
    Prometheus: prometheus_rule_group_last_duration_seconds) and the target's CPU;
  - `--breaches` times, one probe series jumps above its threshold: the time until Vigil's
    webhook arrives, and until Prometheus lists the alert as firing (it would then still go
    through Alertmanager's group_wait before any webhook).
Prints a Markdown table with ratios and the goal (breach to webhook under 1.5 periods, median).
Python 3 standard library only.
"""
import argparse
import http.client
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time

import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import (AwsJsonClient, free_port, log, sample_steady, start_pinned, start_vigil,  # noqa: E402
                      stop, wait_for_port)


PROBES = 1  # probe series (with a webhook / a separately watched rule)


def scrape_gauge(url, name):
    """The value of `name` (first series) in a Prometheus text page, or None."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    c.request("GET", u.path)
    text = c.getresponse().read().decode()
    c.close()
    for line in text.splitlines():
        if line.startswith(name) and (len(line) == len(name) or line[len(name)] in " {"):
            return float(line.rsplit(" ", 1)[1])
    return None


def RoundMs(url, gauge):
    """The gauge (an evaluation round, in seconds) in milliseconds, or None."""
    v = scrape_gauge(url, gauge)
    return None if v is None else v * 1000


def CloudWatch(port, key, secret):
    return AwsJsonClient(port, key, secret, AwsJsonClient.CLOUDWATCH)


class Webhooks(http.server.ThreadingHTTPServer):
    """Records when each alarm's ALARM notification arrived."""

    def __init__(self):
        self.arrivals = {}
        self.cv = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.time()
                try:
                    msg = json.loads(body)  # CloudWatch's alarm message, as SNS carries it
                    if msg.get("NewStateValue") == "ALARM":
                        with outer.cv:
                            outer.arrivals.setdefault(msg["AlarmName"], now)
                            outer.cv.notify_all()
                except (ValueError, KeyError):
                    pass
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def wait(self, name, timeout):
        with self.cv:
            self.cv.wait_for(lambda: name in self.arrivals, timeout)
            return self.arrivals.get(name)


def bench_vigil(args, work):
    key, secret = "AKIDBENCHALARMS00001", "bench-alarms-secret-0000000000000000000000"
    proc, port = start_vigil(args.vigil, work, key, secret)
    try:
        wait_for_port(port)
        hooks = Webhooks()
        hook_url = f"http://127.0.0.1:{hooks.server_address[1]}/hook"

        def alarm(name, metric, dim):
            return {"AlarmName": name, "Namespace": "Bench/Alarms", "MetricName": metric,
                    "Dimensions": [{"Name": "Id", "Value": dim}], "Statistic": "Maximum",
                    "Period": 1, "EvaluationPeriods": 1, "Threshold": 5,
                    "ComparisonOperator": "GreaterThanThreshold",
                    "TreatMissingData": "notBreaching"}

        log(f"vigil: creating {args.alarms} alarms")
        t0 = time.time()
        def create(lo, hi):
            cw = CloudWatch(port, key, secret)
            for i in range(lo, hi):
                cw.call("PutMetricAlarm", alarm(f"a{i}", "Value", str(i)))
        threads = [threading.Thread(target=create, args=(k * args.alarms // 4, (k + 1) * args.alarms // 4))
                   for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cw = CloudWatch(port, key, secret)
        for k in range(args.breaches):
            a = alarm(f"probe{k}", "Probe", str(k))
            a["AlarmActions"] = [hook_url]
            cw.call("PutMetricAlarm", a)
        log(f"vigil: alarms created in {time.time() - t0:.1f} s")

        fed_enough = threading.Event()
        def feed():
            feeder = CloudWatch(port, key, secret)
            while not fed_enough.is_set():
                start = time.time()
                for lo in range(0, args.alarms, 1000):
                    feeder.call("PutMetricData", {"Namespace": "Bench/Alarms", "MetricData": [
                        {"MetricName": "Value", "Dimensions": [{"Name": "Id", "Value": str(i)}],
                         "Value": 1} for i in range(lo, min(lo + 1000, args.alarms))]})
                fed_enough.wait(max(0.0, 1.0 - (time.time() - start)))
        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        time.sleep(3)

        rounds, cpu = sample_steady(proc.pid, args.steady, lambda: RoundMs(
            f"http://127.0.0.1:{port}/metrics", "vigil_alarm_round_seconds"))

        latencies = []
        for k in range(args.breaches):
            time.sleep(1.3)
            sent = time.time()
            cw.call("PutMetricData", {"Namespace": "Bench/Alarms", "MetricData": [
                {"MetricName": "Probe", "Dimensions": [{"Name": "Id", "Value": str(k)}],
                 "Value": 10}]})
            arrived = hooks.wait(f"probe{k}", 10)
            latencies.append((arrived - sent) if arrived else float("inf"))
        fed_enough.set()
        feeder.join(5)
        hooks.shutdown()
        return {"rounds_ms": rounds, "cpu": cpu, "latency_s": latencies}
    finally:
        stop(proc)


class Exporter(http.server.ThreadingHTTPServer):
    """N gauges for Prometheus to scrape; probe gauges the driver can raise."""

    def __init__(self, n, probes):
        self.page = "".join(f'bench_value{{id="{i}"}} 1\n' for i in range(n)).encode()
        self.probes = [1] * probes
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = outer.page + "".join(f'bench_probe{{id="{k}"}} {v}\n'
                                            for k, v in enumerate(outer.probes)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def bench_prometheus(args, work):
    exporter = Exporter(args.alarms, args.breaches)
    rules = os.path.join(work, "rules.yml")
    with open(rules, "w") as f:
        f.write("groups:\n  - name: bench\n    interval: 1s\n    rules:\n")
        for i in range(args.alarms):
            f.write(f'      - alert: a{i}\n        expr: bench_value{{id="{i}"}} > 5\n')
        for k in range(args.breaches):
            f.write(f'      - alert: probe{k}\n        expr: bench_probe{{id="{k}"}} > 5\n')
    port = free_port()
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                f"rule_files: [{rules}]\n"
                f"scrape_configs:\n  - job_name: bench\n    static_configs:\n"
                f"      - targets: ['127.0.0.1:{exporter.server_address[1]}']\n")
    proc = start_pinned(["prometheus", f"--config.file={config}",
                         f"--storage.tsdb.path={work}/prom-data",
                         f"--web.listen-address=127.0.0.1:{port}"],
                        os.path.join(work, "prometheus.log"))
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if scrape_gauge(base + "/metrics", "prometheus_rule_group_last_duration_seconds"):
                    break
            except OSError:
                pass
            time.sleep(0.2)
        time.sleep(3)
        rounds, cpu = sample_steady(proc.pid, args.steady, lambda: RoundMs(
            base + "/metrics", "prometheus_rule_group_last_duration_seconds"))

        latencies = []
        for k in range(args.breaches):
            time.sleep(1.3)
            sent = time.time()
            exporter.probes[k] = 10
            arrived = None
            while time.time() - sent < 10:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/api/v1/alerts")
                alerts = json.loads(c.getresponse().read())["data"]["alerts"]
                c.close()
                if any(a["labels"].get("alertname") == f"probe{k}" and a["state"] == "firing"
                       for a in alerts):
                    arrived = time.time()
                    break
                time.sleep(0.02)
            latencies.append((arrived - sent) if arrived else float("inf"))
        exporter.shutdown()
        return {"rounds_ms": rounds, "cpu": cpu, "latency_s": latencies}
    finally:
        stop(proc)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vigil", required=True)
    p.add_argument("--alarms", type=int, default=10000)
    p.add_argument("--steady", type=int, default=20)
    p.add_argument("--breaches", type=int, default=10)
    p.add_argument("--targets", default="vigil,prometheus")
    args = p.parse_args()
    os.sched_setaffinity(0, {1} if os.cpu_count() > 1 else {0})  # the driver off core 0
    work = tempfile.mkdtemp(prefix="vigil-bench-alarms.")
    results = {}
    try:
        for target in args.targets.split(","):
            log(f"{target}: {args.alarms} alarms at a 1 s period")
            results[target] = (bench_vigil if target == "vigil" else bench_prometheus)(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(v):
        return statistics.median(v) if v else float("nan")

    print(f"\nAlarm evaluation, {args.alarms:,} alarms at a 1 s period, target on one core "
          f"(medians over {args.steady} s; {args.breaches} breaches):\n")
    print("| target | round ms (median) | round ms (max) | target CPU % of a core "
          "| breach to notification s (median) | (max) |")
    print("|---|---|---|---|---|---|")
    names = {"vigil": "Vigil (to webhook)", "prometheus": "Prometheus (to firing, before Alertmanager)"}
    for t, r in results.items():
        print(f"| {names[t]} | {med(r['rounds_ms']):.1f} | {max(r['rounds_ms'], default=float('nan')):.1f} "
              f"| {r['cpu']:.0f} | {med(r['latency_s']):.3f} | {max(r['latency_s']):.3f} |")
    if "vigil" in results and "prometheus" in results:
        v, pr = results["vigil"], results["prometheus"]
        print(f"\nVigil / Prometheus: round time {med(v['rounds_ms']) / med(pr['rounds_ms']):.2f}, "
              f"CPU {v['cpu'] / pr['cpu']:.2f}, breach to notification "
              f"{med(v['latency_s']) / med(pr['latency_s']):.2f}")
    if "vigil" in results:
        m = med(results["vigil"]["latency_s"])
        print(f"\nGoal: breach to webhook under 1.5 periods at the median: "
              f"{'PASS' if m < 1.5 else 'FAIL'} ({m:.3f} s at a 1 s period)")


if __name__ == "__main__":
    main()
