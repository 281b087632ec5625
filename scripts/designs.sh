#!/usr/bin/env bash
# designs.sh — the README's "Four designs side by side": one run of the four ways of 2007 to find and describe pv call
# sites (PVOP macros with records, relocation scanning, VMI per-call constraint wrappers, marker relocations) on the
# same corpus, compilers and flags, with the existing verbs:
#
#   pvgen diff  --style macro,plain,marker   sites found, lost sites by cause, code size, register saves
#   pvgen check (VMI template set)           every vmi24 record verified against the asm's bindings and natives
#   pvgen prove --style macro,plain,marker   every design's records applied as the kernel would, run, compared
#
# plus the corpus built against the VMI header with the diff's own compiler flags (pvgen diff builds three styles, not
# VMI's), its records counted with readelf. Code size of all four comes from binutils' size(1) on the objects.
#
#   scripts/designs.sh [OUT]      (default OUT = out/designs)
#
# PVGEN="dotnet path/to/pvgen.dll" runs that pvgen (else a Release build of src/PvGen.Cli). Needs python3 for the tables.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out/designs}
CONFIG=examples/linux-5.10-x86_64/pvgen.json
TARGETS=(x86_64 i386) CCS=gcc,clang OPTS=O0,O2
rm -rf "$OUT" && mkdir -p "$OUT"

if [[ -n ${PVGEN:-} ]]; then
    read -r -a pvgen <<<"$PVGEN"
else
    dotnet build src/PvGen.Cli -c Release -v q -nologo >/dev/null
    pvgen=(dotnet src/PvGen.Cli/bin/Release/net10.0/pvgen.dll)
fi

targets=$(IFS=,; echo "${TARGETS[*]}")
echo "machine: $(nproc) CPUs, $(uname -r); gcc $(gcc -dumpfullversion), $(clang-19 --version | head -1)" >"$OUT/machine.txt"

# 1. Three styles through the diff (macro records, plain + relocation scan, marker relocations).
"${pvgen[@]}" diff --config "$CONFIG" --style macro,plain,marker --cc "$CCS" --target "$targets" --opt "$OPTS" \
    --format json -o "$OUT/diff.json" --keep-build "$OUT/diff" --jobs 2 >/dev/null

# 2. Three styles proved by running them (the target's own .parainstructions layout: para16 on x86-64, para8 on i386).
for target in "${TARGETS[@]}"; do
    if [[ $target == x86_64 ]]; then format=para16; else format=para8; fi
    "${pvgen[@]}" prove --config "$CONFIG" --style macro,plain,marker --cc "$CCS" --target "$target" --opt "$OPTS" \
        --record-format "$format" --format json -o "$OUT/prove-$target.json" --jobs 2 >/dev/null
done

