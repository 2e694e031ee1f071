#!/usr/bin/env bash
# Alarm evaluation side by side: Vigil vs Prometheus alerting rules (bench/README.md).
#
#   bench/alarms/run.sh BUILD_DIR [--alarms 10000] [--steady 20] [--breaches 10]
#                       [--targets vigil,prometheus]
#
# Each target runs on core 0, the driver on core 1. Prometheus comes from Debian
# (scripts/install-deps --bench).
set -euo pipefail
[[ $# -ge 1 ]] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
BUILD=$(cd "$1" && pwd); shift
[[ -x $BUILD/vigil ]] || { echo "run.sh: $BUILD/vigil is missing; build it first" >&2; exit 1; }
command -v prometheus >/dev/null || { echo "run.sh: prometheus missing (scripts/install-deps --bench)" >&2; exit 1; }
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec python3 "$(dirname "$0")/alarms_bench.py" --vigil "$BUILD/vigil" "$@"
