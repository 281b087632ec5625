#!/usr/bin/env bash
# Benchmark: start-up of pvgen as each way of building it gives it, and what each way breaks.
#   jit  `dotnet build -c Release` (the framework-dependent apphost, what `dotnet tool install` gives today)
#   r2r  `dotnet publish -p:PublishReadyToRun=true` (framework-dependent, precompiled; still a plain tool package)
#   aot  `dotnet publish -p:PvGenNative=true` (NativeAOT: one native executable, no runtime needed)
# For each: `pvgen --version` and `pvgen --help` (start-up alone), then the verbs that exercise the libraries which use
# reflection or native code: parse (libclang P/Invoke, JSON), generate (Scriban), scan (LibObjectFile, Iced), with
# their output compared to the jit build's. A verb that fails or differs is reported as broken, not timed. Then the
# three short runs a user waits for, timed: scan of one module (kvm.ko), a no-op generate (the stamp holds: no parse,
# no rendering) and a parse of the 5.10 example.
# Usage: scripts/bench-startup.sh [modes]   (default "jit r2r aot"; RUNS=5)
set -euo pipefail
# shellcheck source=scripts/bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"
cd "$bench_root"
modes=${1:-jit r2r aot}
bench_machine

module=$(find "${PVGEN_KERNEL_MODULES_AMD64:-/nonexistent}" -name 'kvm.ko' 2>/dev/null | head -1 || true)
[[ -n $module ]] || module=$(find /var/cache/pvgen/debian-kernels/root/lib/modules -name 'kvm.ko' 2>/dev/null | head -1 || true)
example=examples/linux-5.10-x86_64/pvgen.json

# The outputs each verb gives, to compare builds with (paths of the build itself do not appear in them).
verbs_output() { # dir
  local dir=$1
  "${pvgen[@]}" parse --config "$example" --format json -o "$dir/model.json" >"$dir/parse.out" 2>&1 || echo "exit $?" >>"$dir/parse.out"
  "${pvgen[@]}" generate --config "$example" --style both -o "$dir/gen" >"$dir/generate.out" 2>&1 || echo "exit $?" >>"$dir/generate.out"
  if [[ -n $module ]]; then
    "${pvgen[@]}" scan "$module" --format json -o "$dir/scan.json" >"$dir/scan.out" 2>&1 || echo "exit $?" >>"$dir/scan.out"
  fi
}

for mode in $modes; do
  echo "== $mode"
  build_log=$bench_work/build-$mode.log
  pvgen_build "$mode" 2>"$build_log" || { echo "  build failed:"; tail -5 "$build_log"; continue; }
  echo "  $(du -sh "$(dirname "${pvgen[0]}")" | cut -f1) on disk ($(dirname "${pvgen[0]}"))"
  if [[ $mode == aot ]]; then
    # The trimming/AOT analysis of every assembly: what the compiler could not prove safe, by warning and assembly.
    grep -oE 'warning IL[0-9]+: [^[]*' "$bench_work/publish-$mode.log" | cut -c1-160 | sort -u | head -20 | sed 's/^/  aot analysis: /' || true
  fi
  if ! "${pvgen[@]}" --version >/dev/null 2>"$bench_work/start.err"; then
    echo "  BROKEN start-up: $(grep -m1 -E 'Exception|rror' "$bench_work/start.err"); first frames:"
    grep -m4 '^   at PvGen' "$bench_work/start.err" | sed 's/^ */    /'
    continue
  fi
  measure "$mode pvgen --version" "${pvgen[@]}" --version
  measure "$mode pvgen --help" "${pvgen[@]}" --help
  mkdir -p "$bench_work/$mode"
  verbs_output "$bench_work/$mode"
  for check in parse:model.json generate:gen scan:scan.json; do
    verb=${check%%:*} product=${check#*:}
    [[ -f $bench_work/$mode/$verb.out ]] || continue
    if grep -q '^exit ' "$bench_work/$mode/$verb.out"; then
      echo "  BROKEN $verb: $(grep -m1 -E 'rror|xception|not supported|Unhandled' "$bench_work/$mode/$verb.out" || tail -1 "$bench_work/$mode/$verb.out")"
    elif [[ $mode != jit && -e $bench_work/jit/$product ]] && ! diff -r -q "$bench_work/jit/$product" "$bench_work/$mode/$product" >/dev/null; then
      echo "  DIFFERS $verb: $bench_work/$mode/$product is not what the jit build wrote"
    else
      echo "  ok $verb${module:+}"
    fi
  done
  [[ -n $module && -f $bench_work/$mode/scan.json ]] && measure "$mode pvgen scan kvm.ko" "${pvgen[@]}" scan "$module" --format json -o "$bench_work/$mode/scan.json"
  if [[ -d $bench_work/$mode/gen ]]; then
    # The stamp of the run above holds (each build has its own: the stamp records the build's identity).
    XDG_CACHE_HOME=$bench_work/cache-$mode "${pvgen[@]}" generate --config "$example" --style both -o "$bench_work/$mode/gen" >/dev/null
    XDG_CACHE_HOME=$bench_work/cache-$mode measure "$mode pvgen generate no-op (5.10 example)" "${pvgen[@]}" generate --config "$example" --style both -o "$bench_work/$mode/gen"
  fi
  [[ -f $bench_work/$mode/model.json ]] && measure "$mode pvgen parse (5.10 example)" "${pvgen[@]}" parse --config "$example" --format json -o "$bench_work/$mode/model.json"
done
for mode in r2r aot; do
  for what in "pvgen --version" "pvgen scan kvm.ko" "pvgen generate no-op (5.10 example)" "pvgen parse (5.10 example)"; do
    [[ -n $(cpu_of "$mode $what") && -n $(cpu_of "jit $what") ]] && ratio "$mode / jit: $what" "$mode $what" "jit $what" "< 1" le1 || true
  done
done
