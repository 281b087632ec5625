#!/usr/bin/env bash
# Benchmark: `pvgen generate --style both`, process start to files written, on the 5.10 example and (when
# fetched by scripts/fetch-debian-kernels.sh) Debian 12's real paravirt_types.h. Two cases per input:
# "fresh" (empty output directory: every file written) and "unchanged" (outputs up to date: nothing written).
# Prints a Markdown table: median wall time over RUNS runs (bash clock, ms) and peak RSS (/usr/bin/time -v).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
artifacts=${ARTIFACTS:-/tmp/pvgen-bench-generate}
dotnet build src/PvGen.Cli -c Release -v q -nologo --artifacts-path "$artifacts" >/dev/null
pvgen=$artifacts/bin/PvGen.Cli/release/pvgen
[[ -x $pvgen ]] || { echo "bench: $pvgen not built" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ns() { date +%s%N; }

measure() { # name, mode (fresh|unchanged), pvgen generate args...
    local name=$1 mode=$2; shift 2
    local times=() rss=0
    "$pvgen" generate "$@" -o "$work/out" >/dev/null 2>&1 # warm the file cache; also the baseline for "unchanged"
    for ((i = 0; i < RUNS; i++)); do
        [[ $mode == fresh ]] && rm -rf "$work/out"
        local start end
        start=$(now_ns)
        /usr/bin/time -v -o "$work/time.txt" "$pvgen" generate "$@" -o "$work/out" >"$work/stdout.txt" 2>/dev/null
        end=$(now_ns)
        times+=($(((end - start) / 1000000)))
        local peak
        peak=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
        ((peak > rss)) && rss=$peak
        if [[ $mode == unchanged ]] && ! grep -q " 0 file(s) written" "$work/stdout.txt"; then
            echo "bench: $name rewrote files on an unchanged run" >&2; exit 1
        fi
    done
    [[ -s $work/out/$(ls "$work/out" | grep '_macro.h$' | head -1) ]] || { echo "bench: $name wrote no macro header" >&2; exit 1; }
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '| %s | %s | %s ms | %d MB |\n' "$name" "$mode" "$median" $((rss / 1024))
}

echo "| input | outputs | median wall (of $RUNS) | peak RSS |"
echo "|---|---|---|---|"
for mode in fresh unchanged; do
    measure "examples/linux-5.10-x86_64 (87 ops)" $mode --config examples/linux-5.10-x86_64/pvgen.json --style both
done
env_file=${PVGEN_KERNEL_CACHE:-/var/cache/pvgen/debian-kernels}/kernels.env
if [[ -f $env_file ]]; then
    # shellcheck disable=SC1090
    source "$env_file"
    for flavour in amd64:x86_64:$PVGEN_KERNEL_BUILD_AMD64 686-pae:i386:$PVGEN_KERNEL_BUILD_I386; do
        IFS=: read -r name target build <<<"$flavour"
        for mode in fresh unchanged; do
            measure "Debian $PVGEN_KERNEL_ABI $name paravirt_types.h" $mode arch/x86/include/asm/paravirt_types.h \
                --config "tests/PvGen.Generation.Tests/Kernel/pvgen-$name.json" --target "$target" \
                --kernel-tree "$PVGEN_KERNEL_SRC" --kernel-build "$build" --style both
        done
    done
else
    echo "(real kernel skipped: $env_file missing; run scripts/fetch-debian-kernels.sh)"
fi
