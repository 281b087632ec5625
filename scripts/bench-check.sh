#!/usr/bin/env bash
# Benchmark `pvgen check`: (1) one generated example, compile + type-safety probes + record
# verification with every compiler at -O0 and -O2; (2) `--object` over all modules of Debian 12's
# kernels (when scripts/fetch-debian-kernels.sh has run). Wall time and peak RSS, Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/PvGen.Cli -c Release -v q -nologo >/dev/null
pvgen=src/PvGen.Cli/bin/Release/net10.0/pvgen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

timed() { # label, command...
    local label=$1; shift
    local t
    t=$( { /usr/bin/time -f "%e %M" "$@" >/dev/null 2>"$work/stderr"; } 2>&1 | tail -1) || true
    t=$(tail -1 "$work/stderr")
    printf '| %s | %s s | %d MB |\n' "$label" "${t% *}" $((${t#* } / 1024))
}

echo "| what | wall | peak RSS |"
echo "|---|---|---|"
for example in toy linux-5.10-x86_64; do
    "$pvgen" generate --config "examples/$example/pvgen.json" -o "$work/$example" >/dev/null
    timed "check examples/$example ($(for c in gcc clang-19; do command -v $c >/dev/null && printf '%s ' $c; done)x 2 styles x -O0,-O2)" "$pvgen" check "$work/$example"
done
env_file=${PVGEN_KERNEL_CACHE:-/var/cache/pvgen/debian-kernels}/kernels.env
if [[ -f $env_file ]]; then
    # shellcheck disable=SC1090
    source "$env_file"
    for flavour in amd64:x86_64:$PVGEN_KERNEL_BUILD_AMD64:$PVGEN_KERNEL_MODULES_AMD64 686-pae:i386:$PVGEN_KERNEL_BUILD_I386:$PVGEN_KERNEL_MODULES_I386; do
        IFS=: read -r name target build modules <<<"$flavour"
        "$pvgen" parse arch/x86/include/asm/paravirt_types.h --struct paravirt_patch_template --target "$target" \
            --kernel-tree "$PVGEN_KERNEL_SRC" --kernel-build "$build" --format json -o "$work/$name.json"
        count=$(find "$modules" -name '*.ko' | wc -l)
        cat "$(find "$modules" -name '*.ko' | head -1)" >/dev/null # the same warm page cache for every run
        find "$modules" -name '*.ko' -exec cat {} + >/dev/null
        timed "check --object: $count $name modules (warm cache)" "$pvgen" check --object "$modules" --model "$work/$name.json"
    done
fi
