#!/usr/bin/env bash
# Log ingest and search side by side: Vigil vs rsyslog + grep (bench/README.md).
#
#   bench/logs/run.sh BUILD_DIR [--megabytes 1024] [--connections 4] [--targets vigil,rsyslog]
#                     [--encryption]   (Vigil once more with logs encrypted; prints the ratio)
#                     [--runs N] [--iam] (Vigil once more signed by an IAM user with policies
#                                       rather than the root key: the cost of authorization)
#
# Each target runs on core 0, the driver on core 1. rsyslog comes from Debian
# (scripts/install-deps --bench); Grafana Loki is not packaged in Debian 12.
set -euo pipefail
[[ $# -ge 1 ]] || { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
BUILD=$(cd "$1" && pwd); shift
[[ -x $BUILD/vigil ]] || { echo "run.sh: $BUILD/vigil is missing; build it first" >&2; exit 1; }
command -v rsyslogd >/dev/null || { echo "run.sh: rsyslogd missing (scripts/install-deps --bench)" >&2; exit 1; }
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec python3 "$(dirname "$0")/logs_bench.py" --vigil "$BUILD/vigil" "$@"
