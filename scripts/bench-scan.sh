#!/usr/bin/env bash
# Benchmark `pvgen scan` against the tools people use to find pvop sites by hand, on the same inputs in the
# same run: objdump -dr (decodes everything) and readelf -rW (reads relocations, decodes nothing).
# Inputs: every module of the Debian 12 kernels unpacked by scripts/fetch-debian-kernels.sh (amd64, 686-pae);
# when fetched, Debian 12's 6.12 cloud-amd64 modules as shipped (.ko.xz) against `xz -dc` of the same files (and the
# same tree recompressed with zstd and gzip against `zstd -dc`/`gzip -dc`), and two vmlinux (6.1 with relocations,
# 6.12 without) against readelf/objdump.
# "sections": one relocatable object per size with 4,000 to 32,000 aligned sections (gcc -ffunction-sections, a
# vmlinux.o's shape), to show that the time per object grows linearly with its section count, against readelf -rW.
# Reports the median wall time and median user+sys CPU of N runs, peak RSS (/usr/bin/time -v), and the ratios (CPU first).
#
# Usage: scripts/bench-scan.sh [runs] [sections]   (default 3 runs per tool; sections: any of "6.1 6.12 vmlinux
#                                                   sections", default all; the page cache is warmed first)
set -euo pipefail

runs=${1:-3}
sections=${2:-6.1 6.12 vmlinux sections}
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
if [[ -n ${PVGEN_BENCH_PVGEN:-} ]]; then
  pvgen=("$PVGEN_BENCH_PVGEN") # a published pvgen (e.g. the ReadyToRun one scripts/bench-startup.sh builds)
else
  dotnet build "$root/src/PvGen.Cli/PvGen.Cli.csproj" -c Release --artifacts-path "$artifacts" -v q -nologo >/dev/null
  pvgen=("$artifacts/bin/PvGen.Cli/release/pvgen")
