#!/usr/bin/env python3
"""Deployments of the example shop under load, and how fast a breach brings the old version back.

    deploy_bench.py --vigil BIN --shop BIN --load BIN [--rate 200] [--runs 3] [--bake 2]
                    [--policies LIST] [--keep]

One Vigil runs the shop (examples/shop: three vigil-shop instances on one SQLite file behind its
load balancer, health checks every 250 ms) on free ports of 127.0.0.1, in a fresh temporary
directory. vigil-shop-load sends --rate requests/s over 8 keep-alive connections through it.

  rollout   for each policy, a new version (a stripped copy of vigil-shop and a manifest) is
            deployed with `vigil deploy --bake 2s` under the load; the load runs one more
            second, then its own summary gives the failed requests and the p99.
  rollback  for blue-green and rolling, --runs times: a new version deployed with a 60 s bake
            watching alarm `bench-breach`; once it bakes (every instance on the new version),
            SetAlarmState puts the alarm into ALARM; then /v1/apps/shop/instances is read every
            20 ms until every instance in rotation is of the old version ("old serves") and
            until three healthy old ones are in rotation ("full capacity").
Goals: no failed request in any rollout; alarm to old-version-serving under 5 s.
Python 3 standard library only.
"""
import argparse
import datetime
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "lb"))
from benchlib import free_port, log, sigv4_json_headers, table  # noqa: E402
from vigil_registry import Registry  # noqa: E402

POLICIES = ["all-at-once", "rolling", "rolling-with-batch", "immutable", "blue-green"]
KEY, SECRET = "AKIDVIGILBENCHDEPLOY1", "vigil-bench-deploy-secret-00000000000000"
ALARM = "bench-breach"


def iso_seconds(text):
    """Seconds since the epoch of "2026-11-26T17:18:28.123Z"."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Bench:
    def __init__(self, args, work):
        self.args, self.work = args, work
        self.api_port, self.lb_port = free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{self.api_port}"
        self.data = os.path.join(work, "data")
        self.vigil = None
        os.environ["VIGIL_KEY"], os.environ["VIGIL_SECRET"] = KEY, SECRET
        self.instances = Registry(self.endpoint + "/v1/apps/shop/instances")
        self.shop = os.path.join(work, "vigil-shop")  # stripped: smaller bundles
        shutil.copy(args.shop, self.shop)
        subprocess.run(["strip", self.shop], check=False)

    # --- Vigil ---------------------------------------------------------------------------------
    def start(self):
        config = os.path.join(self.work, "vigil.yaml")
        with open(config, "w") as f:
            f.write(f"""listen: 127.0.0.1:{self.api_port}
data_dir: {self.data}
apps:
  - name: shop
    command: ["{self.shop}", "--port", "${{PORT}}"]
    instances: 3
    listen: 127.0.0.1:{self.lb_port}
    health_check: {{ path: /health, interval: 250ms, timeout: 1s }}
    env: {{ SHOP_VERSION: v1, SHOP_DB: {self.work}/shop.db }}
