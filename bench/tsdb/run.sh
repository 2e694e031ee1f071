#!/usr/bin/env bash
# Side-by-side metrics-store benchmark: Vigil vs VictoriaMetrics vs Prometheus (bench/README.md).
#
#   bench/tsdb/run.sh BUILD_DIR [--runs N] [--series N] [--hours H] [--connections C]
#                     [--targets LIST] [--no-per-kind] [--pmd-hours H] [--no-prebuild] [--keep]
#                     [--q3-days D] [--q3-series N] [--encryption] [--iam]
#
# BUILD_DIR holds `vigil` and `bench/tsdb/vigil_bench_tsdb`. Targets (comma-separated, default all):
# vm, prometheus, vigil-rw, vigil-pmd, vigil-inproc. Per-kind on-disk size loads each kind of
# series into a fresh VictoriaMetrics, Prometheus and Vigil store (in-process) unless
# --no-per-kind. Every server runs in a fresh temp dir on free 127.0.0.1 ports and is stopped
# at the end, even on failure. The peers come from Debian (scripts/install-deps --bench).
# --pmd-hours loads Vigil's PutMetricData path with a shorter day than the others (its JSON
# path is the slowest; the default is the same day as every other target). HTTP loads build every
# request body first and time only the sending (--no-prebuild: encode while sending).
# q3 loads --q3-days (90; 0 skips it) of --q3-series (100) series into fresh VictoriaMetrics and
# Vigil (remote-write) stores and reads one series over the whole range at 1-hour periods.
# --encryption runs each Vigil HTTP target (vigil-rw, vigil-pmd) twice, the second time with
# `encryption: {metrics: true}` as TARGET+enc, and prints the ratios of ingest rate, CPU, disk
# and query times. --iam does the same as TARGET+iam signed by an IAM user with policies
# (bench/benchlib.py BENCH_POLICY) instead of the root key: the cost of authorization.
set -euo pipefail

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[[ $# -ge 1 ]] || usage
BUILD=$(cd "$1" && pwd); shift
RUNS=1 SERIES=10000 HOURS=24 CONNECTIONS=4 PER_KIND=1 KEEP=0 PMD_HOURS= PREBUILD=--prebuild
Q3_DAYS=90 Q3_SERIES=100 ENCRYPTION=0 IAM=0
TARGETS=vm,prometheus,vigil-rw,vigil-pmd,vigil-inproc
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --series) SERIES=$2; shift 2 ;;
    --hours) HOURS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --targets) TARGETS=$2; shift 2 ;;
    --no-per-kind) PER_KIND=0; shift ;;
    --pmd-hours) PMD_HOURS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-prebuild) PREBUILD=; shift ;;
    --q3-days) Q3_DAYS=$2; shift 2 ;;
    --q3-series) Q3_SERIES=$2; shift 2 ;;
    --encryption) ENCRYPTION=1; shift ;;
    --iam) IAM=1; shift ;;
    *) usage ;;
  esac
done

LOADER="$BUILD/bench/tsdb/vigil_bench_tsdb"
[[ -x $LOADER ]] || LOADER="$BUILD/vigil_bench_tsdb"
VIGIL="$BUILD/vigil"
HERE=$(cd "$(dirname "$0")" && pwd)
bins=("$LOADER")
[[ ",$TARGETS," == *,vigil-rw,* || ",$TARGETS," == *,vigil-pmd,* ]] && bins+=("$VIGIL")
for bin in "${bins[@]}"; do
  [[ -x "$bin" ]] || { echo "run.sh: $bin is missing; build it first" >&2; exit 1; }