# 3. The VMI template set: generated and checked per target, then the corpus built against its header with the flags
#    pvgen diff builds with (src/PvGen.Checking/Toolchain/Compiler.cs), so its code size compares with the other three.
corpus=$(python3 -c 'import json,os,sys; c=json.load(open(sys.argv[1])); d=os.path.dirname(sys.argv[1]); print(" ".join(os.path.normpath(os.path.join(d,p)) for p in c["diff"]["corpus"]))' "$CONFIG")
for target in "${TARGETS[@]}"; do
    gen=$OUT/vmi-$target
    "${pvgen[@]}" generate --config "$CONFIG" --target "$target" --template-set vmi -o "$gen" >/dev/null 2>"$gen.notes" || { cat "$gen.notes" >&2; exit 1; }
    "${pvgen[@]}" check "$gen" --cc "$CCS" --opt "$OPTS" --format json >"$OUT/vmi-check-$target.json"
    header=$(ls "$gen"/*_vmi.h)
    cflags=$(python3 -c 'import json,glob,sys; print(" ".join(json.load(open(glob.glob(sys.argv[1] + "/*.manifest.json")[0]))["cflags"]))' "$gen")
    if [[ $target == x86_64 ]]; then tflags="-m64 -mcmodel=kernel -fno-pie"; else tflags="-m32 -mregparm=3 -fno-pie"; fi
    for cc in gcc clang-19; do
        for opt in ${OPTS//,/ }; do
            dir=$OUT/vmi-corpus/$cc-$target-$opt
            mkdir -p "$dir"
            for src in $corpus; do
                # shellcheck disable=SC2086
                "$cc" -std=gnu11 "-$opt" -fno-asynchronous-unwind-tables $tflags -ffreestanding -fno-stack-protector $cflags \
                    -include "$header" -c -o "$dir/$(basename "${src%.c}").o" "$src"
            done
        done
    done
done

python3 - "$OUT" "${TARGETS[@]}" <<'EOF'
import glob, json, os, re, subprocess, sys
from collections import Counter

out, targets = sys.argv[1], sys.argv[2:]
diff = json.load(open(f"{out}/diff.json"))
prove_builds = [b for target in targets for b in json.load(open(f"{out}/prove-{target}.json"))["builds"]]
t = diff["totals"]

def text_bytes(objects):
    """.text* bytes by binutils' size -A (the oracle for code size, the same for all four designs)."""
    total = 0
    for o in objects:
        for line in subprocess.run(["size", "-A", o], capture_output=True, text=True, check=True).stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].startswith(".text") and parts[1].isdigit():
                total += int(parts[1])
    return total

def readelf_entries(obj, section):
    m = re.search(rf"Relocation section '\.rela?{re.escape(section)}' at offset \S+ contains (\d+) entr",
                  subprocess.run(["readelf", "-rW", obj], capture_output=True, text=True, check=True).stdout)
    return int(m.group(1)) if m else 0

builds = [b for b in diff["builds"] if not b.get("error")]
opts = sorted({b["opt"] for b in builds})
def style_objects(style, opt=None):
    return [o for b in builds if opt in (None, b["opt"]) for o in glob.glob(f"{out}/diff/{b['id']}/{style}/*.o")]
def vmi_corpus(opt=None):
    return glob.glob(f"{out}/vmi-corpus/*-{opt or '*'}/*.o")
def sizes(objects_of):
    return " / ".join(str(text_bytes(objects_of(opt))) for opt in opts)
vmi_objects = vmi_corpus()
vmi_records = sum(readelf_entries(o, ".pvgen.vmi") for o in vmi_objects) // 2  # site and bind relocated per record

print(f"One run: {diff['corpus'] and len(diff['corpus'])} corpus files of examples/corpus, 5.10 ops header; "
      f"targets {', '.join(targets)}; gcc and clang-19; -O0 and -O2 ({len(builds)} builds).")
print(open(f"{out}/machine.txt").read().strip())
print()
print("| measure | PVOP macros + records | relocation scan (plain) | VMI wrappers | marker relocations |")
print("|---|---|---|---|---|")
print(f"| sites recorded at compile time | {t['macro_sites']} | 0 | {vmi_records} | {t['marker_sites']} markers |")
print(f"| sites found afterwards | (records) | {t['reloc_calls'] + t['reloc_jumps']} calls/jumps of {t['reloc_references']} references | (records) | {t['marker_paired']} paired, {t['marker_unpaired']} unpaired |")
print(f"| lost sites by cause | none (every wrapper is recorded) | tail jump {t['lost_tail_jumps']}, load {t['lost_loads']}, GOT {t['lost_got']}, address {t['lost_addresses']}, retpoline {t['lost_retpoline']} | none | {t['marker_unpaired']} unpaired |")
print(f"| marker to call | - | - | - | {t['marker_on_site']} on the call, at most {t['marker_max_distance']} bytes before |")
print(f"| code size, .text bytes (size -A), {' / '.join('-' + o for o in opts)} | {sizes(lambda o: style_objects('macro', o))} | {sizes(lambda o: style_objects('plain', o))} | "
      f"{sizes(vmi_corpus)} | {sizes(lambda o: style_objects('marker', o))} |")
print(f"| register save instructions (diff) | {t['macro_save_instructions']} | {t['plain_save_instructions']} | not measured | {t['marker_save_instructions']} |")
print()

print("`pvgen prove` (the target's own .parainstructions layout; plain and marker annotated by `pvgen annotate`):")
print()
print("| style | programs | proved | records | patched | left indirect (by reason) | markers (unpaired) |")
print("|---|---|---|---|---|---|---|")
for style in ("macro", "plain", "marker"):
    bs = [b for b in prove_builds if b["style"] == style]
    reasons = Counter(s["reason"] or "other" for b in bs for s in b["sites"] if s["state"] == "indirect")
    markers = f"{sum(b['markers'] or 0 for b in bs)} ({sum(b['markers_unpaired'] for b in bs)})" if style == "marker" else "-"
    print(f"| {style} | {len(bs)} | {sum(b['verdict'] == 'proved' for b in bs)} | {sum(b['records'] for b in bs)} | {sum(b['patched'] for b in bs)} | "
          f"{sum(reasons.values())}: {', '.join(f'{k} {v}' for k, v in sorted(reasons.items())) or 'none'} | {markers} |")
print()

print("`pvgen check` of the VMI template set (the exerciser: every wrapper once, every compiler, -O0 and -O2):")
print()
print("| target | builds | records | checks verified | failed | passed |")
print("|---|---|---|---|---|---|")
for target in targets:
    c = json.load(open(f"{out}/vmi-check-{target}.json"))
    vmi = [b for b in c["builds"] if b["style"] == "vmi"]
    print(f"| {target} | {len(vmi)} | {sum(b['records'] or 0 for b in vmi)} | {sum(k['verified'] for k in c['checks'] if k['format'] == 'vmi24')} | "
          f"{sum(k['failed'] for k in c['checks'] if k['format'] == 'vmi24')} | {c['passed']} |")
EOF
