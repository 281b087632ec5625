#!/usr/bin/env bash
# Benchmark: `pvgen parse --format json -o FILE` (process start to model written) against `clang-19 -fsyntax-only` of the
# same header with the same flags, in the same run: the flags are the ones pvgen handed libclang, as libclang itself logs
# them (LIBCLANG_LOGGING=1), and the main file is the one pvgen parses (`#include "HEADER"`). pvgen asks libclang to skip
# function bodies (CXTranslationUnit_SkipFunctionBodies), which clang-19's driver and cc1 offer no flag for: clang parses
# the kernel headers' inline function bodies too, so the ratio is in pvgen's favour by that much. libclang is the one
# pvgen ships (libclang.runtime, clang 22), the anchor Debian's clang-19.
# Inputs: the bundled 5.10 example and, when fetched (scripts/fetch-debian-kernels.sh), Debian 6.1's paravirt_types.h
# through its kernel tree (amd64 and 686-pae).
# Usage: scripts/bench-parse.sh   (RUNS=5; PVGEN_BENCH_MODE=jit|r2r|aot, default r2r)
set -euo pipefail
# shellcheck source=scripts/bench-lib.sh
source "$(dirname "$0")/bench-lib.sh"
cd "$bench_root"
clang=$(command -v clang-19 || true)
[[ -n $clang ]] || { echo "bench-parse: clang-19 is required (the anchor)" >&2; exit 2; }
bench_machine
pvgen_build
echo "pvgen: ${pvgen[*]}; libclang $(find "$(dirname "${pvgen[0]}")" -name 'libclang.so*' | head -1); anchor: $("$clang" --version | head -1)"

case_of() { # name, pvgen parse args...
  local name=$1; shift
  rm -f "$bench_work/model.json"
  LIBCLANG_LOGGING=1 "${pvgen[@]}" parse "$@" --format json -o "$bench_work/model.json" >/dev/null 2>"$bench_work/log"
  [[ -s $bench_work/model.json ]] || { echo "bench-parse: $name gave no model" >&2; cat "$bench_work/log" >&2; exit 1; }
  local line main header
  line=$(grep -m1 'clang_parseTranslationUnit' "$bench_work/log")
  main=${line#*] }; main=${main%%: clang *}
  header=$(jq -r '.location.file // empty' "$bench_work/model.json")
  read -r -a flags <<<"${line#*: clang }"
  # The main file pvgen gives libclang from memory: without a kernel tree the prelude (src/PvGen.Clang/CompilerFlags.cs),
  # then the header by absolute path (configured signatures aside).
  [[ -n $header ]] || { echo "bench-parse: $name: no header in the model" >&2; exit 1; }
  : >"$bench_work/main.c"
  if [[ " ${flags[*]} " == *" -ffreestanding "* ]]; then
    for marker in fastcall asmlinkage notrace __no_randomize_layout; do
      printf '#ifndef %s\n#define %s\n#endif\n' "$marker" "$marker" >>"$bench_work/main.c"
    done
  fi
  printf '#include "%s"\n' "$(realpath -m "$header")" >>"$bench_work/main.c"
  "$clang" -fsyntax-only "${flags[@]}" "$bench_work/main.c" 2>"$bench_work/clang.err" || { echo "bench-parse: clang rejects $name:" >&2; head -5 "$bench_work/clang.err" >&2; exit 1; }
  echo "== $name: ${#flags[@]} flags"
  measure "pvgen parse: $name" "${pvgen[@]}" parse "$@" --format json -o "$bench_work/model.json"
  measure "clang-19 -fsyntax-only: $name" "$clang" -fsyntax-only "${flags[@]}" "$bench_work/main.c"
  ratio "pvgen parse / clang-19 -fsyntax-only ($name)" "pvgen parse: $name" "clang-19 -fsyntax-only: $name" "<= 2x" le2
}

case_of "examples/linux-5.10-x86_64" --config examples/linux-5.10-x86_64/pvgen.json
env_file=${PVGEN_KERNEL_CACHE:-/var/cache/pvgen/debian-kernels}/kernels.env
if [[ -f $env_file ]]; then
  # shellcheck disable=SC1090
  source "$env_file"
  for flavour in amd64:x86_64:$PVGEN_KERNEL_BUILD_AMD64 686-pae:i386:$PVGEN_KERNEL_BUILD_I386; do
    IFS=: read -r name target build <<<"$flavour"
    case_of "Debian $PVGEN_KERNEL_ABI $name paravirt_types.h" arch/x86/include/asm/paravirt_types.h \
      --struct paravirt_patch_template --target "$target" --kernel-tree "$PVGEN_KERNEL_SRC" --kernel-build "$build"
  done
else
  echo "(real kernel skipped: $env_file missing; run scripts/fetch-debian-kernels.sh)"
fi
