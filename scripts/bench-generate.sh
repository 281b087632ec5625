#!/usr/bin/env bash
# Benchmark: `pvgen generate --style both`, process start to files written, against `pvgen parse` of the same header in
# the same run. Cases per input:
#   fresh      empty output directory: parse, render, every file written
#   no stamp   outputs up to date but no generation stamp (an empty XDG_CACHE_HOME each run): parse, render, nothing written
#   no-op      outputs up to date and the stamp holds: no parse, no rendering, nothing written (target: < half a parse)
# Before timing, the no-op is checked to be one: the dynamic loader (LD_DEBUG=libs) must not initialise libclang.so.
# Inputs: the 5.10 example and, when fetched (scripts/fetch-debian-kernels.sh), Debian 6.1's paravirt_types.h (amd64).
# Usage: scripts/bench-generate.sh   (RUNS=5; PVGEN_BENCH_MODE=jit|r2r|aot, default r2r)
set -euo pipefail
# shellcheck source=scripts/bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"
cd "$bench_root"
bench_machine
pvgen_build
echo "pvgen: ${pvgen[*]}"
export XDG_CACHE_HOME=$bench_work/cache

case_of() { # name, pvgen args (without the verb)...
  local name=$1; shift
  local out=$bench_work/out
  rm -rf "$out"
  "${pvgen[@]}" generate "$@" --style both -o "$out" >/dev/null
  LD_DEBUG=libs LD_DEBUG_OUTPUT=$bench_work/ld "${pvgen[@]}" generate "$@" --style both -o "$out" >"$bench_work/noop.out"
  if cat "$bench_work"/ld.* | grep -q 'calling init: .*/libclang\.so$'; then
    echo "bench-generate: $name: the unchanged run parsed (libclang loaded): no stamp?" >&2; exit 1
  fi
  rm -f "$bench_work"/ld.*
  grep -q ' 0 file(s) written' "$bench_work/noop.out" || { echo "bench-generate: $name: the unchanged run wrote files" >&2; exit 1; }
  echo "== $name"
  measure "parse: $name" "${pvgen[@]}" parse "$@" --format json -o "$bench_work/model.json"
  measure "generate fresh: $name" bash -c 'rm -rf "$0"; exec "${@}"' "$out" "${pvgen[@]}" generate "$@" --style both -o "$out"
  measure "generate no stamp: $name" bash -c 'rm -rf "$XDG_CACHE_HOME"; exec "${@}"' _ "${pvgen[@]}" generate "$@" --style both -o "$out"
  "${pvgen[@]}" generate "$@" --style both -o "$out" >/dev/null # the stamp again (the runs above had none)
  measure "generate no-op: $name" "${pvgen[@]}" generate "$@" --style both -o "$out"
  ratio "no-op generate / parse ($name)" "generate no-op: $name" "parse: $name" "< 0.5" le0.5
  ratio "no-op generate / generate without a stamp ($name)" "generate no-op: $name" "generate no stamp: $name" "" le0.5
}

case_of "examples/linux-5.10-x86_64 (87 ops)" --config examples/linux-5.10-x86_64/pvgen.json
env_file=${PVGEN_KERNEL_CACHE:-/var/cache/pvgen/debian-kernels}/kernels.env
if [[ -f $env_file ]]; then
  # shellcheck disable=SC1090
  source "$env_file"
  case_of "Debian $PVGEN_KERNEL_ABI amd64 paravirt_types.h" arch/x86/include/asm/paravirt_types.h \
    --config tests/PvGen.Generation.Tests/Kernel/pvgen-amd64.json --target x86_64 \
    --kernel-tree "$PVGEN_KERNEL_SRC" --kernel-build "$PVGEN_KERNEL_BUILD_AMD64"
else
  echo "(real kernel skipped: $env_file missing; run scripts/fetch-debian-kernels.sh)"
fi
