#!/usr/bin/env bash
# Side-by-side load-balancer benchmark: direct vs HAProxy vs nginx vs Vigil (bench/README.md).
#
#   bench/lb/run.sh BUILD_DIR [--runs N] [--duration S] [--targets LIST] [--no-faults] [--tls]
#                   [--fault-window S] [--hang-timeout S] [--keep]
#
# BUILD_DIR holds `vigil` and bench/lb/vigil_bench_{backend,lbload}. Targets (comma-separated,
# default all): direct, haproxy, haproxy-1t (throughput only: nbthread 1, Vigil's thread count on
# two cores), nginx, vigil. Each target gets three fresh backends on free 127.0.0.1 ports.
# Throughput: wrk -t2 -c64 -d<duration>s --latency, then -t1 -c1 (per-hop latency). Faults
# (unless --no-faults): 8 keep-alive clients for twice --fault-window (10 s), one backend killed
# (-9) or frozen (SIGSTOP) at --fault-window, for HAProxy and nginx (default and tuned configs,
# backends under supervisord) and Vigil; then supervisord's and monit's crash-to-healthy and
# hang-to-replaced times (--hang-timeout: how long to wait, 10 s). A target that is not up
# within 10 s is skipped. --tls: then the same throughput runs through TLS-terminating
# listeners (haproxy-tls, haproxy-1t-tls, nginx-tls, vigil-tls; TLS 1.3, one ECDSA P-256
# certificate made per run by openssl; wrk over https, keep-alive, no verification).
# Every process is stopped at the end, even on failure.
# The peers come from Debian (scripts/install-deps --bench).
set -euo pipefail

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[[ $# -ge 1 ]] || usage
BUILD=$(cd "$1" && pwd); shift
RUNS=1 DURATION=10 TARGETS=direct,haproxy,haproxy-1t,nginx,vigil FAULTS=1 KEEP=0 WINDOW=10 HANG_TIMEOUT=10
TLS=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --targets) TARGETS=$2; shift 2 ;;
    --no-faults) FAULTS=0; shift ;;
    --tls) TLS=1; shift ;;
    --fault-window) WINDOW=$2; shift 2 ;;
    --hang-timeout) HANG_TIMEOUT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) usage ;;
  esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
BACKEND="$BUILD/bench/lb/vigil_bench_backend"
LOADER="$BUILD/bench/lb/vigil_bench_lbload"
VIGIL="$BUILD/vigil"
for bin in "$BACKEND" "$LOADER"; do
  [[ -x "$bin" ]] || { echo "run.sh: $bin is missing; build it first" >&2; exit 1; }