done
for bin in victoria-metrics prometheus curl python3 awk du; do
  command -v "$bin" >/dev/null || { echo "run.sh: $bin missing (scripts/install-deps --bench)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/vigil-bench.XXXXXX)
RESULTS="$WORK/results.tsv"
: >"$RESULTS"
SERVER_PIDS=()
ACCESS_KEY=AKIDVIGILBENCH0000001
SECRET_KEY=vigil-bench-secret-key-0000000000000000000
CLK_TCK=$(getconf CLK_TCK)

cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [[ $KEEP == 1 ]]; then echo "run.sh: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE  # output cut (e.g. | head): still stop the servers

# Debian's interpreter: a `python3` earlier on PATH may be a slow-starting shim.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
calc() { awk "BEGIN {printf \"$1\", $2}"; }  # calc FORMAT EXPR
log() { printf "[%s] %s\n" "$(date +%H:%M:%S.%N | cut -c1-12)" "$*" >&2; }
free_port() {
  $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
cpu_seconds() {  # user+system CPU of a live process, in seconds
  awk -v t="$CLK_TCK" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"
}
status_kb() { awk -v f="$2:" '$1==f {print $2}' "/proc/$1/status"; }
dir_bytes() { du -sb "$1" | cut -f1; }
record() { printf '%s\t%s\t%s\t%s\n' "$RUN" "$1" "$2" "$3" >>"$RESULTS"; }  # target metric value
result_field() { grep '^RESULT' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k {print $2}' | tail -1; }

wait_ready() {  # URL PID NAME
  for _ in $(seq 600); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { log "$3 died; log:"; tail -20 "$WORK/$3.log" >&2; return 1; }
    sleep 0.1
  done
  log "$3 not ready after 60 s"; return 1
}

# Starts a server in the background: start NAME CMD... ; sets PID.
start() {
  local name=$1; shift
  "$@" >>"$WORK/$name.log" 2>&1 &
  PID=$!
  SERVER_PIDS+=("$PID")
}

# Stops PID with SIGTERM, following its CPU and peak RSS until it exits (Vigil flushes its head
# on the way out). Sets STOP_CPU and STOP_HWM_KB to the last values seen.
stop_and_follow() {
  local pid=$1 cpu hwm
  STOP_CPU=$(cpu_seconds "$pid"); STOP_HWM_KB=$(status_kb "$pid" VmHWM)
  kill -TERM "$pid"
  for _ in $(seq 3000); do
    cpu=$(cpu_seconds "$pid" 2>/dev/null) || break
    hwm=$(status_kb "$pid" VmHWM 2>/dev/null) || break
    [[ -n $cpu && -n $hwm ]] || break
    STOP_CPU=$cpu STOP_HWM_KB=$hwm
    sleep 0.05
  done
  wait "$pid" 2>/dev/null || true
}

# load_into TARGET PID MODE URL [loader args...]: the first step alone (every series gets its
# first sample, for memory per new series), then the rest; records rate, CPU and memory.
load_into() {
  local target=$1 pid=$2 mode=$3 url=$4; shift 4
  local out="$WORK/$target.load"
  local rss0 rss1 cpu0 cpu1 s0 s1 t0 t1 n
  sleep 1
  rss0=$(status_kb "$pid" VmRSS); cpu0=$(cpu_seconds "$pid")
  "$LOADER" load "$mode" "$url" "${DATA[@]}" --to-step 1 $PREBUILD "$@" >"$out.0"
  rss1=$(status_kb "$pid" VmRSS)
  "$LOADER" load "$mode" "$url" "${DATA[@]}" --from-step 1 $PREBUILD "$@" >"$out.1"
  cpu1=$(cpu_seconds "$pid")
  s0=$(result_field "$out.0" samples); s1=$(result_field "$out.1" samples)
  t0=$(result_field "$out.0" seconds); t1=$(result_field "$out.1" seconds)
  n=$((s0 + s1))
  LOADED_SAMPLES=$n
  record "$target" samples "$n"
  record "$target" seconds "$(calc %.3f "$t0+$t1")"
  record "$target" samples_per_s "$(calc %.0f "$n/($t0+$t1)")"
  record "$target" server_cpu_s "$(calc %.2f "$cpu1-$cpu0")"
  record "$target" samples_per_cpu_s "$(calc %.0f "$n/($cpu1-$cpu0 > 0.01 ? $cpu1-$cpu0 : 0.01)")"
  record "$target" client_cpu_s "$(calc %.3f "$(result_field "$out.0" client_cpu_s)+$(result_field "$out.1" client_cpu_s)")"
  record "$target" bytes_per_new_series "$(calc %.0f "($rss1-$rss0)*1024/$SERIES_LOADED")"
  record "$target" rss_loaded_mib "$(calc %.1f "$(status_kb "$pid" VmRSS)/1024")"
  log "$target: $(grep -v '^RESULT' "$out.1")"
}

# Waits (at most 2 minutes) until PID's CPU use stays below 10% of a core for a second: queries
# are measured on a settled store, not against background merges (VictoriaMetrics' part merges,
# Vigil's compaction after a restart), which would measure the merge as much as the query.
wait_idle() {  # PID
  local prev now quiet=0
  prev=$(cpu_seconds "$1")
  for _ in $(seq 240); do
    sleep 0.5
    now=$(cpu_seconds "$1")
    if awk "BEGIN {exit !($now - $prev < 0.05)}"; then quiet=$((quiet + 1)); else quiet=0; fi
    [[ $quiet -ge 2 ]] && return 0
    prev=$now
  done
  log "warning: process $1 still busy; measuring anyway"
}

query_into() {  # TARGET KIND(vigil|promql) URL PID [args...]
  local target=$1 kind=$2 url=$3 pid=$4; shift 4
  local out="$WORK/$target.query"
  wait_idle "$pid"
  "$LOADER" query "$kind" "$url" "${DATA[@]}" --query-series "$QUERY_SERIES" "$@" >"$out"
  record "$target" q1_median_ms "$(result_field "$out" q1_median_ms)"
  record "$target" q1_p99_ms "$(result_field "$out" q1_p99_ms)"
  record "$target" q1_points "$(result_field "$out" points)"
  log "$target: $(grep -v '^RESULT' "$out")"
  # q2 reads every counter of the day: a few repetitions are enough. The server's CPU per
  # query beside the wall time: what a query costs even when other work shares the cores.
  local cpu0; cpu0=$(cpu_seconds "$pid")
  "$LOADER" query "$kind" "$url" "${DATA[@]}" --q2 --warmup 2 --reps 10 "$@" >"$out.q2"
  record "$target" q2_median_ms "$(result_field "$out.q2" q2_median_ms)"
  record "$target" q2_points "$(result_field "$out.q2" points)"
  local cpu_ms; cpu_ms=$(calc %.1f "($(cpu_seconds "$pid")-$cpu0)*1000/12")  # 2 warm-up + 10
  record "$target" q2_server_cpu_ms "$cpu_ms"
  log "$target: $(grep -v '^RESULT' "$out.q2"), server CPU $cpu_ms ms a query"
}

start_vm() {  # DIR [RETENTION] -> PID, URL
  local port; port=$(free_port)
  start vm victoria-metrics -storageDataPath="$1" -httpListenAddr="127.0.0.1:$port" \
    -retentionPeriod="${2:-30d}" -loggerLevel=ERROR
  URL="http://127.0.0.1:$port"
  wait_ready "$URL/health" "$PID" vm
}
# VictoriaMetrics: flush buffered rows, wait until parts on disk hold every loaded sample (1.79
# writes them a few seconds after /internal/force_flush; a part's directory name starts with its
# row count), then until no merge has run for 3 s.
flush_vm() {  # URL DIR SAMPLES
  curl -fsS "$1/internal/force_flush" >/dev/null
  local rows active quiet=0
  for _ in $(seq 600); do
    rows=$(find "$2/data/small" "$2/data/big" -mindepth 2 -maxdepth 2 -type d 2>/dev/null |
      awk -F/ '{split($NF, a, "_"); s+=a[1]} END {print s+0}')
    [[ $rows -ge $3 ]] && break
    sleep 0.2
  done
  [[ $rows -ge $3 ]] || log "vm: only $rows of $3 rows on disk after 120 s"
  for _ in $(seq 600); do
    active=$(curl -fsS "$1/metrics" | awk '/^vm_active_merges/ {s+=$2} END {print s+0}')
    if [[ $active == 0 ]]; then quiet=$((quiet + 1)); else quiet=0; fi
    [[ $quiet -ge 6 ]] && break
    sleep 0.5
  done
}

start_prometheus() {  # DIR -> PID, URL
  local port; port=$(free_port)
  printf 'global: {}\nscrape_configs: []\n' >"$WORK/prometheus.yml"
  start prometheus prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$1" \
    --storage.tsdb.retention.time=30d --web.listen-address="127.0.0.1:$port" \
    --web.enable-remote-write-receiver --web.enable-admin-api --log.level=warn
  URL="http://127.0.0.1:$port"
  wait_ready "$URL/-/ready" "$PID" prometheus
}
# Prometheus keeps the newest ~2-3 h in its head (memory + WAL). A snapshot writes the head as a
# block beside hard links to the persisted blocks: its size is the data set, flushed.
snapshot_prometheus() {  # URL DIR -> SNAPSHOT_BYTES
  local name
  name=$(curl -fsS -XPOST "$1/api/v1/admin/tsdb/snapshot" |
    $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["name"])')
  SNAPSHOT_BYTES=$(dir_bytes "$2/snapshots/$name")
}

start_vigil() {  # DIR [server flags...] -> PID, URL
  local port dir=$1; shift
  port=$(free_port)
  VIGIL_ROOT_ACCESS_KEY_ID=$ACCESS_KEY VIGIL_ROOT_SECRET_ACCESS_KEY=$SECRET_KEY \
    start vigil "$VIGIL" server --data-dir "$dir" --listen "127.0.0.1:$port" "$@"
  URL="http://127.0.0.1:$port"
  wait_ready "$URL/healthz" "$PID" vigil
}

bench_vm() {  # TARGET [loader args...]: load, flush, size, (query when all kinds)
  local target=$1; shift
  local dir="$WORK/$target.data" cpu0
  mkdir -p "$dir"; start_vm "$dir"
  local pid=$PID url=$URL
  load_into "$target" "$pid" vm-import "$url" "$@"
  cpu0=$(cpu_seconds "$pid")
  flush_vm "$url" "$dir" "$LOADED_SAMPLES"
  record "$target" flush_cpu_s "$(calc %.2f "$(cpu_seconds "$pid")-$cpu0")"
  record "$target" disk_bytes "$(dir_bytes "$dir")"
  if [[ $# -eq 0 ]]; then query_into "$target" promql "$url" "$pid"; fi
  stop_and_follow "$pid"
  record "$target" peak_rss_mib "$(calc %.1f "$STOP_HWM_KB/1024")"
  rm -rf "$dir"
}

bench_prometheus() {
  local target=$1; shift
  local dir="$WORK/$target.data" cpu0
  mkdir -p "$dir"; start_prometheus "$dir"
  local pid=$PID url=$URL
  load_into "$target" "$pid" remote-write "$url" "$@"
  cpu0=$(cpu_seconds "$pid")
  snapshot_prometheus "$url" "$dir"
  record "$target" flush_cpu_s "$(calc %.2f "$(cpu_seconds "$pid")-$cpu0")"
  record "$target" disk_bytes "$SNAPSHOT_BYTES"
  if [[ $# -eq 0 ]]; then query_into "$target" promql "$url" "$pid"; fi
  stop_and_follow "$pid"
  record "$target" peak_rss_mib "$(calc %.1f "$STOP_HWM_KB/1024")"
  rm -rf "$dir"
}

bench_vigil() {  # TARGET MODE NAMESPACE [server flags...]
  local target=$1 mode=$2 ns=$3; shift 3
  local dir="$WORK/$target.data" cpu0 flags=("$@") key=$ACCESS_KEY secret=$SECRET_KEY
  start_vigil "$dir" "${flags[@]}"
  local pid=$PID url=$URL
  if [[ $target == *+iam ]]; then  # sign as an IAM user whose policies every call is checked by
    read -r key secret < <(AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY \
      $PY "$HERE/../benchlib.py" bench-user "$VIGIL" "$url")
  fi
  load_into "$target" "$pid" "$mode" "$url" --access-key "$key" --secret-key "$secret"
  cpu0=$(cpu_seconds "$pid")
  stop_and_follow "$pid"  # SIGTERM: drain, cut the head into a block, exit
  record "$target" flush_cpu_s "$(calc %.2f "$STOP_CPU-$cpu0")"
  record "$target" peak_rss_mib "$(calc %.1f "$STOP_HWM_KB/1024")"
  record "$target" disk_bytes "$(dir_bytes "$dir")"
  record "$target" wal_bytes "$(dir_bytes "$dir/tsdb/wal" 2>/dev/null || echo 0)"
  # The loader reads blocks in-process without the server's keyring: not the encrypted ones.
  if [[ $mode == remote-write && $target != *+enc ]]; then
    # What the rollup tiers of this day would add on disk (built by the store's own code).
    "$LOADER" rollup-cost "$dir/tsdb/blocks" >"$WORK/$target.rollup-cost"
    record "$target" rollup_1h_pct "$(result_field "$WORK/$target.rollup-cost" rollup_1h_pct)"
    record "$target" rollup_5m_pct "$(result_field "$WORK/$target.rollup-cost" rollup_5m_pct)"
    log "$target: $(grep -v '^RESULT' "$WORK/$target.rollup-cost")"
  fi
  start_vigil "$dir" "${flags[@]}"
  query_into "$target" vigil "$URL" "$PID" --namespace "$ns" --access-key "$key" \
    --secret-key "$secret"
  stop_and_follow "$PID"
  rm -rf "$dir"
}

bench_vigil_inproc() {  # TARGET [loader args...]
  local target=$1; shift
  local out="$WORK/$target.inproc"
  "$LOADER" in-process "$WORK/$target.data" "${DATA[@]}" --connections "$CONNECTIONS" \
    --query-series "$QUERY_SERIES" "$@" >"$out"
  local n secs
  n=$(result_field "$out" samples); secs=$(result_field "$out" seconds)
  record "$target" samples "$n"
  record "$target" seconds "$secs"
  record "$target" samples_per_s "$(result_field "$out" samples_per_s)"
  record "$target" client_cpu_s "$(result_field "$out" client_cpu_s)"
  record "$target" flush_s "$(result_field "$out" close_s)"
  record "$target" disk_bytes "$(result_field "$out" dir_bytes)"
  record "$target" block_bytes "$(result_field "$out" block_bytes)"
  record "$target" wal_bytes "$(result_field "$out" wal_bytes)"
  record "$target" peak_rss_mib "$(calc %.1f "$(result_field "$out" peak_rss)/1048576")"
  record "$target" bytes_per_new_series "$(result_field "$out" bytes_per_new_series)"
  record "$target" q1_median_ms "$(result_field "$out" q1_median_ms)"
  record "$target" q1_p99_ms "$(result_field "$out" q1_p99_ms)"
  record "$target" q1_points "$(result_field "$out" q1_points)"
  log "$target: $(grep -v '^RESULT' "$out")"
  rm -rf "$WORK/$target.data"
}

# q3: months of a small fleet, then one series over the whole range at 1-hour periods.
q3_data() {  # -> Q3_DATA, Q3_SAMPLES, Q3_QUERY_SERIES
  Q3_DATA=(--series "$Q3_SERIES" --hours "$((Q3_DAYS * 24))" --end-ms "$END_MS"
           --connections "$CONNECTIONS")
  local info; info=$("$LOADER" info "${Q3_DATA[@]}")
  Q3_SAMPLES=$(result_field <(echo "$info") samples)
  Q3_QUERY_SERIES=$(result_field <(echo "$info") query_series)
}
q3_query() {  # TARGET KIND URL PID [args...]
  local target=$1 kind=$2 url=$3 pid=$4; shift 4
  wait_idle "$pid"
  "$LOADER" query "$kind" "$url" "${Q3_DATA[@]}" --query-series "$Q3_QUERY_SERIES" --q3 \
    --warmup 20 --reps 200 "$@" >"$WORK/$target.q3"
  record "$target" q3_median_ms "$(result_field "$WORK/$target.q3" q3_median_ms)"
  record "$target" q3_p99_ms "$(result_field "$WORK/$target.q3" q3_p99_ms)"
  record "$target" q3_points "$(result_field "$WORK/$target.q3" points)"
  log "$target q3: $(grep -v '^RESULT' "$WORK/$target.q3")"
}
bench_q3_vm() {
  local dir="$WORK/vm.q3.data"
  mkdir -p "$dir"; start_vm "$dir" "$((Q3_DAYS + 10))d"
  local pid=$PID url=$URL
  "$LOADER" load vm-import "$url" "${Q3_DATA[@]}" $PREBUILD >"$WORK/vm.q3.load"
  flush_vm "$url" "$dir" "$Q3_SAMPLES"
  q3_query vm promql "$url" "$pid"
  stop_and_follow "$pid"
  rm -rf "$dir"
}
bench_q3_vigil() {
  local dir="$WORK/vigil-rw.q3.data" config="$WORK/vigil-q3.yaml"
  printf 'tsdb:\n  max_sample_age: %dd\n' "$((Q3_DAYS + 1))" >"$config"
  start_vigil "$dir" --config "$config"
  "$LOADER" load remote-write "$URL" "${Q3_DATA[@]}" $PREBUILD --access-key "$ACCESS_KEY" \
    --secret-key "$SECRET_KEY" >"$WORK/vigil-rw.q3.load"
  stop_and_follow "$PID"
  # Restarted: the compactor merges the last day, builds its rollups and expires raw data past
  # 15 days (into the 5-minute tier) before wait_idle lets the query run.
  start_vigil "$dir" --config "$config"
  q3_query vigil-rw vigil "$URL" "$PID" --namespace Prometheus --access-key "$ACCESS_KEY" \
    --secret-key "$SECRET_KEY"
  record vigil-rw q3_raw_bytes "$(dir_bytes "$dir/tsdb/blocks")"
  record vigil-rw q3_rollup_bytes "$(dir_bytes "$dir/tsdb/rollups")"
  stop_and_follow "$PID"
  [[ $KEEP == 1 ]] || rm -rf "$dir"
}

has_target() { [[ ",$TARGETS," == *",$1,"* ]]; }

# bench_vigil; with --encryption again as TARGET+enc with the metrics store encrypted; with
# --iam again as TARGET+iam signed by an IAM user with policies (benchlib.BENCH_POLICY).
bench_vigil_all() {  # TARGET MODE NAMESPACE
  bench_vigil "$@"
  local target=$1; shift
  if [[ $ENCRYPTION == 1 ]]; then
    printf 'encryption:\n  metrics: true\n' >"$WORK/vigil-enc.yaml"
    bench_vigil "$target+enc" "$@" --config "$WORK/vigil-enc.yaml"
  fi
  if [[ $IAM == 1 ]]; then bench_vigil "$target+iam" "$@"; fi
}
# The +enc and +iam targets' ingest rate, CPU, disk and query times against the plain ones'
# (from $RESULTS): the cost of encryption at rest and of authorization.
report_variants() {
  [[ $ENCRYPTION == 1 || $IAM == 1 ]] || return 0
  $PY - "$RESULTS" <<'PY'
import collections, statistics, sys
v = collections.defaultdict(list)
for line in open(sys.argv[1]):
    run, target, metric, value = line.rstrip("\n").split("\t")
    try: v[(target, metric)].append(float(value))
    except ValueError: pass
names = {"+enc": ("encryption", "plain", "encrypted"), "+iam": ("authorization", "root key", "IAM user")}
for target in sorted({t for t, _ in v if t[-4:] in names}):
    plain, (what, a_name, b_name) = target[:-4], names[target[-4:]]
    for metric, better in (("samples_per_s", "higher"), ("samples_per_cpu_s", "higher"),
                           ("disk_bytes", "lower"), ("q1_median_ms", "lower"),
                           ("q2_median_ms", "lower"), ("q2_server_cpu_ms", "lower")):
        a, b = v.get((plain, metric)), v.get((target, metric))
        if not a or not b: continue
        a, b = statistics.median(a), statistics.median(b)
        cost = (a / b - 1) if better == "higher" else (b / a - 1)
        f = lambda x: f"{x:,.0f}" if x >= 100 else f"{x:.3f}"
        print(f"{what}: {plain} {metric} {f(a)} {a_name}, {f(b)} {b_name}: "
              f"ratio {b / a:.3f} (cost {cost * 100:+.1f}%)")
PY
}

log "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); work dir $WORK"
log "peers: victoria-metrics $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null)," \
  "prometheus $(dpkg-query -W -f='${Version}' prometheus 2>/dev/null)"
for RUN in $(seq "$RUNS"); do
  # One data set per run, the day ending now (every peer accepts it), the same for every target.
  END_MS=$(( $(date +%s) / 60 * 60000 ))
  DATA=(--series "$SERIES" --hours "$HOURS" --end-ms "$END_MS" --connections "$CONNECTIONS")
  SERIES_LOADED=$SERIES
  info=$("$LOADER" info "${DATA[@]}")
  QUERY_SERIES=$(result_field <(echo "$info") query_series)  # a latency series
  log "run $RUN/$RUNS: $(result_field <(echo "$info") samples) samples ($SERIES series x $HOURS h at 10 s)"
  if has_target vm; then bench_vm vm; fi
  if has_target prometheus; then bench_prometheus prometheus; fi
  if has_target vigil-rw; then bench_vigil_all vigil-rw remote-write Prometheus; fi
  if has_target vigil-pmd; then
    if [[ -n $PMD_HOURS ]]; then
      DATA=(--series "$SERIES" --hours "$PMD_HOURS" --end-ms "$END_MS" --connections "$CONNECTIONS")
      log "vigil-pmd: $PMD_HOURS h only (--pmd-hours)"
    fi
    bench_vigil_all vigil-pmd put-metric-data Fleet
    DATA=(--series "$SERIES" --hours "$HOURS" --end-ms "$END_MS" --connections "$CONNECTIONS")
  fi
  if has_target vigil-inproc; then bench_vigil_inproc vigil-inproc; fi
  if [[ $PER_KIND == 1 ]]; then
    # On-disk bytes per sample of each kind alone, each in a fresh store.
    for kind in counter latency gauge; do
      SERIES_LOADED=$(result_field <("$LOADER" info "${DATA[@]}" --kind "$kind") series)
      if has_target vm; then bench_vm "vm.$kind" --kind "$kind"; fi
      if has_target prometheus; then bench_prometheus "prometheus.$kind" --kind "$kind"; fi
      if has_target vigil-inproc; then
        bench_vigil_inproc "vigil-inproc.$kind" --kind "$kind" --query-series 0
      fi
    done
    SERIES_LOADED=$SERIES
  fi
  if [[ $Q3_DAYS -gt 0 ]] && { has_target vm || has_target vigil-rw; }; then
    q3_data
    log "q3: $Q3_SAMPLES samples ($Q3_SERIES series x $Q3_DAYS days at 10 s)"
    if has_target vm; then bench_q3_vm; fi
    if has_target vigil-rw; then bench_q3_vigil; fi
  fi
done

$PY "$HERE/report.py" "$RESULTS"
report_variants
