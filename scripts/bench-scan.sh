#!/usr/bin/env bash
# Benchmark `pvgen scan` against the tools people use to find pvop sites by hand, on the same inputs in the
# same run: objdump -dr (decodes everything) and readelf -rW (reads relocations, decodes nothing).
# Inputs: every module of the Debian 12 kernels unpacked by scripts/fetch-debian-kernels.sh (amd64, 686-pae).
# Reports wall time (best of N), user+sys CPU and peak RSS (/usr/bin/time -v), and the ratios.
#
# Usage: scripts/bench-scan.sh [runs]      (default 3 runs per tool; the page cache is warmed first)
set -euo pipefail

runs=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
env_file=${PVGEN_KERNEL_CACHE:-/var/cache/pvgen/debian-kernels}/kernels.env
if [[ ! -f $env_file ]]; then
  echo "bench-scan: $env_file missing: run scripts/fetch-debian-kernels.sh first" >&2
  exit 2
fi
# shellcheck disable=SC1090
source "$env_file"
[[ -x /usr/bin/time ]] || { echo "bench-scan: /usr/bin/time (package 'time') is required" >&2; exit 2; }

artifacts=${PVGEN_BENCH_ARTIFACTS:-/tmp/pvgen-bench-artifacts}
dotnet build "$root/src/PvGen.Cli/PvGen.Cli.csproj" -c Release --artifacts-path "$artifacts" -v q -nologo >/dev/null
pvgen=("dotnet" "$artifacts/bin/PvGen.Cli/release/pvgen.dll")
jobs=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure NAME COMMAND...: best wall time of $runs, with that run's CPU and the highest peak RSS seen.
measure() {
  local name=$1; shift
  local best="" cpu="" rss=0
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -v -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
    local wall user sys peak
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (k = 1; k <= n; k++) s = s * 60 + p[k]; print s }' "$work/time")
    user=$(awk -F': ' '/User time/ { print $2 }' "$work/time")
    sys=$(awk -F': ' '/System time/ { print $2 }' "$work/time")
    peak=$(awk -F': ' '/Maximum resident/ { print $2 }' "$work/time")
    if [[ -z $best ]] || awk "BEGIN { exit !($wall < $best) }"; then
      best=$wall
      cpu=$(awk "BEGIN { printf \"%.2f\", $user + $sys }")
    fi
    ((peak > rss)) && rss=$peak
  done
  printf '%s\t%s\t%s\t%s\n' "$name" "$best" "$cpu" "$rss" >>"$work/results"
  printf '  %-34s %8.2f s wall  %8s s cpu  %8d KB peak RSS\n' "$name" "$best" "$cpu" "$rss"
}

for flavour in amd64 i386; do
  modules_var=PVGEN_KERNEL_MODULES_${flavour^^}
  modules=${!modules_var}
  find "$modules" -name '*.ko' | sort >"$work/list"
  count=$(wc -l <"$work/list")
  bytes=$(xargs -a "$work/list" cat | wc -c)
  xargs -a "$work/list" cat >/dev/null # warm the page cache
  echo "== $flavour: $count modules, $((bytes / 1000000)) MB ($modules), $jobs CPUs, best of $runs"
  : >"$work/results"
  measure "pvgen scan --format json -j $jobs" "${pvgen[@]}" scan "$modules" --format json --jobs "$jobs"
  measure "pvgen scan --format json -j 1" "${pvgen[@]}" scan "$modules" --format json --jobs 1
  measure "pvgen scan --read-all -j $jobs" "${pvgen[@]}" scan "$modules" --format json --jobs "$jobs" --read-all
  measure "readelf -rW (xargs -P $jobs)" xargs -a "$work/list" -P "$jobs" -n 64 readelf -rW
  measure "readelf -rW (serial)" xargs -a "$work/list" -n 64 readelf -rW
  measure "objdump -dr -w (xargs -P $jobs)" xargs -a "$work/list" -P "$jobs" -n 64 objdump -dr -w
  awk -F'\t' -v jobs="$jobs" '
    { wall[$1] = $2 }
    END {
      p = wall["pvgen scan --format json -j " jobs]
      printf "  ratios: objdump -dr / pvgen = %.1fx, readelf -rW / pvgen = %.1fx (both with %d processes)\n",
        wall["objdump -dr -w (xargs -P " jobs ")"] / p, wall["readelf -rW (xargs -P " jobs ")"] / p, jobs
    }' "$work/results"
done
