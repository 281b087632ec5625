#!/usr/bin/env bash
# kernel-diff.sh — the full real-kernel diff of the README: Debian 12's 6.1 and 6.12 sources, the 20 objects of
# pvgen diff's default set, each built by Kbuild three times (the kernel's own PVOP macros, the macro drop-in, the plain
# drop-in), then the report. CI builds 3 objects per kernel (tests/PvGen.Kernel.Tests); this script builds all 20.
#
#   scripts/kernel-diff.sh [OUT]      (default OUT = out/kernel-diff)
#
# Writes OUT/linux-X.Y.json (pvgen.diff/1) and OUT/linux-X.Y.md, keeps the objects in OUT/linux-X.Y/{kernel,macro,plain}/,
# and prints per kernel: wall time of the first (uncached) and the second (cached) run, the cache's disk use, and the
# headline table row. The kernel cache is pvgen's default ($PVGEN_KERNEL_BUILD_CACHE, else /var/cache/pvgen/kernel-build);
# delete linux-X.Y.*-* there to measure a first run again. Needs python3 for the table.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/kernel-diff}
mkdir -p "$OUT"

bash scripts/fetch-debian-kernels.sh
bash scripts/fetch-kernel-sources.sh
# shellcheck disable=SC1091
source "${PVGEN_KERNEL_SOURCES:-/var/cache/pvgen/kernel-sources}/kernel-sources.env"
dotnet build src/PvGen.Cli -c Release -v q -nologo >/dev/null
pvgen=(dotnet src/PvGen.Cli/bin/Release/net10.0/pvgen.dll)
cache=${PVGEN_KERNEL_BUILD_CACHE:-/var/cache/pvgen/kernel-build}

for kernel in 6.1 6.12; do
    key=${kernel/./}
    tarball_var=PVGEN_KSRC_${key}_TARBALL build_var=PVGEN_KSRC_${key}_BUILD
    tarball=${!tarball_var} build=${!build_var}
    start=$(date +%s.%N)
    "${pvgen[@]}" diff --kernel-source "$tarball" --kernel-build "$build" --jobs 2 \
        --format json -o "$OUT/linux-$kernel.json" --keep-build "$OUT/linux-$kernel" || [[ $? == 1 ]]
    first=$(echo "$(date +%s.%N) - $start" | bc)
    start=$(date +%s.%N)
    "${pvgen[@]}" diff --kernel-source "$tarball" --kernel-build "$build" --jobs 2 --format md -o "$OUT/linux-$kernel.md" || [[ $? == 1 ]]
    second=$(echo "$(date +%s.%N) - $start" | bc)
    disk=$(du -sh --apparent-size "$cache"/builds/linux-"$kernel".*-* "$cache"/sources/linux-source-"$kernel"-* 2>/dev/null | awk '{print $1}' | paste -sd+)
    printf 'linux %s: first run %.0f s, second (cached) run %.0f s; cache: %s (trees and builds + extracted source)\n' "$kernel" "$first" "$second" "$disk"
done

python3 - "$OUT" <<'EOF'
import json, sys, pathlib
out = pathlib.Path(sys.argv[1])
print()
print("| kernel | objects | macro sites (records) | reloc: in place / references | lost: retpoline / tail jump / load / other | code bytes macro / plain | saves macro / plain | records reproduced | byte-identical |")
print("|---|---:|---:|---:|---|---|---|---|---|")
for kernel in ("6.1", "6.12"):
    d = json.loads((out / f"linux-{kernel}.json").read_text())
    t, k = d["totals"], d["kernel"]
    q = k["equivalence"]
    print(f"| {k['version']} | {q['objects']} | {t['macro_sites']} | {t['reloc_sites']} / {t['reloc_references']} | "
          f"{t['lost_retpoline']} / {t['lost_tail_jumps']} / {t['lost_loads']} / {t['lost'] - t['lost_retpoline'] - t['lost_tail_jumps'] - t['lost_loads'] - t['lost_got'] - t['lost_addresses']} | "
          f"{t['macro_bytes']} / {t['plain_bytes']} ({t['net_bytes']:+}, {100 * t['net_bytes'] / t['macro_bytes']:+.1f}%) | "
          f"{t['macro_save_instructions']} / {t['plain_save_instructions']} ({t['net_save_instructions']:+}) | "
          f"{q['records_equal']} of {q['objects']} | {q['identical']} of {q['objects']} |")
EOF