done
for bin in wrk haproxy nginx supervisord monit curl python3 awk openssl; do
  command -v "$bin" >/dev/null ||
    { echo "run.sh: $bin missing (scripts/install-deps --bench)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/vigil-bench-lb.XXXXXX)
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
SERVER_PIDS=()
CLK_TCK=$(getconf CLK_TCK)
export VIGIL_KEY=AKIDVIGILBENCHLB00001 VIGIL_SECRET=vigil-bench-lb-secret-000000000000000000

# Stops the servers (proxies, supervisors, Vigil) and then every backend a pidfile of $WORK
# names (supervised and Vigil-run backends write one), so nothing outlives the script.
cleanup() {
  local pid f
  for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
  while IFS= read -r f; do
    pid=$(cat "$f" 2>/dev/null) || continue
    if [[ -n $pid ]] && grep -qs "$BACKEND" "/proc/$pid/cmdline"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done < <(find "$WORK" -name '*.pid' 2>/dev/null)
  if [[ $KEEP == 1 ]]; then echo "run.sh: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
calc() { awk "BEGIN {printf \"$1\", $2}"; }  # calc FORMAT EXPR
log() { printf "[%s] %s\n" "$(date +%H:%M:%S.%N | cut -c1-12)" "$*" >&2; }
free_ports() {  # N distinct free ports, one a line (all held open until all are chosen)
  $PY -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
free_port() { free_ports 1; }
cpu_ticks() {  # user+system CPU ticks of live processes, summed
  local pid total=0
  for pid in "$@"; do
    total=$((total + $(awk '{print $14+$15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
record() { printf '%s\t%s\t%s\t%s\n' "$RUN" "$1" "$2" "$3" >>"$RESULTS"; }  # target metric value
# json_get FILE KEY...: the values of top-level keys, one a line ("inf" for null).
json_get() {
  $PY - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = d.get(k)
    print("inf" if v is None else v)
EOF
}

start() {  # start NAME CMD...: in the background, output to $WORK/NAME.log; sets PID
  local name=$1; shift
  "$@" >>"$WORK/$name.log" 2>&1 &
  PID=$!
  SERVER_PIDS+=("$PID")
}
stop_pid() {  # SIGTERM, 5 s, SIGKILL
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_servers() {  # everything started so far
  local pid
  for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid"; done
  SERVER_PIDS=()
}
# The TLS targets' certificate, made once: ECDSA P-256 for 127.0.0.1 (as --tls-self-signed
# makes), in $WORK/tls: cert.pem, key.pem and haproxy.pem (both in one file, as HAProxy wants).
TLS_DIR="$WORK/tls"
make_certificate() {
  mkdir -p "$TLS_DIR"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" 2>"$TLS_DIR/openssl.log"
  cat "$TLS_DIR/cert.pem" "$TLS_DIR/key.pem" >"$TLS_DIR/haproxy.pem"
}
# tls_session URL: "TLSv1.3 TLS_AES_256_GCM_SHA384", what openssl s_client negotiates at URL.
tls_session() {
  local hostport=${1#https://}
  hostport=${hostport%%/*}
  openssl s_client -connect "$hostport" </dev/null 2>/dev/null |
    awk '/^New, / {print $2, $NF; exit}'
}

wait_http() {  # URL PID NAME [SECONDS]: until URL answers 2xx; fails if PID dies or time runs out
  local i
  for i in $(seq $((${4:-10} * 20))); do
    curl -fsSk -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { log "$3 died; log:"; tail -20 "$WORK/$3.log" >&2; return 1; }
    sleep 0.05
  done
  log "$3 not answering $1 after ${4:-10} s"; return 1
}

# Three backends under supervisord (autorestart, as one would run an app behind a proxy), in
# DIR. Sets PORTS (3 ports), SUP_PID; pidfiles DIR/b1.pid..b3.pid.
start_backends() {
  local dir=$1 i conf="$1/supervisord.conf"
  mapfile -t PORTS < <(free_ports 3)
  cat >"$conf" <<EOF
[supervisord]
nodaemon=true
user=root
logfile=$dir/supervisord.log
pidfile=$dir/supervisord.pid
childlogdir=$dir
EOF
  for i in 1 2 3; do
    cat >>"$conf" <<EOF

[program:b$i]
command=$BACKEND --port ${PORTS[$((i - 1))]} --pidfile $dir/b$i.pid
autorestart=true
stopwaitsecs=2
stdout_logfile=$dir/b$i.log
redirect_stderr=true
EOF
  done
  start "$(basename "$dir").supervisord" supervisord -c "$conf"
  SUP_PID=$PID
  for i in 0 1 2; do
    wait_http "http://127.0.0.1:${PORTS[$i]}/health" "$SUP_PID" "$(basename "$dir").supervisord" ||
      return 1
  done
}
backend_pids() { cat "$1"/b[123].pid; }  # DIR

haproxy_conf() {  # DIR VARIANT(default|tuned|1t) PORT [tls]
  local dir=$1 variant=$2 port=$3 tls=${4:-} i server_opts threads=2 bind_opts=""
  [[ -z $tls ]] || bind_opts=" ssl crt $TLS_DIR/haproxy.pem ssl-min-ver TLSv1.3"
  if [[ $variant == 1t ]]; then threads=1 variant=default; fi
  if [[ $variant == default ]]; then
    server_opts="check inter 2s fall 3 rise 2"
  else
    server_opts="check inter 200ms fall 2 rise 1 observe layer7 error-limit 1 on-error mark-down"
  fi
  {
    echo "global"
    echo "  nbthread $threads"
    echo "  maxconn 4096"
    echo "defaults"
    echo "  mode http"
    echo "  option http-keep-alive"
    echo "  http-reuse always"
    if [[ $variant == default ]]; then  # Debian's haproxy.cfg timeouts
      echo "  timeout connect 5s"
      echo "  timeout client 50s"
      echo "  timeout server 50s"
    else
      echo "  timeout connect 200ms"
      echo "  timeout client 50s"
      echo "  timeout server 500ms"
      echo "  timeout check 300ms"
      echo "  retries 3"
      echo "  option redispatch 1"
      echo "  retry-on all-retryable-errors"
    fi
    echo "frontend fe"
    echo "  bind 127.0.0.1:$port$bind_opts"
    echo "  default_backend be"
    echo "backend be"
    echo "  balance roundrobin"
    echo "  option httpchk GET /health"
    for i in 0 1 2; do echo "  server b$((i + 1)) 127.0.0.1:${PORTS[$i]} $server_opts"; done
  } >"$dir/haproxy.cfg"
}

nginx_conf() {  # DIR VARIANT PORT [tls]
  local dir=$1 variant=$2 port=$3 tls=${4:-} i server_opts="" proxy_opts="" listen_opts=""
  local tls_opts=""
  if [[ -n $tls ]]; then
    listen_opts=" ssl"
    tls_opts="ssl_certificate $TLS_DIR/cert.pem;
    ssl_certificate_key $TLS_DIR/key.pem;
    ssl_protocols TLSv1.3;"
  fi
  mkdir -p "$dir/nginx-tmp"
  if [[ $variant == tuned ]]; then
    server_opts=" max_fails=1 fail_timeout=2s"
    proxy_opts="proxy_next_upstream error timeout http_502 http_503 http_504;
      proxy_next_upstream_tries 3;
      proxy_connect_timeout 200ms;
      proxy_send_timeout 300ms;
      proxy_read_timeout 300ms;"
  fi
  cat >"$dir/nginx.conf" <<EOF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $dir/nginx-tmp/body;
  proxy_temp_path $dir/nginx-tmp/proxy;
  fastcgi_temp_path $dir/nginx-tmp/fastcgi;
  uwsgi_temp_path $dir/nginx-tmp/uwsgi;
  scgi_temp_path $dir/nginx-tmp/scgi;
  upstream be {
$(for i in 0 1 2; do echo "    server 127.0.0.1:${PORTS[$i]}$server_opts;"; done)
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$port$listen_opts;
    $tls_opts
    location / {
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      $proxy_opts
    }
  }
}
EOF
}

# start_proxy KIND VARIANT DIR [tls]: backends (supervised) and the proxy in front of them
# (terminating TLS with "tls"). Sets URL, PROXY_PIDS (for CPU), FAULT_PID (backend 2), FAULT_ID.
# Fails when it is not up in 10 s.
start_proxy() {
  local kind=$1 variant=$2 dir=$3 tls=${4:-} port
  mkdir -p "$dir"
  start_backends "$dir" || return 1
  port=$(free_port)
  URL="http${tls:+s}://127.0.0.1:$port/"
  case $kind in
    direct) URL="http://127.0.0.1:${PORTS[0]}/"; PROXY_PIDS=() ;;
    haproxy)
      haproxy_conf "$dir" "$variant" "$port" "$tls"
      start "$(basename "$dir").haproxy" haproxy -db -f "$dir/haproxy.cfg"
      PROXY_PIDS=("$PID")
      wait_http "$URL" "$PID" "$(basename "$dir").haproxy" || return 1 ;;
    nginx)
      nginx_conf "$dir" "$variant" "$port" "$tls"
      start "$(basename "$dir").nginx" nginx -c "$dir/nginx.conf" -g 'daemon off;'
      local master=$PID
      wait_http "$URL" "$master" "$(basename "$dir").nginx" || return 1
      mapfile -t PROXY_PIDS < <(echo "$master"; pgrep -P "$master") ;;
  esac
  FAULT_PID=$(cat "$dir/b2.pid")
  mapfile -t BACKEND_PIDS < <(backend_pids "$dir")
}

# start_vigil DIR [tls]: Vigil running three instances behind its load balancer (the app's
# listener terminating TLS with "tls"). Sets URL, REGISTRY, PROXY_PIDS, BACKEND_PIDS, FAULT_PID,
# FAULT_ID; fails when Vigil or three healthy instances are not there within 10 s.
start_vigil() {
  local dir=$1 tls=${2:-} api_port lb_port i
  mkdir -p "$dir"
  [[ -x $VIGIL ]] || { log "vigil: skipped: $VIGIL is missing"; return 1; }
  read -r api_port lb_port < <(free_ports 2 | paste -sd' ')
  cat >"$dir/vigil.yaml" <<EOF
listen: 127.0.0.1:$api_port
data_dir: $dir/vigil-data
${VIGIL_LB_THREADS:+load_balancer: {threads: $VIGIL_LB_THREADS\}}
apps:
  - name: bench
    command: ["$BACKEND", "--port", "\${PORT}", "--pidfile", "$dir/\${INSTANCE_ID}.pid"]
    instances: 3
    listen: 127.0.0.1:$lb_port
    health_check: { path: /health, interval: 1s, timeout: 500ms, healthy_threshold: 2, unhealthy_threshold: 2 }
    liveness_check: { path: /health, interval: 500ms, timeout: 400ms, unhealthy_threshold: 3 }
EOF
  [[ -z $tls ]] ||
    echo "    tls: { cert: $TLS_DIR/cert.pem, key: $TLS_DIR/key.pem }" >>"$dir/vigil.yaml"
  VIGIL_ROOT_ACCESS_KEY_ID=$VIGIL_KEY VIGIL_ROOT_SECRET_ACCESS_KEY=$VIGIL_SECRET \
    start "$(basename "$dir").vigil" "$VIGIL" server --config "$dir/vigil.yaml"
  PROXY_PIDS=("$PID")
  local log_file
  log_file="$WORK/$(basename "$dir").vigil.log"
  for i in $(seq 200); do
    grep -q "vigil listening on" "$log_file" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  if ! grep -q "vigil listening on" "$log_file" 2>/dev/null; then
    log "vigil: skipped: not listening within 10 s; log:"; tail -5 "$log_file" >&2
    return 1
  fi
  # The key Vigil uses (the environment's on a fresh data dir; the file is the authority).
  VIGIL_KEY=$(awk -F' *= *' '$1=="aws_access_key_id" {print $2}' "$dir/vigil-data/credentials")
  VIGIL_SECRET=$(awk -F' *= *' '$1=="aws_secret_access_key" {print $2}' "$dir/vigil-data/credentials")
  REGISTRY="http://127.0.0.1:$api_port/v1/apps/bench/instances"
  if ! $PY "$HERE/vigil_registry.py" wait "$REGISTRY" 3 10 >"$dir/instances.json" \
       2>>"$log_file"; then
    log "vigil: skipped: three healthy instances not listed in $REGISTRY within 10 s; log:"
    tail -5 "$log_file" >&2
    return 1
  fi
  URL="http${tls:+s}://127.0.0.1:$lb_port/"
  # The fault goes to the second instance by id ("bench-2" when slots count from 1).
  read -r FAULT_ID FAULT_PID BACKEND_PIDS_TEXT < <($PY -c '
import json, sys
d = sorted(json.load(open(sys.argv[1]))["instances"], key=lambda i: i["id"])
print(d[1]["id"], d[1]["pid"], " ".join(str(i["pid"]) for i in d))
' "$dir/instances.json")
  read -r -a BACKEND_PIDS <<<"$BACKEND_PIDS_TEXT"
}

# wrk_field FILE: requests/s, p50 ms, p99 ms, errors (non-2xx + socket errors).
wrk_fields() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return v
    }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { gsub(",", ""); err += $4 + $6 + $8 + $10 }
    END { printf "%s %s %s %d\n", rps, p50, p99, err }' "$1"
}

bench_throughput() {  # TARGET
  local target=$1 out="$WORK/$1.wrk" t0 t1 c0 c1 b0 b1 rps p50 p99 err
  wrk -t2 -c64 -d1s "$URL" >/dev/null  # warm-up: connections, caches, checks settled
  c0=$(cpu_ticks "${PROXY_PIDS[@]}"); b0=$(cpu_ticks "${BACKEND_PIDS[@]}"); t0=$(date +%s.%N)
  wrk -t2 -c64 -d"${DURATION}s" --latency "$URL" >"$out.c64"
  c1=$(cpu_ticks "${PROXY_PIDS[@]}"); b1=$(cpu_ticks "${BACKEND_PIDS[@]}"); t1=$(date +%s.%N)
  read -r rps p50 p99 err < <(wrk_fields "$out.c64")
  record "$target" rps "$rps"; record "$target" p50_ms "$p50"; record "$target" p99_ms "$p99"
  record "$target" errors "$err"
  if [[ ${#PROXY_PIDS[@]} -gt 0 ]]; then
    record "$target" proxy_cpu_pct "$(calc %.1f "($c1-$c0)/$CLK_TCK/($t1-$t0)*100")"
  fi
  record "$target" backend_cpu_pct "$(calc %.1f "($b1-$b0)/$CLK_TCK/($t1-$t0)*100")"
  log "$target: -c64 $rps req/s, p50 $p50 ms, p99 $p99 ms, $err errors"
  wrk -t1 -c1 -d"${DURATION}s" --latency "$URL" >"$out.c1"
  read -r rps p50 p99 err < <(wrk_fields "$out.c1")
  record "$target" c1_rps "$rps"; record "$target" c1_p50_ms "$p50"
  record "$target" c1_p99_ms "$p99"
  log "$target: -c1 $rps req/s, p50 $p50 ms, p99 $p99 ms"
}

# fault_load TARGET SIGNAL(KILL|STOP) DIR: 8 clients for 2 windows, the fault at the first;
# records what the clients saw, and (Vigil) what the registry said.
fault_load() {
  local target=$1 sig=$2 dir=$3 name=${2,,} out="$3/$2.json" poller="" f v
  sleep 1  # let the proxy's checks settle
  if [[ -n ${REGISTRY:-} ]]; then
    $PY "$HERE/vigil_registry.py" poll "$REGISTRY" "$dir/$sig.registry" 20 &
    poller=$!
    SERVER_PIDS+=("$poller")
  fi
  "$LOADER" load "$URL" --connections 8 --duration "$((2 * WINDOW))" --fault-at "$WINDOW" \
    --window "$WINDOW" --fault-pid "$FAULT_PID" --fault-signal "$sig" \
    --timeline "$dir/$sig.timeline" >"$out"
  for f in failed over_1s over_500ms max_ms before_rps after_rps after_before out_s back_s; do
    record "$target" "$name.$f" "$(json_get "$out" "$f")"
  done
  if [[ -n $poller ]]; then
    stop_pid "$poller"
    read -r v f < <($PY "$HERE/vigil_registry.py" timeline "$dir/$sig.registry" "$FAULT_ID" \
                    "$(json_get "$out" fault_epoch_ms)")
    record "$target" "$name.registry_out_s" "$v"; record "$target" "$name.registry_back_s" "$f"
  fi
  log "$target $sig: $(cut -c1-400 "$out")"
  [[ $sig == STOP ]] && kill -CONT "$FAULT_PID" 2>/dev/null || true
}

bench_faults() {  # TARGET KIND [VARIANT]
  local target=$1 kind=$2 variant=${3:-} sig dir
  for sig in KILL STOP; do
    dir="$WORK/$target.$sig.run$RUN"
    REGISTRY=
    if [[ $kind == vigil ]]; then
      start_vigil "$dir" || { stop_servers; return 0; }
    else
      start_proxy "$kind" "$variant" "$dir" || { log "$target: skipped (not up)"; stop_servers; return 0; }
    fi
    fault_load "$target" "$sig" "$dir"
    stop_servers
  done
}

# Supervisors alone: kill -9 a backend, then SIGSTOP its successor; time until a new process
# answers /health on its port (vigil_bench_lbload recover).
bench_supervisor() {  # NAME(supervisord|monit)
  local name=$1 dir="$WORK/$1.run$RUN" port pid
  mkdir -p "$dir"
  if [[ $name == supervisord ]]; then
    start_backends "$dir" || { stop_servers; return 0; }
    port=${PORTS[0]}
  else
    port=$(free_port)
    # monit waits for a start program to exit: the script starts the backend in the background.
    printf '#!/bin/sh\n%s --port %s --pidfile %s >>%s 2>&1 &\n' "$BACKEND" "$port" \
      "$dir/b1.pid" "$dir/b1.log" >"$dir/start-b1.sh"
    cat >"$dir/monitrc" <<EOF
set daemon 1
set logfile $dir/monit.log
set pidfile $dir/monit.pid
set idfile $dir/monit.id
set statefile $dir/monit.state
check process b1 with pidfile $dir/b1.pid
  start program = "/bin/sh $dir/start-b1.sh" with timeout 2 seconds
  stop program = "/bin/sh -c 'kill -KILL \$(cat $dir/b1.pid)'"
  if failed port $port protocol http request /health with timeout 1 seconds for 1 cycles then restart
EOF
    chmod 600 "$dir/monitrc"
    # Under subreaper.py: the backgrounded backend's parent, which reaps it the moment it dies.
    start "$name.run$RUN" "$PY" "$HERE/subreaper.py" monit -I -c "$dir/monitrc"
    wait_http "http://127.0.0.1:$port/health" "$PID" "$name.run$RUN" 15 ||
      { stop_servers; return 0; }
    sleep 2  # monit's first cycles done: it knows the process
  fi
  pid=$(cat "$dir/b1.pid")
  "$LOADER" recover --port "$port" --pid "$pid" --signal KILL --timeout "$HANG_TIMEOUT" \
    >"$dir/kill.json"
  record "$name" crash_ms "$(json_get "$dir/kill.json" recover_ms)"
  log "$name kill -9: $(cat "$dir/kill.json")"
  # monit pauses connection tests while a process is younger than its start timeout (2 s here,
  # 30 s by default): test the hang on a settled process, as it would be in production.
  sleep 3
  pid=$(cat "$dir/b1.pid")
  "$LOADER" recover --port "$port" --pid "$pid" --signal STOP --timeout "$HANG_TIMEOUT" \
    >"$dir/stop.json"
  record "$name" hang_ms "$(json_get "$dir/stop.json" recover_ms)"
  record "$name" hang_timeout_s "$HANG_TIMEOUT"
  log "$name SIGSTOP: $(cat "$dir/stop.json")"
  kill -CONT "$pid" 2>/dev/null || true
  stop_servers
}

has_target() { [[ ",$TARGETS," == *",$1,"* ]]; }

log "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); work dir $WORK"
log "peers: $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3)," \
  "wrk $(dpkg-query -W -f='${Version}' wrk 2>/dev/null)," \
  "supervisord $(supervisord -v), monit $(monit -V | head -1 | awk '{print $NF}')"
RUN=0
[[ $TLS == 0 ]] || make_certificate
start_port=$(free_port)
"$LOADER" startup --port "$start_port" --runs 9 -- "$BACKEND" --port "$start_port" \
  >"$WORK/startup.json"
record backend start_ms "$(json_get "$WORK/startup.json" start_ms_median)"
record backend fault_window_s "$WINDOW"
log "backend start (exec to first 200 on /health): $(cat "$WORK/startup.json")"

for RUN in $(seq "$RUNS"); do
  log "run $RUN/$RUNS: throughput (wrk -t2 -c64 and -t1 -c1, ${DURATION} s each)"
  for target in direct haproxy haproxy-1t nginx vigil; do
    has_target "$target" || continue
    dir="$WORK/$target.tput.run$RUN"
    REGISTRY=
    if [[ $target == vigil ]]; then
      start_vigil "$dir" || { stop_servers; continue; }
    elif [[ $target == haproxy-1t ]]; then
      start_proxy haproxy 1t "$dir" || { log "$target: skipped (not up)"; stop_servers; continue; }
    else
      start_proxy "$target" default "$dir" || { log "$target: skipped (not up)"; stop_servers; continue; }
    fi
    bench_throughput "$target"
    stop_servers
  done
  if [[ $TLS == 1 ]]; then
    log "run $RUN/$RUNS: throughput over TLS 1.3 (the same, each proxy terminating TLS)"
    for target in haproxy haproxy-1t nginx vigil; do
      has_target "$target" || continue
      dir="$WORK/$target-tls.tput.run$RUN"
      REGISTRY=
      case $target in
        vigil) start_vigil "$dir" tls || { stop_servers; continue; } ;;
        haproxy-1t) start_proxy haproxy 1t "$dir" tls ||
          { log "$target-tls: skipped (not up)"; stop_servers; continue; } ;;
        *) start_proxy "$target" default "$dir" tls ||
          { log "$target-tls: skipped (not up)"; stop_servers; continue; } ;;
      esac
      log "$target-tls: $(tls_session "$URL")"
      bench_throughput "$target-tls"
      stop_servers
    done
  fi
  [[ $FAULTS == 1 ]] || continue
  log "run $RUN/$RUNS: faults under load (8 clients, fault at ${WINDOW} s, ${WINDOW} s after)"
  if has_target haproxy; then
    bench_faults haproxy-default haproxy default
    bench_faults haproxy-tuned haproxy tuned
  fi
  if has_target nginx; then
    bench_faults nginx-default nginx default
    bench_faults nginx-tuned nginx tuned
  fi
  if has_target vigil; then bench_faults vigil vigil; fi
  log "run $RUN/$RUNS: supervisors (crash-to-healthy, hang-to-replaced)"
  bench_supervisor supervisord
  bench_supervisor monit
done

$PY "$HERE/report.py" "$RESULTS"
