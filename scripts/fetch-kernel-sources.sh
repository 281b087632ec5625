#!/usr/bin/env bash
# fetch-kernel-sources.sh — Debian 12's kernel *sources* for pvgen's real-build tests and scripts/kernel-diff.sh.
#
# For each of two kernels, the source archive and the headers of the same Debian version:
#   6.1   linux-source-6.1 at the version of the 6.1 headers scripts/fetch-debian-kernels.sh unpacked
#         (its kernels.env); those headers' amd64 flavour directory holds the .config the objects are built with.
#   6.12  linux-source-6.12 (bookworm-backports/security) and linux-headers-<abi>-{common,amd64} of the same
#         version, unpacked here.
# The packages are only downloaded and unpacked (dpkg-deb -x); the .tar.xz inside linux-source-X.Y is left
# packed: `pvgen diff --kernel-source FILE.tar.xz` extracts it once into its own cache, with progress.
#
# Output (shell syntax, `source`-able, and the same keys as JSON):
#   <cache>/kernel-sources.env    PVGEN_KSRC_61_TARBALL  PVGEN_KSRC_61_BUILD  PVGEN_KSRC_61_HEADERS
#                                 PVGEN_KSRC_612_TARBALL PVGEN_KSRC_612_BUILD PVGEN_KSRC_612_HEADERS
#   (TARBALL: linux-source-X.Y.tar.xz; BUILD: linux-headers-*-amd64 with .config; HEADERS: linux-headers-*-common)
#
# Environment: PVGEN_KERNEL_SOURCES (cache, default /var/cache/pvgen/kernel-sources),
#              PVGEN_KERNEL_CACHE (where fetch-debian-kernels.sh keeps kernels.env).
# Idempotent: a re-run with everything in place only reads the marks. Serialised with flock.
set -euo pipefail

CACHE="${PVGEN_KERNEL_SOURCES:-/var/cache/pvgen/kernel-sources}"
KERNELS="${PVGEN_KERNEL_CACHE:-/var/cache/pvgen/debian-kernels}"
DEBS="$CACHE/debs"
MARKS="$CACHE/marks"

die() { echo "fetch-kernel-sources: error: $*" >&2; exit 1; }
for tool in apt-get apt-cache dpkg-deb flock; do
    command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found"
done

mkdir -p "$CACHE" "$DEBS" "$MARKS" || die "cannot create $CACHE"
exec 9>"$CACHE/.lock"
flock 9

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/^  Candidate:/ { print $2 }'; }

# fetch NAME VERSION ROOT: download NAME=VERSION (architecture all or amd64) and unpack it into ROOT, once.
fetch() {
    local name=$1 version=$2 root=$3 deb mark
    mark="$MARKS/${name}_${version//:/%3a}.unpacked"
    [[ -e $mark ]] && return 0
    deb=$(compgen -G "$DEBS/${name}_${version//:/%3a}_*.deb" | head -n1 || true)
    if [[ -z $deb ]]; then
        (cd "$DEBS" && apt-get download -qq "$name=$version" 2>&1 | grep -v 'unsandboxed' >&2 || true)
        deb=$(compgen -G "$DEBS/${name}_${version//:/%3a}_*.deb" | head -n1 || true)
        [[ -n $deb ]] || die "cannot download $name=$version (is it still on the mirror? apt-get update)"
    fi
    mkdir -p "$root"
    dpkg-deb -x "$deb" "$root" || die "cannot unpack $deb"
    : >"$mark"
}

# --- 6.1: the version of the headers fetch-debian-kernels.sh unpacked -----------------------------------------
[[ -f $KERNELS/kernels.env ]] || die "$KERNELS/kernels.env missing: run scripts/fetch-debian-kernels.sh first"
# shellcheck disable=SC1091
source "$KERNELS/kernels.env"
headers61_deb=$(compgen -G "$KERNELS/debs/linux-headers-${PVGEN_KERNEL_ABI}-amd64_*_amd64.deb" | head -n1 || true)
[[ -n $headers61_deb ]] || die "no linux-headers-${PVGEN_KERNEL_ABI}-amd64 package in $KERNELS/debs"
version61=$(dpkg-deb -f "$headers61_deb" Version)
fetch linux-source-6.1 "$version61" "$CACHE/root-6.1"
tarball61="$CACHE/root-6.1/usr/src/linux-source-6.1.tar.xz"
[[ -f $tarball61 ]] || die "linux-source-6.1 $version61 has no $tarball61"

# --- 6.12: linux-source-6.12 and the headers of its version -----------------------------------------------------
version612=$(candidate linux-source-6.12)
[[ -n $version612 && $version612 != "(none)" ]] || die "linux-source-6.12 is not in the apt sources (bookworm-security or -backports)"
abi612="${version612%%-*}+deb12"
for name in "linux-headers-$abi612-common" "linux-headers-$abi612-amd64"; do
    [[ $(candidate "$name") == "$version612" ]] || die "$name is not available at $version612 (the version of linux-source-6.12)"
done
fetch linux-source-6.12 "$version612" "$CACHE/root-6.12"
fetch "linux-headers-$abi612-common" "$version612" "$CACHE/root-6.12"
fetch "linux-headers-$abi612-amd64" "$version612" "$CACHE/root-6.12"
tarball612="$CACHE/root-6.12/usr/src/linux-source-6.12.tar.xz"
build612="$CACHE/root-6.12/usr/src/linux-headers-$abi612-amd64"
headers612="$CACHE/root-6.12/usr/src/linux-headers-$abi612-common"
for f in "$tarball612" "$build612/.config" "$headers612/arch/x86/include/asm/paravirt.h"; do
    [[ -e $f ]] || die "expected $f after unpacking"
done

# --- kernel-sources.env / .json (atomically, only when changed) --------------------------------------------------
KEYS=(PVGEN_KSRC_61_TARBALL PVGEN_KSRC_61_BUILD PVGEN_KSRC_61_HEADERS PVGEN_KSRC_612_TARBALL PVGEN_KSRC_612_BUILD PVGEN_KSRC_612_HEADERS)
VALS=("$tarball61" "$PVGEN_KERNEL_BUILD_AMD64" "$PVGEN_KERNEL_SRC" "$tarball612" "$build612" "$headers612")
{ for i in "${!KEYS[@]}"; do printf '%s=%q\n' "${KEYS[$i]}" "${VALS[$i]}"; done; } >"$CACHE/.kernel-sources.env.tmp"
{
    echo "{"
    for i in "${!KEYS[@]}"; do
        sep=,; [[ $i -eq $((${#KEYS[@]} - 1)) ]] && sep=
        printf '  "%s": "%s"%s\n' "${KEYS[$i]}" "${VALS[$i]}" "$sep"
    done
    echo "}"
} >"$CACHE/.kernel-sources.json.tmp"
for f in kernel-sources.env kernel-sources.json; do
    if cmp -s "$CACHE/.$f.tmp" "$CACHE/$f"; then rm -f "$CACHE/.$f.tmp"; else mv -f "$CACHE/.$f.tmp" "$CACHE/$f"; fi
done
