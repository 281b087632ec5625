# Shared by scripts/bench-*.sh (source it): one way to time a command, and one way to build pvgen.
#
# The machines are 2-core and shared: wall time says little under load, so every figure is the median CPU time
# (user + sys from /usr/bin/time -v) of RUNS runs, with the median wall time and the highest peak RSS beside it,
# and every ratio is taken between figures of the same run of the script.

[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time (Debian package 'time') is required" >&2; exit 2; }
RUNS=${RUNS:-5}
bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_work=$(mktemp -d)
trap 'rm -rf "$bench_work"' EXIT
: >"$bench_work/results"

# The load the figures were taken under (other sessions share the machine).
bench_machine() {
  printf 'machine: %s CPUs, %s GB, %s; load average at start: %s\n' "$(nproc)" \
    "$(awk '/MemTotal/ { printf "%d", $2 / 1048576 + 0.5 }' /proc/meminfo)" "$(uname -r)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# pvgen_build [jit|r2r|aot]: builds (or publishes) pvgen into its own artifacts directory and sets pvgen=(command...);
# the build's own output goes to $bench_work/publish-MODE.log. jit: `dotnet build` (what `dotnet tool install` gives);
# r2r: framework-dependent, ReadyToRun-precompiled; aot: NativeAOT (PvGenNative, see src/PvGen.Cli/PvGen.Cli.csproj).
# PVGEN_BENCH_PVGEN=PATH: time that pvgen instead (no build).
pvgen_build() {
  if [[ -n ${PVGEN_BENCH_PVGEN:-} ]]; then
    pvgen=("$PVGEN_BENCH_PVGEN")
    return 0
  fi
  local mode=${1:-${PVGEN_BENCH_MODE:-r2r}}
  local artifacts=${PVGEN_BENCH_ARTIFACTS:-/tmp/pvgen-bench-${USER:-$(id -un)}}
  local log=$bench_work/publish-$mode.log
  case $mode in
    jit)
      dotnet build "$bench_root/src/PvGen.Cli" -c Release --artifacts-path "$artifacts/jit" -nologo >"$log" 2>&1
      pvgen=("$artifacts/jit/bin/PvGen.Cli/release/pvgen") ;;
    r2r)
      dotnet publish "$bench_root/src/PvGen.Cli" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
        --artifacts-path "$artifacts/r2r" -nologo >"$log" 2>&1
      pvgen=("$artifacts/r2r/publish/PvGen.Cli/release_linux-x64/pvgen") ;;
    aot)
      dotnet publish "$bench_root/src/PvGen.Cli" -c Release -r linux-x64 -p:PvGenNative=true --artifacts-path "$artifacts/aot" -nologo >"$log" 2>&1
      pvgen=("$artifacts/aot/publish/PvGen.Cli/release_linux-x64/pvgen") ;;
    *) echo "bench: unknown build mode '$mode' (jit, r2r, aot)" >&2; exit 2 ;;
  esac || { echo "bench: the $mode build failed:" >&2; grep -E 'error|rror ' "$log" | sort -u | head -5 >&2; return 1; }
  [[ -x ${pvgen[0]} ]] || { echo "bench: ${pvgen[0]} was not built" >&2; return 1; }
}

# measure NAME COMMAND...: RUNS runs; records and prints median CPU, median wall, peak RSS. Output goes to /dev/null.
measure() {
  local name=$1; shift
  local cpus=() walls=() rss=0
  for ((i = 0; i < RUNS; i++)); do
    /usr/bin/time -v -o "$bench_work/time" "$@" >/dev/null 2>"$bench_work/stderr" || { echo "bench: '$name' failed:" >&2; tail -5 "$bench_work/stderr" >&2; exit 1; }
    local user sys wall peak
    user=$(awk -F': ' '/User time/ { print $2 }' "$bench_work/time")
    sys=$(awk -F': ' '/System time/ { print $2 }' "$bench_work/time")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (k = 1; k <= n; k++) s = s * 60 + p[k]; print s }' "$bench_work/time")
    peak=$(awk -F': ' '/Maximum resident/ { print $2 }' "$bench_work/time")
    cpus+=("$(awk "BEGIN { print $user + $sys }")")
    walls+=("$wall")
    ((peak > rss)) && rss=$peak
  done
  local cpu wall
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  wall=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  printf '%s\t%s\t%s\t%s\n' "$name" "$cpu" "$wall" "$rss" >>"$bench_work/results"
  printf '  %-46s %7.3f s cpu  %7.3f s wall  %8d KB peak RSS\n' "$name" "$cpu" "$wall" "$rss"
}

# cpu_of NAME / rss_of NAME: a figure recorded by measure.
cpu_of() { awk -F'\t' -v n="$1" '$1 == n { v = $2 } END { print v }' "$bench_work/results"; }
rss_of() { awk -F'\t' -v n="$1" '$1 == n { v = $4 } END { print v }' "$bench_work/results"; }

# ratio LABEL A B TARGET_TEXT TEST: prints A/B (CPU) and whether the awk TEST on r = A/B holds.
ratio() {
  local label=$1 a b
  a=$(cpu_of "$2"); b=$(cpu_of "$3")
  awk -v l="$label" -v a="$a" -v b="$b" -v t="$4" -v test="$5" 'BEGIN {
    r = (b > 0) ? a / b : 0
    ok = 0
    if (test == "ge100") ok = r >= 100; else if (test == "ge10") ok = r >= 10; else if (test == "le1.5") ok = r <= 1.5;
    else if (test == "le0.5") ok = r <= 0.5; else if (test == "le2") ok = r <= 2; else if (test == "ge1") ok = r >= 1; else if (test == "le1") ok = r < 1;
    printf "  => %-60s %8.2fx  (target %s: %s)\n", l, r, t, ok ? "met" : "MISSED" }'
}
