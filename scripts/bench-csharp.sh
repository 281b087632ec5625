#!/usr/bin/env bash
# Benchmark of the C# bindings: `pvgen generate --style csharp` from a pvgen.model/1 file (process start to file
# written; no libclang) for each example, and the compiler-side cost in examples/csharp: a no-op build and a build
# after an unrelated edit (CoreCompile runs, the generator runs inside it). Median wall time over RUNS runs (ms).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
artifacts=${ARTIFACTS:-/tmp/pvgen-bench-csharp}
dotnet build src/PvGen.Cli -c Release -v q -nologo --artifacts-path "$artifacts" >/dev/null
pvgen=$artifacts/bin/PvGen.Cli/release/pvgen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| input | ops | step | median |"
echo "|---|---|---|---|"
for example in toy linux-2.6.22-i386 linux-2.6.24 linux-5.10-x86_64; do
    "$pvgen" parse --config "examples/$example/pvgen.json" --format json -o "$work/$example.pvgen.json"
    ops=$(grep -c '"signature_known"' "$work/$example.pvgen.json")
    times=()
    for ((i = 0; i < RUNS; i++)); do
        rm -rf "$work/out"
        start=$(now_ms)
        "$pvgen" generate "$work/$example.pvgen.json" --config "examples/$example/pvgen.json" --style csharp -o "$work/out" >/dev/null 2>&1
        times+=($(($(now_ms) - start)))
    done
    printf '| %s | %s | pvgen generate --style csharp (model in) | %s ms |\n' "$example" "$ops" "$(printf '%s\n' "${times[@]}" | median)"
done

# examples/csharp with its own artifacts: warm once, then no-op builds and builds after touching Program.cs.
dotnet build examples/csharp --artifacts-path "$artifacts/example" -v q -nologo >/dev/null
for mode in no-op unrelated-edit; do
    times=()
    for ((i = 0; i < RUNS; i++)); do
        [[ $mode == unrelated-edit ]] && touch examples/csharp/Program.cs
        start=$(now_ms)
        dotnet build examples/csharp --artifacts-path "$artifacts/example" --no-restore -v q -nologo >/dev/null
        times+=($(($(now_ms) - start)))
    done
    printf '| examples/csharp | 8 | dotnet build (%s) | %s ms |\n' "$mode" "$(printf '%s\n' "${times[@]}" | median)"
done
