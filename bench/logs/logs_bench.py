#!/usr/bin/env python3
"""Log ingest and search side by side: Vigil's log store vs rsyslog writing a file, searched
with grep — what a self-hosted team runs when it has no log system. (Grafana Loki, the peer
the issue names, is not packaged in Debian 12: its `loki` package is an unrelated genetics
program.)

    logs_bench.py --vigil BIN [--megabytes 1024] [--connections 4] [--targets vigil,rsyslog]
                  [--encryption] [--iam] [--runs N]

The same corpus for both (access-log-like lines of ~80 bytes, 8 streams, an ERROR line in 37,
a rare NEEDLE line in 1,000,000, the first at line 500,000), sent over `--connections`
keep-alive connections from core 1 to the target on core 0:
  - Vigil: PutLogEvents (awscli's JSON 1.1, SigV4-signed), about 870 KB a batch; each batch is
    fsynced before it is acknowledged.
  - rsyslog: plain TCP syslog (imtcp) into one file (omfile); nothing is acknowledged.
Measured: ingest events/s and MB/s (until the last event is stored), target CPU, bytes on disk
per event (after a clean stop), and two searches over everything: the rare needle, and the
first 10,000 ERROR lines (Vigil: FilterLogEvents; rsyslog: grep -c / grep -m 10000 on the file,
page cache warm).
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from benchlib import (AwsJsonClient, cpu_seconds, create_bench_user, free_port, log,  # noqa: E402
                      start_pinned, start_vigil, stop, wait_for_port)


STREAMS = 8
BATCH_EVENTS = 6000
NEEDLE = "NEEDLE-7f3a9c"


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def corpus(megabytes, start_ms):
    """Per stream, a list of (timestamp_ms, line)."""
    n = megabytes * 1024 * 1024 // 80  # lines average about 80 bytes
    step = max(1, 3_600_000 // max(1, n // STREAMS))  # an hour of each stream's events
    streams = [[] for _ in range(STREAMS)]
    for i in range(n):
        s = i % STREAMS
        ts = start_ms + (i // STREAMS) * step
        if i % 1_000_000 == 499_999:  # mid-million: a 64 MB corpus has one too
            line = f"WARN web-{s} {NEEDLE} found a rare condition in request {i}"
        elif i % 37 == 0:
            line = f"ERROR web-{s} payment gateway timeout order={i:09d} after 3000ms upstream=pay-{i % 5}"
        else:
            line = (f"INFO web-{s} GET /product/{i % 9973} 200 {i % 97}.{i % 10}ms "
                    f"user=u-{i % 100003:06d} trace={i * 2654435761 % (1 << 64):016x}")
        streams[s].append((ts, line))
    return streams, n


def Logs(port, key, secret):
    return AwsJsonClient(port, key, secret, AwsJsonClient.LOGS, timeout=600)


def timed(fn, reps=3):
    times, result = [], None
    for _ in range(reps):
        t0 = time.time()
        result = fn()
        times.append(time.time() - t0)
    return statistics.median(times), result


def bench_vigil(args, work, streams, n, raw_bytes, encrypted=False, iam=False):
    key, secret = "AKIDBENCHLOGS0000001", "bench-logs-secret-00000000000000000000000"
    data = os.path.join(work, "vigil-data")
    shutil.rmtree(data, ignore_errors=True)  # a fresh store for each Vigil target
    extra = []
    if encrypted:
        config = os.path.join(work, "vigil-enc.yaml")
        with open(config, "w") as f:
            f.write("encryption:\n  logs: true\n")
        extra = ["--config", config]
    proc, port = start_vigil(args.vigil, work, key, secret, extra)
    try:
        wait_for_port(port)
        if iam:  # every call below signed by an IAM user and evaluated against its policies
            key, secret = create_bench_user(args.vigil, f"http://127.0.0.1:{port}", key, secret)
        admin = Logs(port, key, secret)
        admin.call("CreateLogGroup", {"logGroupName": "/bench/web"})
        for s in range(STREAMS):
            admin.call("CreateLogStream", {"logGroupName": "/bench/web", "logStreamName": f"web-{s}"})
        log("vigil: building request bodies")
        bodies = [[] for _ in range(args.connections)]
        for s, events in enumerate(streams):
            for lo in range(0, len(events), BATCH_EVENTS):
                doc = {"logGroupName": "/bench/web", "logStreamName": f"web-{s}",
                       "logEvents": [{"timestamp": t, "message": m}
                                     for t, m in events[lo:lo + BATCH_EVENTS]]}
                bodies[s % args.connections].append(json.dumps(doc).encode())
        log(f"vigil: sending {sum(map(len, bodies))} batches")
        c0, t0 = cpu_seconds(proc.pid), time.time()

        def send(batch):
            client = Logs(port, key, secret)
            for b in batch:
                client.call("PutLogEvents", body=b)
        threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.time() - t0
        cpu = (cpu_seconds(proc.pid) - c0) / seconds * 100
        time.sleep(5)  # searches once the store settled (a cut of its log may still be running)

        def needle():
            r = admin.call("FilterLogEvents", {"logGroupName": "/bench/web",
                                               "filterPattern": f'"{NEEDLE}"'})
            return len(r["events"])
        needle_s, needles = timed(needle)

        def errors():  # pages of up to 1 MB, as the API returns them
            got, token = 0, None
            while got < 10000:
                doc = {"logGroupName": "/bench/web", "filterPattern": "ERROR",
                       "limit": 10000 - got}
                if token:
                    doc["nextToken"] = token
                r = admin.call("FilterLogEvents", doc)
                got += len(r["events"])
                token = r.get("nextToken")
                if not token:
                    break
            return got
        errors_s, error_count = timed(errors)
        stop(proc, 120)  # a clean stop cuts the log into segments
        disk = du(os.path.join(data, "logs"))
        return {"seconds": seconds, "cpu": cpu, "disk": disk, "needle_s": needle_s,
                "needles": needles, "errors_s": errors_s, "errors": error_count}
    finally:
        stop(proc)


def bench_rsyslog(args, work, streams, n, raw_bytes):
    port = free_port()
    out = os.path.join(work, "rsyslog-out.log")
    conf = os.path.join(work, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write(f'global(workDirectory="{work}")\n'
                'module(load="imtcp" MaxSessions="64")\n'
                f'input(type="imtcp" port="{port}" address="127.0.0.1")\n'
                'template(name="msgonly" type="string" string="%rawmsg-after-pri%\\n")\n'
                f'action(type="omfile" file="{out}" template="msgonly")\n')
    pidfile = os.path.join(work, "rsyslog.pid")
    proc = start_pinned(["rsyslogd", "-n", "-f", conf, "-i", pidfile],
                        os.path.join(work, "rsyslog.log"))
    try:
        wait_for_port(port)
        log("rsyslog: building the byte streams")
        payloads = [bytearray() for _ in range(args.connections)]
        for s, events in enumerate(streams):
            buf = payloads[s % args.connections]
            for _, m in events:
                buf += b"<14>" + m.encode() + b"\n"
        expected = raw_bytes + n  # the lines and their newlines
        c0, t0 = cpu_seconds(proc.pid), time.time()

        def send(p):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(p)
        threads = [threading.Thread(target=send, args=(bytes(p),)) for p in payloads]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Stored when the file has all the bytes, or (should rsyslog alter lines) when it
        # stopped growing for a second; the time is that of its last growth.
        size, grew = -1, time.time()
        while time.time() - t0 < 600:
            now_size = os.path.getsize(out) if os.path.exists(out) else 0
            if now_size != size:
                size, grew = now_size, time.time()
            if size >= expected or time.time() - grew > 1.0:
                break
            time.sleep(0.02)
        seconds = grew - t0
        cpu = (cpu_seconds(proc.pid) - c0) / seconds * 100
        needle_s, needles = timed(lambda: int(subprocess.run(
            ["grep", "-c", NEEDLE, out], capture_output=True, text=True).stdout.strip() or 0))
        errors_s, error_count = timed(lambda: len(subprocess.run(
            ["grep", "-m", "10000", "ERROR", out], capture_output=True).stdout.splitlines()))
        return {"seconds": seconds, "cpu": cpu, "disk": os.path.getsize(out),
                "needle_s": needle_s, "needles": needles, "errors_s": errors_s,
                "errors": error_count}
    finally:
        stop(proc)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vigil", required=True)
    p.add_argument("--megabytes", type=int, default=1024)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--targets", default="vigil,rsyslog")
    p.add_argument("--runs", type=int, default=1,
                   help="every target this many times, in turn; the tables show medians")
    p.add_argument("--encryption", action="store_true",
                   help="also run Vigil with `encryption: {logs: true}` (target vigil-enc)")
    p.add_argument("--iam", action="store_true",
                   help="also run Vigil signed by an IAM user with policies rather than the "
                        "root key (target vigil-iam): the cost of authorization")
    args = p.parse_args()
    for flag, target in ((args.encryption, "vigil-enc"), (args.iam, "vigil-iam")):
        if flag and target not in args.targets.split(","):
            args.targets += "," + target
    os.sched_setaffinity(0, {1} if os.cpu_count() > 1 else {0})
    start_ms = int(time.time() * 1000) - 2 * 3_600_000
    log(f"corpus: {args.megabytes} MB")
    streams, n = corpus(args.megabytes, start_ms)
    raw_bytes = sum(len(m.encode()) for events in streams for _, m in events)
    work = tempfile.mkdtemp(prefix="vigil-bench-logs.")
    runs = {}  # target -> one result per run
    try:
        for run in range(1, args.runs + 1):
            for target in args.targets.split(","):
                log(f"run {run}/{args.runs}, {target}: ingest")
                if target == "rsyslog":
                    r = bench_rsyslog(args, work, streams, n, raw_bytes)
                else:
                    r = bench_vigil(args, work, streams, n, raw_bytes,
                                    encrypted=target == "vigil-enc", iam=target == "vigil-iam")
                runs.setdefault(target, []).append(r)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # Each figure the median over the runs (a time and the CPU taken in it stay paired).
    results = {t: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for t, rs in runs.items()}
    for t, rs in runs.items():
        results[t]["cpu"] = statistics.median(r["cpu"] * r["seconds"] for r in rs) / results[t]["seconds"]

    print(f"\nLogs: {n:,} events, {raw_bytes / 1e6:,.0f} MB of messages, {STREAMS} streams, "
          f"{args.connections} connections; target on one core; median of {args.runs} run(s)\n")
    print("| target | events/s | MB/s | target CPU % | disk bytes/event | needle search s "
          "| first 10,000 ERROR s |")
    print("|---|---|---|---|---|---|---|")
    names = {"vigil": "Vigil (PutLogEvents, fsynced)", "rsyslog": "rsyslog + grep (not acknowledged)",
             "vigil-enc": "Vigil, encrypted at rest",
             "vigil-iam": "Vigil, signed by an IAM user with policies"}
    for t, r in results.items():
        print(f"| {names[t]} | {n / r['seconds']:,.0f} | {raw_bytes / 1e6 / r['seconds']:,.1f} "
              f"| {r['cpu']:.0f} | {r['disk'] / n:.1f} | {r['needle_s']:.3f} ({r['needles']:.0f}) "
              f"| {r['errors_s']:.3f} ({r['errors']:.0f}) |")
    # The variants against plain Vigil: wall-clock rates, and events per CPU-second of the
    # server, which other work on the machine disturbs less.
    for target, what in (("vigil-enc", "encryption"),
                         ("vigil-iam", "authorization (IAM user vs root key)")):
        if "vigil" not in results or target not in results:
            continue
        v, e = results["vigil"], results[target]
        per_cpu = lambda r: n / (r["cpu"] / 100 * r["seconds"])
        print(f"\n{what}: events/s ratio {v['seconds'] / e['seconds']:.3f} "
              f"(cost {(e['seconds'] / v['seconds'] - 1) * 100:+.1f}%), events per CPU-second "
              f"{per_cpu(e):,.0f} vs {per_cpu(v):,.0f} (cost {(per_cpu(v) / per_cpu(e) - 1) * 100:+.1f}%), "
              f"disk {e['disk'] / v['disk']:.3f}, needle search {e['needle_s'] / v['needle_s']:.2f}x, "
              f"ERROR search {e['errors_s'] / v['errors_s']:.2f}x")
    if "vigil" in results and "rsyslog" in results:
        v, r = results["vigil"], results["rsyslog"]
        print(f"\nVigil / rsyslog: events/s {r['seconds'] / v['seconds']:.2f}, disk per event "
              f"{v['disk'] / r['disk']:.2f}, needle search {v['needle_s'] / r['needle_s']:.2f}, "
              f"ERROR search {v['errors_s'] / r['errors_s']:.2f}")


if __name__ == "__main__":
    main()
