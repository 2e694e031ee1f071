"""What the benchmark scripts share (python3 stdlib only): reading the results file of a
run.sh and printing Markdown tables; and for the drivers, free ports, core pinning, process
CPU, and SigV4 signing of JSON-protocol requests."""
import datetime
import hashlib
import http.client
import json
import hmac
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
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


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def on_core(core, argv):
    """`argv` run pinned to one core (when taskset exists)."""
    return (["taskset", "-c", str(core)] if shutil.which("taskset") else []) + argv


def cpu_seconds(pid):
    """User + system CPU seconds of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sigv4_json_headers(key, secret, host, service, target, content_type, body,
                       region="us-east-1"):
    """Headers of a POST / in an AWS JSON protocol (X-Amz-Target `target`), SigV4-signed over
    host and x-amz-date."""
    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    canonical = "\n".join(["POST", "/", "", f"host:{host}", f"x-amz-date:{amz_date}", "",
                           "host;x-amz-date", hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return {"Host": host, "X-Amz-Date": amz_date, "Content-Type": content_type,
            "X-Amz-Target": target,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/{scope}, "
                             f"SignedHeaders=host;x-amz-date, Signature={sig}"}


class AwsJsonClient:
    """Signed AWS JSON-protocol calls (sigv4_json_headers) to the server on 127.0.0.1:`port`,
    on one keep-alive connection. `protocol` is CLOUDWATCH or LOGS."""

    # (signing service, X-Amz-Target prefix, Content-Type, extra headers)
    CLOUDWATCH = ("monitoring", "GraniteServiceVersion20100801.", "application/x-amz-json-1.0",
                  {"x-amzn-query-mode": "true"})
    LOGS = ("logs", "Logs_20140328.", "application/x-amz-json-1.1", {})

    def __init__(self, port, key, secret, protocol, timeout=30):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.host = f"127.0.0.1:{port}"
        self.key, self.secret, self.protocol = key, secret, protocol

    def call(self, op, doc=None, body=None):
        """The answer's document ({} when empty); RuntimeError on a non-200 answer."""
        service, prefix, content_type, extra = self.protocol
        body = body if body is not None else json.dumps(doc).encode()
        headers = sigv4_json_headers(self.key, self.secret, self.host, service, prefix + op,
                                     content_type, body)
        headers.update(extra)
        self.conn.request("POST", "/", body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"{op}: HTTP {r.status}: {data[:300]!r}")
        return json.loads(data) if data else {}


def start_pinned(argv, log_path, core=0, env=None):
    """`argv` started on `core`, its stdout and stderr into `log_path`."""
    with open(log_path, "w") as logf:
        return subprocess.Popen(on_core(core, argv), stdout=logf, stderr=logf, env=env)


def start_vigil(vigil, work, key_id, secret, extra_args=()):
    """`vigil server` pinned to core 0 on a free port, with its data in `work`/vigil-data, its
    log in `work`/vigil.log, the root key `key_id`/`secret` and `extra_args` (e.g. --config):
    (process, port)."""
    port = free_port()
    env = dict(os.environ, VIGIL_ROOT_ACCESS_KEY_ID=key_id, VIGIL_ROOT_SECRET_ACCESS_KEY=secret)
    proc = start_pinned([vigil, "server", "--data-dir", os.path.join(work, "vigil-data"),
                         "--listen", f"127.0.0.1:{port}", *extra_args],
                        os.path.join(work, "vigil.log"), env=env)
    return proc, port


def sample_steady(pid, seconds, read):
    """Calls `read` once a second for `seconds`, keeping the values it gives (None: none);
    (values, the CPU `pid` used meanwhile in % of one core)."""
    values = []
    c0, w0 = cpu_seconds(pid), time.time()
    for _ in range(seconds):
        time.sleep(1)
        v = read()
        if v is not None:
            values.append(v)
    return values, (cpu_seconds(pid) - c0) / (time.time() - w0) * 100


def wait_for_port(port, timeout_s=20):
    """Whether 127.0.0.1:`port` accepted a connection within `timeout_s`."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(proc, timeout_s=30):
    """SIGTERM, then SIGKILL if `proc` has not exited within `timeout_s`."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# The policies of the IAM user that --iam benchmarks sign as: a group's managed policy with a
# source-address condition and a resource pattern, an explicit deny, and a managed default —
# what a team gives an ingest service account, so that each call is evaluated against several
# statements rather than short-cut as the root key is.
BENCH_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Metrics", "Effect": "Allow",
         "Action": ["cloudwatch:PutMetricData", "cloudwatch:Get*", "cloudwatch:List*"],
         "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}}},
        {"Sid": "Logs", "Effect": "Allow", "Action": "logs:*",
         "Resource": "arn:vigil:logs:::log-group:/bench/*"},
        {"Sid": "NoControl", "Effect": "Deny",
         "Action": ["vigil:Deploy*", "vigil:Delete*", "iam:*"], "Resource": "*"},
    ],
}


def create_bench_user(vigil, endpoint, root_key, root_secret, name="bench-ingest"):
    """An IAM user with BENCH_POLICY (through a group) and ReadOnlyAccess, made with the
    `vigil iam` CLI signed by the root key: its (access key id, secret)."""
    env = dict(os.environ, VIGIL_ENDPOINT=endpoint, AWS_ACCESS_KEY_ID=root_key,
               AWS_SECRET_ACCESS_KEY=root_secret)

    def iam(*args):
        return subprocess.run([vigil, "iam", *args], env=env, check=True, capture_output=True,
                              text=True).stdout
    iam("create-user", name)
    iam("create-group", "ingest")
    iam("create-policy", "BenchIngest", "--document", json.dumps(BENCH_POLICY))
    iam("attach-policy", "--group", "ingest", "--policy", "BenchIngest")
    iam("add-user-to-group", "--user", name, "--group", "ingest")
    iam("attach-policy", "--user", name, "--policy", "ReadOnlyAccess")
    key = json.loads(iam("create-access-key", name, "--output", "json"))
    return key["access_key_id"], key["secret_access_key"]


if __name__ == "__main__":
    # For shell drivers: `benchlib.py bench-user VIGIL ENDPOINT` with the root key in
    # AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY prints "KEY_ID SECRET".
    if len(sys.argv) == 4 and sys.argv[1] == "bench-user":
        print(*create_bench_user(sys.argv[2], sys.argv[3], os.environ["AWS_ACCESS_KEY_ID"],
                                 os.environ["AWS_SECRET_ACCESS_KEY"]))
    else:
        sys.exit("usage: benchlib.py bench-user VIGIL ENDPOINT")
