#!/usr/bin/env bash
# The dashboard's speed side by side: Vigil's web UI vs Prometheus' own (bench/README.md).
#
#   bench/dashboard/run.sh BUILD_DIR [--runs N] [--warmup W] [--keep]
#
# Starts Vigil (BUILD_DIR/vigil) and Prometheus, each in a fresh temp dir on a free 127.0.0.1
# port, loads the same 5 series × one day at 10 s (ending now) into both, then drives headless
# chromium (drive.mjs) through each UI's main page and the 5-series chart, N runs (default 3)
# after W warm-up runs (default 1, not counted), and prints each run and the medians with
# Vigil / Prometheus. VictoriaMetrics is started too, to see whether it serves vmui (Debian's
# 1.79 does not, so it is left out). Every process is stopped and the temp dir removed at the
# end, also on failure or Ctrl-C (--keep keeps the dir). The peers come from Debian, chromium
# and node too, playwright-core from web/node_modules (scripts/install-deps --bench).
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[[ $# -ge 1 ]] || usage
BUILD=$(cd "$1" && pwd); shift
RUNS=3 WARMUP=1 KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) usage ;;
  esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
VIGIL="$BUILD/vigil"
[[ -x $VIGIL ]] || { echo "run.sh: $VIGIL is missing; build it first" >&2; exit 1; }
for bin in prometheus promtool node curl python3; do
  command -v "$bin" >/dev/null || { echo "run.sh: $bin missing (scripts/install-deps --bench)" >&2; exit 1; }
done
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || { echo "run.sh: ${CHROMIUM:-/usr/bin/chromium} missing (scripts/install-deps)" >&2; exit 1; }
[[ -d $ROOT/web/node_modules/playwright-core ]] ||
  { echo "run.sh: web/node_modules/playwright-core missing (scripts/install-deps or npm ci --prefix web)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/vigil-bench-dashboard.XXXXXX)
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
SERVER_PIDS=()
ACCESS_KEY=AKIDVIGILBENCH0000001
SECRET_KEY=vigil-bench-secret-key-0000000000000000000
PY=/usr/bin/python3  # Debian's: a python3 earlier on PATH may be a slow-starting shim
[[ -x $PY ]] || PY=python3

cleanup() {
  local pid
  if [[ -n ${DRIVER_PID:-} ]]; then  # drive.mjs closes its chromium on SIGTERM
    kill -TERM "$DRIVER_PID" 2>/dev/null || true
    wait "$DRIVER_PID" 2>/dev/null || true
  fi
  # Chromium's process group (led by the browser process drive.mjs wrote down) and its temporary
  # profile, should they have outlived drive.mjs.
  if [[ -s $WORK/chromium.pid ]]; then
    local group profile
    { read -r group; read -r profile; } <"$WORK/chromium.pid" || true
    if [[ -n $group ]] && kill -0 -- "-$group" 2>/dev/null; then
      kill -KILL -- "-$group" 2>/dev/null || true
      sleep 0.5
    fi
    [[ $profile == /tmp/playwright_chromiumdev_profile-* ]] && rm -rf "$profile"
  fi
  for pid in "${SERVER_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [[ $KEEP == 1 ]]; then echo "run.sh: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE  # output cut (e.g. | head): still stop the servers

log() { printf "[%s] %s\n" "$(date +%H:%M:%S)" "$*" >&2; }
free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
start() {  # NAME CMD...: in the background, its output in $WORK/NAME.log; sets PID
  local name=$1; shift
  "$@" >>"$WORK/$name.log" 2>&1 &
  PID=$!
  SERVER_PIDS+=("$PID")
}
wait_ready() {  # URL PID NAME
  for _ in $(seq 600); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { log "$3 died; log:"; tail -20 "$WORK/$3.log" >&2; return 1; }
    sleep 0.1
  done
  log "$3 not ready after 60 s"; return 1
}

log "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); work dir $WORK"
log "prometheus $(dpkg-query -W -f='${Version}' prometheus 2>/dev/null)," \
  "chromium $(dpkg-query -W -f='${Version}' chromium 2>/dev/null), node $(node --version)"

# The day of data ends at the start of the run, on a 10 s boundary.
END=$(( $(date +%s) / 10 * 10 ))

# Prometheus: the day backfilled into blocks (promtool) before it starts. Its head is empty, so
# blocks up to now overlap nothing; the query reads them like any persisted block.
mkdir -p "$WORK/prometheus-data"
$PY "$HERE/data.py" openmetrics "$END" "$WORK/wave.om"
promtool tsdb create-blocks-from openmetrics --quiet "$WORK/wave.om" "$WORK/prometheus-data" \
  >"$WORK/promtool.log"
printf 'global: {}\nscrape_configs: []\n' >"$WORK/prometheus.yml"
port=$(free_port)
start prometheus prometheus --config.file="$WORK/prometheus.yml" \
  --storage.tsdb.path="$WORK/prometheus-data" --storage.tsdb.retention.time=30d \
  --web.listen-address="127.0.0.1:$port" --log.level=warn
PROMETHEUS_URL="http://127.0.0.1:$port"
wait_ready "$PROMETHEUS_URL/-/ready" "$PID" prometheus
blocks=("$WORK"/prometheus-data/01*)
log "prometheus on $PROMETHEUS_URL, ${#blocks[@]} blocks backfilled"

# Vigil: a fresh data dir, the day sent as PutMetricData (signed, 1,000 datums a call).
port=$(free_port)
VIGIL_ROOT_ACCESS_KEY_ID=$ACCESS_KEY VIGIL_ROOT_SECRET_ACCESS_KEY=$SECRET_KEY \
  start vigil "$VIGIL" server --data-dir "$WORK/vigil-data" --listen "127.0.0.1:$port"
VIGIL_URL="http://127.0.0.1:$port"
wait_ready "$VIGIL_URL/healthz" "$PID" vigil
$PY "$HERE/data.py" vigil "$END" "$port" "$ACCESS_KEY" "$SECRET_KEY"
log "vigil on $VIGIL_URL, loaded"

# VictoriaMetrics' vmui, when this build serves it (Debian's 1.79 is built without it).
if command -v victoria-metrics >/dev/null; then
  port=$(free_port)
  start vm victoria-metrics -storageDataPath="$WORK/vm-data" -httpListenAddr="127.0.0.1:$port" \
    -loggerLevel=ERROR
  wait_ready "http://127.0.0.1:$port/health" "$PID" vm
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/vmui/")
  log "victoria-metrics $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null):" \
    "/vmui/ answers $code; $([[ $code == 200 ]] && echo 'served, but drive.mjs has no driver for vmui yet' || echo 'no UI'): left out"
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true
fi

node "$HERE/drive.mjs" --out "$RESULTS" --runs "$RUNS" --warmup "$WARMUP" \
  --vigil "$VIGIL_URL" --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" \
  --prometheus "$PROMETHEUS_URL" --pid-file "$WORK/chromium.pid" &
DRIVER_PID=$!
wait "$DRIVER_PID" || { rc=$?; DRIVER_PID=; log "drive.mjs failed ($rc)"; exit 1; }
DRIVER_PID=

log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
$PY "$HERE/report.py" "$RESULTS"
