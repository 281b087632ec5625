#!/usr/bin/env bash
# Benchmark `pvgen scan` against the tools people use to find pvop sites by hand, on the same inputs in the
# same run: objdump -dr (decodes everything) and readelf -rW (reads relocations, decodes nothing).
# Inputs: every module of the Debian 12 kernels unpacked by scripts/fetch-debian-kernels.sh (amd64, 686-pae);
# when fetched, Debian 12's 6.12 cloud-amd64 modules as shipped (.ko.xz) against `xz -dc` of the same files (and the
# same tree recompressed with zstd and gzip against `zstd -dc`/`gzip -dc`), and two vmlinux (6.1 with relocations,
# 6.12 without) against readelf/objdump.
# Reports wall time (best of N), user+sys CPU and peak RSS (/usr/bin/time -v), and the ratios.
#
# Usage: scripts/bench-scan.sh [runs] [sections]   (default 3 runs per tool; sections: any of "6.1 6.12 vmlinux",
#                                                   default all; the page cache is warmed first)
set -euo pipefail

runs=${1:-3}
sections=${2:-6.1 6.12 vmlinux}
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
  [[ " $sections " == *" 6.1 "* ]] || break
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

# Debian 12's 6.12 modules as shipped: the compressed tree against the decompressor alone on the same files.
if [[ " $sections " == *" 6.12 "* && -n ${PVGEN_KERNEL612_MODULES_CLOUD_AMD64:-} ]]; then
  shipped=$PVGEN_KERNEL612_MODULES_CLOUD_AMD64
  plain=$PVGEN_KERNEL612_MODULES_CLOUD_AMD64_PLAIN
  find "$shipped" -name '*.ko.xz' | sort >"$work/xz"
  count=$(wc -l <"$work/xz")
  xbytes=$(xargs -a "$work/xz" cat | wc -c)
  pbytes=$(find "$plain" -name '*.ko' -print0 | xargs -0 cat | wc -c)
  # The same plain modules recompressed as other distributions ship them (zstd: Arch, Ubuntu; gzip).
  for c in zst gz; do
    mkdir -p "$work/$c"
    (cd "$plain" && find . -name '*.ko' -print0 | xargs -0 -P "$jobs" -n 64 sh -c '
      for f; do mkdir -p "$0/$(dirname "$f")"; if [ "$1" = zst ]; then zstd -q -f "$f" -o "$0/$f.zst"; else gzip -n -c "$f" >"$0/$f.gz"; fi; done' "$work/$c" "$c") 2>/dev/null || true
    find "$work/$c" -name "*.ko.$c" | sort >"$work/$c.list"
  done
  xargs -a "$work/xz" cat >/dev/null
  echo "== 6.12 cloud-amd64 ($PVGEN_KERNEL612_ABI): $count .ko.xz modules, $((xbytes / 1000000)) MB compressed, $((pbytes / 1000000)) MB plain, $jobs CPUs, best of $runs"
  : >"$work/results"
  measure "pvgen scan .ko.xz -j $jobs" "${pvgen[@]}" scan "$shipped" --format json --jobs "$jobs"
  measure "pvgen scan .ko.xz -j 1" "${pvgen[@]}" scan "$shipped" --format json --jobs 1
  measure "xz -dc (xargs -P $jobs)" xargs -a "$work/xz" -P "$jobs" -n 64 xz -dc
  measure "xz -dc (serial)" xargs -a "$work/xz" -n 64 xz -dc
  # The decoders themselves on the same files (through PvGen's bounded DecompressElf for xz), to pick with numbers.
  dotnet build "$root/scripts/bench-decoders/bench-decoders.csproj" -c Release --artifacts-path "$artifacts" -v q -nologo >/dev/null
  decoders=("dotnet" "$artifacts/bin/bench-decoders/release/bench-decoders.dll")
  for j in 1 "$jobs"; do
    measure "decoder liblzma -j $j" "${decoders[@]}" liblzma "$j" "$work/xz"
    measure "decoder SharpCompress XZStream -j $j" "${decoders[@]}" sharpcompress-xz "$j" "$work/xz"
    measure "decoder ZstdSharp -j $j" "${decoders[@]}" zstdsharp "$j" "$work/zst.list"
    measure "decoder SharpCompress zstd -j $j" "${decoders[@]}" sharpcompress-zstd "$j" "$work/zst.list"
    measure "decoder GZipStream -j $j" "${decoders[@]}" gzip "$j" "$work/gz.list"
  done
  measure "zstd -dc (serial)" xargs -a "$work/zst.list" -n 64 zstd -qdc
  measure "gzip -dc (serial)" xargs -a "$work/gz.list" -n 64 gzip -dc
  measure "pvgen scan plain .ko -j $jobs" "${pvgen[@]}" scan "$plain" --format json --jobs "$jobs"
  measure "pvgen scan .ko.zst -j $jobs" "${pvgen[@]}" scan "$work/zst" --format json --jobs "$jobs"
  measure "zstd -dc (xargs -P $jobs)" xargs -a "$work/zst.list" -P "$jobs" -n 64 zstd -qdc
  measure "pvgen scan .ko.gz -j $jobs" "${pvgen[@]}" scan "$work/gz" --format json --jobs "$jobs"
  measure "gzip -dc (xargs -P $jobs)" xargs -a "$work/gz.list" -P "$jobs" -n 64 gzip -dc
  find "$plain" -name '*.ko' | sort >"$work/plain"
  measure "readelf -rW plain (xargs -P $jobs)" xargs -a "$work/plain" -P "$jobs" -n 64 readelf -rW
  measure "objdump -dr -w plain (xargs -P $jobs)" xargs -a "$work/plain" -P "$jobs" -n 64 objdump -dr -w
  awk -F'\t' -v jobs="$jobs" '
    { wall[$1] = $2 }
    END {
      printf "  ratios (%d processes each): pvgen .ko.xz / xz -dc = %.2f, pvgen .ko.zst / zstd -dc = %.2f, pvgen .ko.gz / gzip -dc = %.2f\n", jobs,
        wall["pvgen scan .ko.xz -j " jobs] / wall["xz -dc (xargs -P " jobs ")"],
        wall["pvgen scan .ko.zst -j " jobs] / wall["zstd -dc (xargs -P " jobs ")"],
        wall["pvgen scan .ko.gz -j " jobs] / wall["gzip -dc (xargs -P " jobs ")"]
    }' "$work/results"
fi

# Linked kernels: 6.1 (relocations kept) and 6.12 (stripped: sites from decoded operands); peak RSS against file size.
if [[ " $sections " == *" vmlinux "* ]]; then
  for key in PVGEN_VMLINUX61_CLOUD_AMD64 PVGEN_VMLINUX612_CLOUD_AMD64; do
    vmlinux=${!key:-}
    [[ -n $vmlinux && -f $vmlinux ]] || { echo "== $key not fetched: skipped"; continue; }
    cat "$vmlinux" >/dev/null
    echo "== $(basename "$vmlinux"): $(($(stat -c %s "$vmlinux") / 1000000)) MB, best of $runs"
    : >"$work/results"
    measure "pvgen scan" "${pvgen[@]}" scan "$vmlinux" --format json
    if [[ $key == PVGEN_VMLINUX61_CLOUD_AMD64 ]]; then
      measure "pvgen scan --sites-from operands" "${pvgen[@]}" scan "$vmlinux" --format json --sites-from operands
      measure "readelf -rW" readelf -rW "$vmlinux"
    fi
    mapfile -t code < <(readelf -SW "$vmlinux" | awk '$0 ~ /^ *\[/ && $0 ~ / AX / { sub(/^ *\[ *[0-9]+\] */, ""); print "-j"; print $1 }')
    measure "objdump -d -w (code sections)" objdump -d -w "${code[@]}" "$vmlinux"
  done
fi
