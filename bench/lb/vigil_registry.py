#!/usr/bin/env python3
"""Reads Vigil's instance registry for bench/lb/run.sh (python3 stdlib only).

  vigil_registry.py wait URL N TIMEOUT_S     until N instances are "healthy"; prints the answer
  vigil_registry.py poll URL OUT [PERIOD_MS]  every PERIOD_MS (20) until SIGTERM: one line
                                             "epoch_ms<TAB>json" in OUT whenever the answer changes
  vigil_registry.py timeline OUT ID FAULT_EPOCH_MS
                                             from a poll file: "out_s back_s" for instance ID
                                             (seconds after the fault; "inf" when never): out
                                             when not "healthy" or on another pid, back when
                                             "healthy" on a new pid

URL is GET /v1/apps/APP/instances, signed with SigV4 (region us-east-1, service vigil) with the
key in the environment: VIGIL_KEY, VIGIL_SECRET. The answer is
{"app": ..., "instances": [{"id", "pid", "address", "state", "reason", "restarts", ...}]}.
One keep-alive connection, so polling every 20 ms costs the 2 shared cores little (a curl per
poll would cost a process start each).
"""
import datetime
import hashlib
import hmac
import http.client
import json
import os
import signal
import sys
import time
import urllib.parse

REGION, SERVICE = "us-east-1", "vigil"


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signed_headers(method, host, path, query, body, key, secret, now=None):
    """The Host, X-Amz-Date and Authorization headers of a SigV4-signed request."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    canonical = "\n".join([method, path, query, f"host:{host}", f"x-amz-date:{amz_date}", "",
                           "host;x-amz-date", hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{REGION}/{SERVICE}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = _hmac(("AWS4" + secret).encode(), date)
    for part in (REGION, SERVICE, "aws4_request"):
        k = _hmac(k, part)
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return {"Host": host, "X-Amz-Date": amz_date,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/{scope}, "
                             f"SignedHeaders=host;x-amz-date, Signature={signature}"}


class Registry:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.path, self.query = u.netloc, u.path, u.query
        self.key, self.secret = os.environ["VIGIL_KEY"], os.environ["VIGIL_SECRET"]
        self.conn = None
        self.error = None  # why the last get() failed, for people

    def get(self):
        """The decoded answer, or None on any failure (the connection is then reopened)."""
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, timeout=2)
            target = self.path + ("?" + self.query if self.query else "")
            self.conn.request("GET", target, headers=signed_headers(
                "GET", self.host, self.path, self.query, b"", self.key, self.secret))
            r = self.conn.getresponse()
            body = r.read()
            if r.status != 200:
                self.error = f"HTTP {r.status}: {body[:200].decode(errors='replace').strip()}"
                return None
            return json.loads(body)
        except (OSError, http.client.HTTPException, ValueError) as e:
            self.error = f"{type(e).__name__}: {e}"
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None


def wait(url, n, timeout_s):
    reg = Registry(url)
    deadline = time.monotonic() + timeout_s
    answer = None
    while time.monotonic() < deadline:
        answer = reg.get()
        if answer and sum(i.get("state") == "healthy" for i in answer.get("instances", [])) >= n:
            print(json.dumps(answer))
            return 0
        time.sleep(0.05)
    last = json.dumps(answer) if answer else reg.error
    print(f"vigil_registry: fewer than {n} healthy instances after {timeout_s} s; last answer: "
          f"{last}", file=sys.stderr)
    return 1


def poll(url, out, period_ms):
    reg = Registry(url)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    last = None
    with open(out, "w") as f:
        while not stop:
            t0 = time.monotonic()
            answer = reg.get()
            if answer is not None:
                text = json.dumps([{k: i.get(k) for k in ("id", "pid", "address", "state")}
                                   for i in answer.get("instances", [])])
                if text != last:
                    f.write(f"{int(time.time() * 1000)}\t{text}\n")
                    f.flush()
                    last = text
            time.sleep(max(0.0, period_ms / 1000 - (time.monotonic() - t0)))
    return 0


def timeline(out, instance_id, fault_ms):
    """out: the first poll after the fault at which the instance is not "healthy" or runs
    another pid (a replacement keeps the id); back: the first poll from then on at which it is
    "healthy" again, on a new pid."""
    out_ms = back_ms = pid0 = None
    with open(out) as f:
        for line in f:
            t, text = line.rstrip("\n").split("\t", 1)
            t = int(t)
            inst = next((i for i in json.loads(text) if i["id"] == instance_id), {})
            state, pid = inst.get("state"), inst.get("pid")
            if t < fault_ms:
                pid0 = pid
                continue
            if out_ms is None and (state != "healthy" or pid != pid0):
                out_ms = t
            if out_ms is not None and back_ms is None and state == "healthy" and pid != pid0:
                back_ms = t
    fmt = lambda t: "inf" if t is None else f"{(t - fault_ms) / 1000:.3f}"
    print(fmt(out_ms), fmt(back_ms))
    return 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "wait":
        return wait(argv[2], int(argv[3]), float(argv[4]))
    if len(argv) >= 4 and argv[1] == "poll":
        return poll(argv[2], argv[3], float(argv[4]) if len(argv) > 4 else 20)
    if len(argv) == 5 and argv[1] == "timeline":
        return timeline(argv[2], argv[3], int(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
