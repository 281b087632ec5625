#!/usr/bin/env bash
# Benchmark: `pvgen parse --format json -o FILE`, process start to file written, on the bundled
# examples and (when fetched) Debian 12's real paravirt_types.h. Prints a Markdown table of the
# median wall time over RUNS runs and the peak resident memory.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
dotnet build src/PvGen.Cli -c Release -v q -nologo >/dev/null
pvgen=src/PvGen.Cli/bin/Release/net10.0/pvgen
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

measure() { # name, pvgen args...
    local name=$1; shift
    local times=() rss=0
    for ((i = 0; i < RUNS; i++)); do
        rm -f "$out/model.json"
        local t
        t=$( { /usr/bin/time -f "%e %M" "$pvgen" parse "$@" --format json -o "$out/model.json" >/dev/null; } 2>&1 | tail -1)
        times+=("${t% *}")
        ((${t#* } > rss)) && rss=${t#* }
        [[ -s $out/model.json ]] || { echo "bench: $name produced no model" >&2; exit 1; }
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '| %s | %s s | %d MB |\n' "$name" "$median" $((rss / 1024))
}

echo "| input | median wall (of $RUNS) | peak RSS |"
echo "|---|---|---|"
measure "examples/toy" --config examples/toy/pvgen.json
measure "examples/linux-5.10-x86_64" --config examples/linux-5.10-x86_64/pvgen.json
env_file=${PVGEN_KERNEL_CACHE:-/var/cache/pvgen/debian-kernels}/kernels.env
if [[ -f $env_file ]]; then
    # shellcheck disable=SC1090
    source "$env_file"
    for flavour in amd64:x86_64:$PVGEN_KERNEL_BUILD_AMD64 686-pae:i386:$PVGEN_KERNEL_BUILD_I386; do
        IFS=: read -r name target build <<<"$flavour"
        measure "Debian $PVGEN_KERNEL_ABI $name paravirt_types.h" arch/x86/include/asm/paravirt_types.h \
            --struct paravirt_patch_template --target "$target" --kernel-tree "$PVGEN_KERNEL_SRC" --kernel-build "$build"
    done
fi
