#!/usr/bin/env bash
# Every figure of issue 15 against its anchor, in one run, on one set of builds:
#   start-up (--version, scan of one module, no-op generate, parse) for jit, ReadyToRun and NativeAOT  (bench-startup.sh)
#   parse vs clang-19 -fsyntax-only with the same flags                                                  (bench-parse.sh)
#   no-op generate vs parse                                                                               (bench-generate.sh)
#   scan of Debian 6.1's amd64 and 686-pae module trees vs objdump -dr, readelf -rW and cat; vmlinux RSS  (bench-scan.sh)
# The later benchmarks time the NativeAOT pvgen that bench-startup.sh published (PVGEN_BENCH_MODE=jit|r2r picks another).
# The machine is shared: its CPU count and the load average (sampled every 10 s) are printed with the results.
# Usage: scripts/bench-all.sh   (RUNS=5 for every figure; SCAN_RUNS=3 for the tree scans; OBJDUMP_RUNS=1 for objdump)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export RUNS=${RUNS:-5}
export PVGEN_BENCH_ARTIFACTS=${PVGEN_BENCH_ARTIFACTS:-/tmp/pvgen-bench-${USER:-$(id -un)}}
mode=${PVGEN_BENCH_MODE:-aot}
log=$(mktemp -d)
(while :; do cut -d' ' -f1 /proc/loadavg >>"$log/load"; sleep 10; done) &
sampler=$!
trap 'kill "$sampler" 2>/dev/null; rm -rf "$log"' EXIT

echo "bench-all: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%d", $2 / 1048576 + 0.5 }' /proc/meminfo) GB, $(uname -r); started $(date -u '+%F %T') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$root/scripts/bench-startup.sh" "jit r2r aot" | tee "$log/startup"
case $mode in
  jit) pvgen=$PVGEN_BENCH_ARTIFACTS/jit/bin/PvGen.Cli/release/pvgen ;;
  r2r) pvgen=$PVGEN_BENCH_ARTIFACTS/r2r/publish/PvGen.Cli/release_linux-x64/pvgen ;;
  aot) pvgen=$PVGEN_BENCH_ARTIFACTS/aot/publish/PvGen.Cli/release_linux-x64/pvgen ;;
esac
[[ -x $pvgen ]] || { echo "bench-all: the $mode pvgen ($pvgen) was not built" >&2; exit 1; }
export PVGEN_BENCH_PVGEN=$pvgen
echo "== the rest with the $mode build: $pvgen"
"$root/scripts/bench-parse.sh" | tee "$log/parse"
"$root/scripts/bench-generate.sh" | tee "$log/generate"
PVGEN_BENCH_OBJDUMP_RUNS=${OBJDUMP_RUNS:-1} "$root/scripts/bench-scan.sh" "${SCAN_RUNS:-3}" "6.1 vmlinux" | tee "$log/scan"

echo
echo "== summary ($(nproc) CPUs; load average during the run: $(sort -g "$log/load" | awk '{ a[NR] = $1 } END { printf "min %s, median %s, max %s", a[1], a[int((NR + 1) / 2)], a[NR] }'); finished $(date -u '+%F %T') UTC)"
grep -h '=>' "$log/startup" "$log/parse" "$log/generate" "$log/scan"
