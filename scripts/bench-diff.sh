#!/usr/bin/env bash
# Benchmark: `pvgen diff` over the full matrix on the bundled corpus (gcc + clang x x86_64 + i386 x O2,Os,O0 x pic no,yes
# = 24 builds of 6 files in both styles, plus a link per build), wall time. Prints the headline and the time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
art="${PVGEN_ARTIFACTS:-/tmp/art-bench-diff}"
jobs="${JOBS:-$(nproc)}"
dotnet build "$root/src/PvGen.Cli/PvGen.Cli.csproj" -c Release --artifacts-path "$art" -v q -nologo >/dev/null
pvgen="$art/bin/PvGen.Cli/release/pvgen.dll"
cc="gcc"
if command -v clang-19 >/dev/null || command -v clang >/dev/null; then cc="gcc,clang"; else echo "clang not installed: gcc only" >&2; fi
out="$(mktemp -d)"
cd "$root"
start=$(date +%s.%N)
status=0
dotnet "$pvgen" diff --config examples/linux-5.10-x86_64/pvgen.json --cc "$cc" --target x86_64,i386 --opt O2,Os,O0 --pic no,yes \
  --jobs "$jobs" --format md -o "$out/diff.md" 2>"$out/stderr" || status=$?
end=$(date +%s.%N)
sed -n '/^- /p' "$out/diff.md" | head -7
grep -c '^pvgen: warning' "$out/stderr" >/dev/null && sed -n '1,3p' "$out/stderr" || true
printf 'full matrix (%s x x86_64,i386 x O2,Os,O0 x pic no,yes), %s jobs on %s CPUs: %.1f s wall (exit %s)\n' "$cc" "$jobs" "$(nproc)" "$(echo "$end - $start" | bc)" "$status"
rm -rf "$out"
