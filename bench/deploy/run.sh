#!/usr/bin/env bash
# Deployments under load: failed requests per policy, and alarm-to-old-version time
# (bench/README.md).
#
#   bench/deploy/run.sh BUILD_DIR [--rate 200] [--runs 3] [--bake 2] [--policies LIST] [--keep]
#
# Needs BUILD_DIR/vigil and BUILD_DIR/examples/shop/vigil-shop{,-load}. There is no Debian peer
# (CodeDeploy and Argo Rollouts are not packaged): the figures are printed against the goals.
set -euo pipefail
[[ $# -ge 1 ]] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
BUILD=$(cd "$1" && pwd); shift
for bin in vigil examples/shop/vigil-shop examples/shop/vigil-shop-load; do
  [[ -x $BUILD/$bin ]] || { echo "run.sh: $BUILD/$bin is missing; build it first" >&2; exit 1; }
done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec python3 "$(dirname "$0")/deploy_bench.py" --vigil "$BUILD/vigil" \
  --shop "$BUILD/examples/shop/vigil-shop" --load "$BUILD/examples/shop/vigil-shop-load" "$@"