""")
        env = dict(os.environ, VIGIL_ROOT_ACCESS_KEY_ID=KEY, VIGIL_ROOT_SECRET_ACCESS_KEY=SECRET)
        with open(os.path.join(self.work, "vigil.log"), "w") as logf:
            self.vigil = subprocess.Popen([self.args.vigil, "server", "--config", config],
                                          stdout=logf, stderr=logf, env=env)
        if not self.await_(lambda: self.serving("v1", full=True), 30):
            raise RuntimeError(f"the shop is not up; see {self.work}/vigil.log")
        self.cloudwatch("PutMetricAlarm", {
            "AlarmName": ALARM, "Namespace": "Bench", "MetricName": "Breach", "Statistic": "Sum",
            "Period": 10, "EvaluationPeriods": 1, "Threshold": 1,
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching"})

    def stop(self):
        if self.vigil and self.vigil.poll() is None:
            self.vigil.terminate()
            self.vigil.wait(60)

    def cli(self, *words):
        """`vigil WORDS... --endpoint E --data-dir D`: (exit code, stdout, stderr)."""
        r = subprocess.run([self.args.vigil, *words, "--endpoint", self.endpoint, "--data-dir",
                            self.data], capture_output=True, text=True)
        return r.returncode, r.stdout, r.stderr

    def cloudwatch(self, op, doc):
        body = json.dumps(doc).encode()
        host = f"127.0.0.1:{self.api_port}"
        headers = sigv4_json_headers(KEY, SECRET, host, "monitoring",
                                     "GraniteServiceVersion20100801." + op,
                                     "application/x-amz-json-1.0", body)
        conn = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=10)
        conn.request("POST", "/", body=body, headers=dict(headers, **{"x-amzn-query-mode": "true"}))
        r = conn.getresponse()
        data = r.read()
        conn.close()
        if r.status != 200:
            raise RuntimeError(f"{op}: HTTP {r.status}: {data[:300]!r}")

    def deployment(self, ident):
        return Registry(f"{self.endpoint}/v1/deployments/{ident}").get() or {}

    @staticmethod
    def await_(pred, timeout_s, period_s=0.02):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if pred():
                return True
            time.sleep(period_s)
        return pred()

    def serving(self, label, full):
        """Every instance in rotation is of `label` (and, when `full`, three healthy ones)."""
        doc = self.instances.get()
        if doc is None:
            return False
        rotation = [i for i in doc["instances"] if i["in_rotation"]]
        if full:
            rotation = [i for i in rotation if i["state"] == "healthy"]
            return len(rotation) == 3 and all(i["version"] == label for i in rotation)
        return bool(rotation) and all(i["version"] == label for i in rotation)

    def create_version(self, label):
        bundle = os.path.join(self.work, "bundles", label)
        os.makedirs(bundle)
        os.link(self.shop, os.path.join(bundle, "vigil-shop"))
        with open(os.path.join(bundle, "manifest.yaml"), "w") as f:
            f.write('command: ["./vigil-shop", "--port", "${PORT}"]\n'
                    f"env: {{ SHOP_VERSION: {label} }}\n"
                    "health_check: { path: /health, interval: 250ms, timeout: 1s }\n")
        rc, _, err = self.cli("versions", "create", "shop", label, bundle)
        if rc != 0:
            raise RuntimeError(f"versions create {label}: {err}")

    # --- load ----------------------------------------------------------------------------------
    def start_load(self, name):
        err = open(os.path.join(self.work, f"load-{name}.log"), "w")
        load = subprocess.Popen([self.args.load, "--url", f"http://127.0.0.1:{self.lb_port}",
                                 "--connections", "8", "--rate", str(self.args.rate), "--json"],
                                stdout=subprocess.PIPE, stderr=err, text=True)
        path = err.name
        self.await_(lambda: "1s requests=" in open(path).read(), 10, 0.05)
        return load

    @staticmethod
    def stop_load(load):
        load.send_signal(signal.SIGTERM)
        out, _ = load.communicate(timeout=30)
        return json.loads(out)

    # --- the two measurements ------------------------------------------------------------------
    def rollout(self, policy):
        self.create_version(policy)
        load = self.start_load(policy)
        rc, out, err = self.cli("deploy", "shop", policy, "--policy", policy, "--batch", "1",
                           "--bake", f"{self.args.bake}s", "--output", "json")
        time.sleep(1)  # the old instances' last requests drain
        s = self.stop_load(load)
        if rc != 0:
            log(f"{policy}: deploy exited {rc}: {err}")
        # From the record: its start to its bake (every new instance healthy, the old retired).
        d = json.loads(out)
        bake = next(e["at"] for e in d["events"] if e["message"].startswith("baking for"))
        took = (iso_seconds(bake) - iso_seconds(d["created_at"]))
        log(f"{policy}: {s}")
        return {"ok": rc == 0, "requests": s["requests"], "failed": s["failed"],
                "p99_ms": s["p99_ms"], "rollout_s": took}

    def rollback(self, policy, run):
        label = f"rb-{policy}-{run}"
        self.create_version(label)
        self.cloudwatch("SetAlarmState", {"AlarmName": ALARM, "StateValue": "OK",
                                          "StateReason": "bench: reset"})
        load = self.start_load(label)
        rc, out, err = self.cli("deploy", "shop", label, "--policy", policy, "--batch", "1",
                                "--bake", "60s", "--alarm", ALARM, "--no-wait", "--output", "json")
        if rc != 0:
            raise RuntimeError(f"deploy {label}: {err}")
        ident = json.loads(out)["id"]
        if not self.await_(lambda: self.deployment(ident).get("phase") == "baking"
                           and self.serving(label, full=True), 60):
            raise RuntimeError(f"{ident} did not reach its bake: {self.deployment(ident)}")
        old = self.deployment(ident)["from"]
        t0 = time.monotonic()
        self.cloudwatch("SetAlarmState", {"AlarmName": ALARM, "StateValue": "ALARM",
                                          "StateReason": "bench: breach"})
        self.await_(lambda: self.serving(old, full=False), 60)
        serves = time.monotonic() - t0
        self.await_(lambda: self.serving(old, full=True), 60)
        full = time.monotonic() - t0
        self.await_(lambda: self.deployment(ident).get("state") != "in-progress", 60)
        d = self.deployment(ident)
        time.sleep(1)
        s = self.stop_load(load)
        log(f"{policy} run {run}: {d.get('state')}: {d.get('reason')}; old serves {serves:.3f} s, "
            f"full {full:.3f} s; load {s}")
        return {"state": d.get("state"), "serves_s": serves, "full_s": full,
                "failed": s["failed"], "requests": s["requests"]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--vigil", required=True)
    p.add_argument("--shop", required=True)
    p.add_argument("--load", required=True)
    p.add_argument("--rate", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--bake", type=float, default=2)
    p.add_argument("--policies", default=",".join(POLICIES))
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="vigil-bench-deploy.")
    bench = Bench(args, work)
    try:
        bench.start()
        rollouts = {pol: bench.rollout(pol) for pol in args.policies.split(",")}
        rollbacks = {pol: [bench.rollback(pol, r) for r in range(1, args.runs + 1)]
                     for pol in ("blue-green", "rolling")}
    finally:
        bench.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nRollouts of the shop (3 instances) under vigil-shop-load at {args.rate} req/s, "
          f"bake {args.bake:g} s. No peer: CodeDeploy and Argo Rollouts are not packaged in "
          "Debian; the figures stand against the goals.\n")
    rows = [[pol, "yes" if r["ok"] else "NO", f"{r['requests']:,}", str(r["failed"]),
             f"{r['p99_ms']:.1f}", f"{r['rollout_s']:.1f}"] for pol, r in rollouts.items()]
    table(["policy", "succeeded", "requests", "failed", "p99 ms", "start to bake s"],
          rows)
    print()
    rows = []
    for pol, runs in rollbacks.items():
        serves = [r["serves_s"] for r in runs]
        rows.append([pol, " / ".join(f"{v:.2f}" for v in serves), f"{statistics.median(serves):.2f}",
                     " / ".join(f"{r['full_s']:.2f}" for r in runs),
                     str(sum(r["failed"] for r in runs)),
                     ", ".join(sorted({str(r["state"]) for r in runs}))])
    table(["policy", "alarm to old serving s (runs)", "median s", "to 3 healthy old s (runs)",
           "failed requests", "ended"], rows)
    failures = sum(r["failed"] for r in rollouts.values())
    worst = max(r["serves_s"] for runs in rollbacks.values() for r in runs)
    print(f"\nGoals: zero failed requests in every rollout: "
          f"{'PASS' if failures == 0 else f'FAIL ({failures})'}; alarm to old version serving "
          f"under 5 s: {'PASS' if worst < 5 else 'FAIL'} (worst {worst:.2f} s).")


if __name__ == "__main__":
    main()