fi
jobs=$(nproc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure NAME COMMAND...: the median wall time and the median CPU (user + sys) of $runs runs, and the highest peak RSS.
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
measure() {
  local name=$1; shift
  local walls=() cpus=() rss=0
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -v -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
    local wall user sys peak
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (k = 1; k <= n; k++) s = s * 60 + p[k]; print s }' "$work/time")
    user=$(awk -F': ' '/User time/ { print $2 }' "$work/time")
    sys=$(awk -F': ' '/System time/ { print $2 }' "$work/time")
    peak=$(awk -F': ' '/Maximum resident/ { print $2 }' "$work/time")
    walls+=("$wall")
    cpus+=("$(awk "BEGIN { printf \"%.2f\", $user + $sys }")")
    ((peak > rss)) && rss=$peak
  done
  local wall cpu
  wall=$(printf '%s\n' "${walls[@]}" | median)
  cpu=$(printf '%s\n' "${cpus[@]}" | median)
  printf '%s\t%s\t%s\t%s\n' "$name" "$wall" "$cpu" "$rss" >>"$work/results"
  printf '  %-34s %8.2f s wall  %8s s cpu  %8d KB peak RSS\n' "$name" "$wall" "$cpu" "$rss"
}

for flavour in amd64 i386; do
  [[ " $sections " == *" 6.1 "* ]] || break
  modules_var=PVGEN_KERNEL_MODULES_${flavour^^}
  modules=${!modules_var}
  find "$modules" -name '*.ko' | sort >"$work/list"
  count=$(wc -l <"$work/list")
  bytes=$(xargs -a "$work/list" cat | wc -c)
  xargs -a "$work/list" cat >/dev/null # warm the page cache
  echo "== $flavour: $count modules, $((bytes / 1000000)) MB ($modules), $jobs CPUs, median of $runs"
  : >"$work/results"
  measure "pvgen scan --format json -j $jobs" "${pvgen[@]}" scan "$modules" --format json --jobs "$jobs"
  measure "pvgen scan --format json -j 1" "${pvgen[@]}" scan "$modules" --format json --jobs 1
  measure "pvgen scan --read-all -j $jobs" "${pvgen[@]}" scan "$modules" --format json --jobs "$jobs" --read-all
  measure "readelf -rW (xargs -P $jobs)" xargs -a "$work/list" -P "$jobs" -n 64 readelf -rW
  measure "readelf -rW (serial)" xargs -a "$work/list" -n 64 readelf -rW
  # objdump decodes every instruction (6 minutes a run on the 686-pae tree under load): PVGEN_BENCH_OBJDUMP_RUNS=1 spares it.
  all_runs=$runs runs=${PVGEN_BENCH_OBJDUMP_RUNS:-$runs}
  measure "objdump -dr -w (xargs -P $jobs)" xargs -a "$work/list" -P "$jobs" -n 64 objdump -dr -w
  runs=$all_runs
  measure "cat >/dev/null (xargs -P $jobs)" xargs -a "$work/list" -P "$jobs" -n 64 cat
  measure "cat >/dev/null (serial)" xargs -a "$work/list" -n 64 cat
  # Wall clock on a shared machine says little: the ratios are given for both, CPU (user + sys) first.
  awk -F'\t' -v jobs="$jobs" -v flavour="$flavour" '
    { wall[$1] = $2; cpu[$1] = $3 }
    function line(label, a, b, target, ok) {
      printf "  => %-52s cpu %7.2fx  wall %7.2fx  (target %s: %s)\n", flavour " modules: " label, cpu[a] / cpu[b], wall[a] / wall[b], target, ok ? "met" : "MISSED"
    }
    END {
      p = "pvgen scan --format json -j " jobs
      o = "objdump -dr -w (xargs -P " jobs ")"; r = "readelf -rW (xargs -P " jobs ")"; c = "cat >/dev/null (xargs -P " jobs ")"
      line("objdump -dr / pvgen scan", o, p, ">= 100x", cpu[o] / cpu[p] >= 100)
      line("readelf -rW / pvgen scan", r, p, ">= 10x", cpu[r] / cpu[p] >= 10)
      line("pvgen scan / cat", p, c, "<= 1.5x", cpu[p] / cpu[c] <= 1.5)
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
  echo "== 6.12 cloud-amd64 ($PVGEN_KERNEL612_ABI): $count .ko.xz modules, $((xbytes / 1000000)) MB compressed, $((pbytes / 1000000)) MB plain, $jobs CPUs, median of $runs"
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
    echo "== $(basename "$vmlinux"): $(($(stat -c %s "$vmlinux") / 1000000)) MB, median of $runs"
    : >"$work/results"
    measure "pvgen scan" "${pvgen[@]}" scan "$vmlinux" --format json
    if [[ $key == PVGEN_VMLINUX61_CLOUD_AMD64 ]]; then
      measure "pvgen scan --sites-from operands" "${pvgen[@]}" scan "$vmlinux" --format json --sites-from operands
      measure "readelf -rW" readelf -rW "$vmlinux"
    fi
    mapfile -t code < <(readelf -SW "$vmlinux" | awk '$0 ~ /^ *\[/ && $0 ~ / AX / { sub(/^ *\[ *[0-9]+\] */, ""); print "-j"; print $1 }')
    all_runs=$runs runs=${PVGEN_BENCH_OBJDUMP_RUNS:-$runs}
    measure "objdump -d -w (code sections)" objdump -d -w "${code[@]}" "$vmlinux"
    runs=$all_runs
    awk -F'\t' -v size="$(stat -c %s "$vmlinux")" -v name="$(basename "$vmlinux")" '$1 == "pvgen scan" { r = $4 * 1024 / size
      printf "  => %-44s %6.1f%%  (target < 25%%: %s)\n", name ": pvgen scan peak RSS / file size", r * 100, r < 0.25 ? "met" : "MISSED" }' "$work/results"
  done
fi

# Section-count scaling: N functions, each in its own 16-byte-aligned section with its relocation table (2N + 11
# sections, with a gap before each function), two pv_ops calls each. Time per section must stay flat as N grows.
if [[ " $sections " == *" sections "* ]]; then
  echo "== section-count scaling (gcc -O2 -ffunction-sections), median of $runs"
  : >"$work/results"
  for functions in 2000 8000 16000; do
    python3 - "$functions" >"$work/s$functions.c" <<'PY'
import sys
n = int(sys.argv[1])
print("struct ops { void (*a)(void); void (*b)(int); };\nextern struct ops pv_ops;")
for i in range(n):
    print(f"void f{i}(void) {{ pv_ops.a(); pv_ops.b({i}); }}")
PY
    gcc -O2 -c -ffunction-sections -mcmodel=kernel -fno-pie "$work/s$functions.c" -o "$work/s$functions.o"
    count=$(readelf -hW "$work/s$functions.o" | awk '/Number of section headers/ { print $NF }')
    measure "pvgen scan $count sections" "${pvgen[@]}" scan "$work/s$functions.o" --format json
    measure "readelf -rW $count sections" readelf -rW "$work/s$functions.o"
  done
  awk -F'\t' '
    $1 ~ /^pvgen scan/ { split($1, w, " "); p[w[3]] = $2; order[++n] = w[3] }
    $1 ~ /^readelf/ { split($1, w, " "); r[w[3]] = $2 }
    END { for (i = 1; i <= n; i++) { s = order[i]; printf "  %6d sections: pvgen %.2f s (%.1f us/section), readelf -rW %.2f s, readelf / pvgen = %.1fx\n", s, p[s], p[s] / s * 1e6, r[s], r[s] / p[s] } }' "$work/results"
fi
