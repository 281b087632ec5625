#!/usr/bin/env bash
# fetch-debian-kernels.sh — make real Debian 12 (bookworm) kernel headers and
# modules available to PvGen's tests.
#
# Downloads (apt-get download, no installation) and unpacks (dpkg-deb -x) into
# one directory tree, for one kernel ABI (6.1.0-NN):
#   linux-headers-<abi>-common            (all)   -> usr/src/linux-headers-<abi>-common   (source tree)
#   linux-headers-<abi>-amd64             (amd64) -> usr/src/linux-headers-<abi>-amd64    (build tree)
#   linux-headers-<abi>-686-pae           (i386)  -> usr/src/linux-headers-<abi>-686-pae  (build tree)
#   linux-image-<abi>-amd64-unsigned      (amd64) -> lib/modules/<abi>-amd64/**.ko
#   linux-image-<abi>-686-pae-unsigned    (i386)  -> lib/modules/<abi>-686-pae/**.ko
# The *-unsigned images are preferred (same modules, no appended signatures);
# the signed linux-image-<abi>-<flavour> is used only if the unsigned one is
# unavailable. linux-kbuild-6.1 is NOT fetched: it only provides the build
# scripts/tools (the build trees' scripts/ and tools/ symlinks dangle), which
# are not needed to parse the headers.
#
# Modules: if the image ships compressed modules (*.ko.xz / *.ko.zst / *.ko.gz),
# they are decompressed in place (xz -d etc. via xargs -P2) so tests see plain
# .ko files. (Debian 12's 6.1 images ship plain .ko, so this is normally a no-op.)
#
# Also, each optional (a failure warns and leaves its keys out, so only the tests
# that need them skip):
#   Debian 12's current 6.12 kernel (ABI 6.12.N+deb12), as shipped:
#   linux-headers-<abi612>-common         (all)   -> usr/src/linux-headers-<abi612>-common
#   linux-headers-<abi612>-amd64          (amd64) -> usr/src/linux-headers-<abi612>-amd64
#   linux-headers-<abi612>-cloud-amd64    (amd64) -> usr/src/linux-headers-<abi612>-cloud-amd64
#   linux-image-<abi612>-cloud-amd64-unsigned     -> lib/modules/<abi612>-cloud-amd64/**.ko.xz (kept
#                                                    compressed) + a plain copy under
#                                                    <cache>/decompressed/<abi612>-cloud-amd64 (the objdump oracle's input)
#   vmlinux of linux-image-<abi>-cloud-amd64-dbg and linux-image-<abi612>-cloud-amd64-dbg
#                                                 -> <cache>/vmlinux/vmlinux-<abi>-cloud-amd64 (only the
#                                                    vmlinux is extracted; the .debs are ~300 MB each)
#
# Output:
#   <cache>/root/...            unpacked packages (one root for all)
#   <cache>/kernels.env         PVGEN_KERNEL_ABI, PVGEN_KERNEL_SRC, PVGEN_KERNEL_BUILD_AMD64,
#                               PVGEN_KERNEL_BUILD_I386, PVGEN_KERNEL_MODULES_AMD64,
#                               PVGEN_KERNEL_MODULES_I386; when fetched: PVGEN_KERNEL612_ABI,
#                               PVGEN_KERNEL612_SRC, PVGEN_KERNEL612_BUILD_AMD64,
#                               PVGEN_KERNEL612_BUILD_CLOUD_AMD64, PVGEN_KERNEL612_MODULES_CLOUD_AMD64,
#                               PVGEN_KERNEL612_MODULES_CLOUD_AMD64_PLAIN, PVGEN_VMLINUX61_CLOUD_AMD64,
#                               PVGEN_VMLINUX612_CLOUD_AMD64 (shell syntax, `source`-able)
#   <cache>/kernels.json        the same keys as a flat JSON object
#
# Environment:
#   PVGEN_KERNEL_CACHE  cache directory (default /var/cache/pvgen/debian-kernels)
#   PVGEN_KERNEL_ABI    pin an ABI (e.g. 6.1.0-50) instead of picking the newest
#                       complete one; useful for reproducible runs, since the
#                       mirror only keeps the current few ABIs.
#   PVGEN_KERNEL612_ABI the same for the 6.12 kernel (e.g. 6.12.117+deb12).
#   PVGEN_KERNEL_NO_DBG=1  skip the two -dbg packages (about 600 MB to download).
#
# Idempotent and quiet: a re-run with everything in place only runs a few
# apt-cache queries. Needs root only for `dpkg --add-architecture` / `apt-get
# update` (done only when no i386 package list exists yet) and for writing
# the default cache directory.
set -euo pipefail

CACHE="${PVGEN_KERNEL_CACHE:-/var/cache/pvgen/debian-kernels}"
ROOT="$CACHE/root"
DEBS="$CACHE/debs"
MARKS="$CACHE/marks"

die() { echo "fetch-debian-kernels: error: $*" >&2; exit 1; }
warn() { echo "fetch-debian-kernels: warning: $*" >&2; }

for tool in apt-get apt-cache dpkg dpkg-deb flock xargs find; do
    command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found"
done

[[ $(dpkg --print-architecture) == amd64 ]] || die "this script expects an amd64 Debian host"

mkdir -p "$CACHE" "$ROOT" "$DEBS" "$MARKS" || die "cannot create cache directory $CACHE"

# Serialise concurrent runs (e.g. parallel test processes) on the same cache.
exec 9>"$CACHE/.lock"
flock 9

# ---------------------------------------------------------------------------
# 1. i386 architecture + package lists (only when missing).
# ---------------------------------------------------------------------------
have_i386_lists() {
    compgen -G '/var/lib/apt/lists/*_binary-i386_Packages*' >/dev/null
}

apt_update() {
    # apt-get update exits 100 when *some* index failed (e.g. "Mirror sync in
    # progress?" on one suite); that is tolerated as long as i386 lists exist.
    # A held lists lock (another apt running) is waited for.
    local out i
    for i in $(seq 1 60); do
        if out=$(apt-get update -qq 2>&1); then return 0; fi
        if grep -q 'Could not get lock' <<<"$out"; then sleep 10; continue; fi
        break
    done
    if have_i386_lists; then
        warn "apt-get update reported errors (continuing with the lists it got):"
        grep -E '^(E|W):' <<<"$out" | head -5 >&2 || true
        return 0
    fi
    echo "$out" >&2
    die "apt-get update failed and no i386 package lists are available"
}

if ! dpkg --print-foreign-architectures | grep -qx i386; then
    dpkg --add-architecture i386 || die "dpkg --add-architecture i386 failed (need root)"
    apt_update
elif ! have_i386_lists; then
    apt_update
fi

# ---------------------------------------------------------------------------
# 2. Pick the ABI.
# ---------------------------------------------------------------------------
# apt-cache is slow here (~1.2 s a call: the binary pkgcache is disabled), so
# every candidate version is looked up in one `apt-cache policy` call.
# CAND["name"] (amd64 / all) or CAND["name:i386"] -> candidate version.
declare -A CAND=()
load_candidates() {
    local name v
    while read -r name v; do
        [[ $v == "(none)" ]] || CAND[$name]=$v
    done < <(apt-cache policy "$@" 2>/dev/null | awk '
        /^[^ ].*:$/ { name = substr($0, 1, length($0) - 1); next }
        /^  Candidate:/ { if (name != "") print name, $2; name = "" }')
}
abi_packages() {   # every package name that resolve_abi may look at
    local abi=$1
    echo "linux-headers-$abi-common" "linux-headers-$abi-amd64" "linux-headers-$abi-686-pae:i386" \
         "linux-image-$abi-amd64-unsigned" "linux-image-$abi-amd64" \
         "linux-image-$abi-686-pae-unsigned:i386" "linux-image-$abi-686-pae:i386"
}

# resolve_abi ABI -> sets PKGS (array of "name:arch=version") or returns 1.
# All packages must be available at the same Debian version.
resolve_abi() {
    local abi=$1 ver pkg alt found
    PKGS=()
    ver=${CAND["linux-headers-$abi-common"]:-}
    [[ -n $ver ]] || return 1
    PKGS+=("linux-headers-$abi-common:all=$ver")
    [[ ${CAND["linux-headers-$abi-amd64"]:-} == "$ver" ]] || return 1
    PKGS+=("linux-headers-$abi-amd64:amd64=$ver")
    [[ ${CAND["linux-headers-$abi-686-pae:i386"]:-} == "$ver" ]] || return 1
    PKGS+=("linux-headers-$abi-686-pae:i386=$ver")
    for alt in "linux-image-$abi-amd64-unsigned linux-image-$abi-amd64" \
               "linux-image-$abi-686-pae-unsigned:i386 linux-image-$abi-686-pae:i386"; do
        found=
        for pkg in $alt; do
            if [[ ${CAND[$pkg]:-} == "$ver" ]]; then found=$pkg; break; fi
        done
        [[ -n $found ]] || return 1
        [[ $found == *:i386 ]] || found="$found:amd64"
        PKGS+=("$found=$ver")
    done
    return 0
}

if [[ -n ${PVGEN_KERNEL_ABI:-} ]]; then
    ABI=$PVGEN_KERNEL_ABI
    # shellcheck disable=SC2046
    load_candidates $(abi_packages "$ABI")
    resolve_abi "$ABI" || die "kernel ABI $ABI: not all of linux-headers-$ABI-{common,amd64,686-pae:i386} and linux-image-$ABI-{amd64,686-pae:i386}[-unsigned] are available at one version in the apt sources"
else
    mapfile -t ABIS < <(apt-cache pkgnames linux-headers-6.1.0- 2>/dev/null \
        | sed -nE 's/^linux-headers-(6\.1\.0-[0-9]+)-common$/\1/p' | sort -V -r -u)
    [[ ${#ABIS[@]} -gt 0 ]] || die "no linux-headers-6.1.0-*-common package in the apt sources (run apt-get update?)"
    # shellcheck disable=SC2046
    load_candidates $(for a in "${ABIS[@]}"; do abi_packages "$a"; done)
    ABI=
    for a in "${ABIS[@]}"; do
        if resolve_abi "$a"; then ABI=$a; break; fi
    done
    [[ -n $ABI ]] || die "no Debian 12 kernel ABI among ${ABIS[*]} has headers (common, amd64, 686-pae:i386) and images (amd64, 686-pae:i386) all available at one version"
fi

# ---------------------------------------------------------------------------
# 3. Download + unpack (marker per package/version/arch).
# ---------------------------------------------------------------------------
# fetch_deb NAME VER ARCH -> sets DEB to the cached .deb (downloaded once).
fetch_deb() {
    local name=$1 ver=$2 arch=$3 req out
    # apt-get download escapes ':' in the version (epoch) as %3a.
    DEB="$DEBS/${name}_${ver//:/%3a}_${arch}.deb"
    [[ -s $DEB ]] && return 0
    if [[ $arch == all || $arch == amd64 ]]; then req="$name=$ver"; else req="$name:$arch=$ver"; fi
    if ! out=$(cd "$DEBS" && apt-get download -qq "$req" 2>&1); then
        echo "$out" >&2
        warn "cannot fetch $req"
        return 1
    fi
    [[ -s $DEB ]] || { warn "apt-get download $req did not produce $DEB"; return 1; }
}

# unpack ENTRY ("name:arch=version") into $ROOT once.
unpack() {
    local spec=${1%%=*} ver=${1#*=} name arch mark
    name=${spec%%:*}; arch=${spec#*:}
    mark="$MARKS/${name}_${ver}_${arch}.unpacked"
    [[ -e $mark ]] && return 0
    fetch_deb "$name" "$ver" "$arch" || return 1
    dpkg-deb -x "$DEB" "$ROOT" || { warn "cannot unpack $DEB"; return 1; }
    : >"$mark"
}

for entry in "${PKGS[@]}"; do
    unpack "$entry" || die "cannot fetch or unpack $entry"
done

# ---------------------------------------------------------------------------
# 4. Locate the trees; decompress modules if needed.
# ---------------------------------------------------------------------------
SRC="$ROOT/usr/src/linux-headers-$ABI-common"
BUILD_AMD64="$ROOT/usr/src/linux-headers-$ABI-amd64"
BUILD_I386="$ROOT/usr/src/linux-headers-$ABI-686-pae"
moddir() {
    local d
    for d in "$ROOT/lib/modules/$1" "$ROOT/usr/lib/modules/$1"; do
        [[ -d $d ]] && { echo "$d"; return 0; }
    done
    die "module directory for $1 not found under $ROOT/{,usr/}lib/modules"
}
MODULES_AMD64=$(moddir "$ABI-amd64")
MODULES_I386=$(moddir "$ABI-686-pae")
for d in "$SRC/include/linux" "$BUILD_AMD64/include/generated" "$BUILD_I386/include/generated"; do
    [[ -d $d ]] || die "expected directory $d missing after unpacking"
done

for md in "$MODULES_AMD64" "$MODULES_I386"; do
    mark="$MARKS/$(basename "$md").decompressed"
    [[ -e $mark ]] && continue
    # Plain .ko for the tests: decompress in place, two at a time.
    find "$md" -type f -name '*.ko.xz'  -print0 | xargs -0 -r -P2 -n32 xz -d -f
    find "$md" -type f -name '*.ko.zst' -print0 | xargs -0 -r -P2 -n32 zstd -q -d --rm -f
    find "$md" -type f -name '*.ko.gz'  -print0 | xargs -0 -r -P2 -n32 gzip -d -f
    n=$(find "$md" -type f -name '*.ko' | wc -l)
    [[ $n -gt 0 ]] || die "no .ko modules under $md"
    : >"$mark"
done

# ---------------------------------------------------------------------------
# 4b. Optional: Debian 12's 6.12 kernel (compressed modules) and two vmlinux.
# ---------------------------------------------------------------------------
EXTRA_KEYS=(); EXTRA_VALS=()
add_key() { EXTRA_KEYS+=("$1"); EXTRA_VALS+=("$2"); }

abi612_packages() {
    local abi=$1
    echo "linux-headers-$abi-common" "linux-headers-$abi-amd64" "linux-headers-$abi-cloud-amd64" \
         "linux-image-$abi-cloud-amd64-unsigned" "linux-image-$abi-cloud-amd64-dbg"
}
resolve_abi612() {   # -> PKGS612 (all at one version) or return 1
    local abi=$1 ver pkg
    PKGS612=()
    ver=${CAND["linux-headers-$abi-common"]:-}
    [[ -n $ver ]] || return 1
    PKGS612+=("linux-headers-$abi-common:all=$ver")
    for pkg in "linux-headers-$abi-amd64" "linux-headers-$abi-cloud-amd64" "linux-image-$abi-cloud-amd64-unsigned"; do
        [[ ${CAND[$pkg]:-} == "$ver" ]] || return 1
        PKGS612+=("$pkg:amd64=$ver")
    done
}

if [[ -n ${PVGEN_KERNEL612_ABI:-} ]]; then
    ABIS612=("$PVGEN_KERNEL612_ABI")
else
    mapfile -t ABIS612 < <(apt-cache pkgnames linux-headers-6.12. 2>/dev/null \
        | sed -nE 's/^linux-headers-(6\.12\.[0-9]+\+deb12)-common$/\1/p' | sort -V -r -u)
fi
ABI612=
if [[ ${#ABIS612[@]} -gt 0 ]]; then
    # shellcheck disable=SC2046
    load_candidates $(for a in "${ABIS612[@]}"; do abi612_packages "$a"; done) "linux-image-$ABI-cloud-amd64-dbg"
    for a in "${ABIS612[@]}"; do
        if resolve_abi612 "$a"; then ABI612=$a; break; fi
    done
fi
if [[ -z $ABI612 ]]; then
    warn "no Debian 12 6.12 kernel (linux-headers-6.12.*+deb12-{common,amd64,cloud-amd64}, linux-image-*-cloud-amd64-unsigned at one version) in the apt sources: the 6.12 tests will be skipped"
else
    ok=1
    for entry in "${PKGS612[@]}"; do unpack "$entry" || ok=; done
    MOD612="$ROOT/lib/modules/$ABI612-cloud-amd64"
    PLAIN612="$CACHE/decompressed/$ABI612-cloud-amd64"
    if [[ -n $ok && -d $MOD612 ]]; then
        mark="$MARKS/$ABI612-cloud-amd64.plain-copy"
        if [[ ! -e $mark ]]; then
            # A plain copy for the tests' objdump oracle; the shipped .ko.xz stay as they are.
            rm -rf "$PLAIN612.tmp"; mkdir -p "$PLAIN612.tmp"
            (cd "$MOD612" && find . -type d -exec mkdir -p "$PLAIN612.tmp/{}" \; \
                && find . -type f -name '*.ko.xz' -print0 \
                | xargs -0 -r -P2 -n32 sh -c 'for f; do xz -dc "$f" >"$0/${f%.xz}" || exit 1; done' "$PLAIN612.tmp") \
                || die "cannot decompress the 6.12 modules into $PLAIN612"
            rm -rf "$PLAIN612"; mv "$PLAIN612.tmp" "$PLAIN612"
            : >"$mark"
        fi
        add_key PVGEN_KERNEL612_ABI "$ABI612"
        add_key PVGEN_KERNEL612_SRC "$ROOT/usr/src/linux-headers-$ABI612-common"
        add_key PVGEN_KERNEL612_BUILD_AMD64 "$ROOT/usr/src/linux-headers-$ABI612-amd64"
        add_key PVGEN_KERNEL612_BUILD_CLOUD_AMD64 "$ROOT/usr/src/linux-headers-$ABI612-cloud-amd64"
        add_key PVGEN_KERNEL612_MODULES_CLOUD_AMD64 "$MOD612"
        add_key PVGEN_KERNEL612_MODULES_CLOUD_AMD64_PLAIN "$PLAIN612"
    else
        warn "the 6.12 packages could not be fetched or unpacked: the 6.12 tests will be skipped"
    fi
fi

# extract_vmlinux ABI KEY: the vmlinux of linux-image-ABI-cloud-amd64-dbg, and nothing else of its ~2 GB.
extract_vmlinux() {
    local abi=$1 key=$2 name="linux-image-$1-cloud-amd64-dbg" ver target member
    target="$CACHE/vmlinux/vmlinux-$abi-cloud-amd64"
    if [[ ! -s $target ]]; then
        ver=${CAND[$name]:-}
        [[ -n $ver ]] || { warn "$name is not in the apt sources: its vmlinux tests will be skipped"; return 0; }
        fetch_deb "$name" "$ver" amd64 || { warn "its vmlinux tests will be skipped"; return 0; }
        member="./usr/lib/debug/boot/vmlinux-$abi-cloud-amd64"
        mkdir -p "$CACHE/vmlinux"; rm -rf "$CACHE/vmlinux/.extract"; mkdir "$CACHE/vmlinux/.extract"
        # tar stops at the first match (the vmlinux comes early), so dpkg-deb may die of SIGPIPE: check the file instead.
        dpkg-deb --fsys-tarfile "$DEB" 2>/dev/null | tar -x -C "$CACHE/vmlinux/.extract" --occurrence=1 "$member" 2>/dev/null || true
        if [[ ! -s $CACHE/vmlinux/.extract/$member ]]; then
            rm -rf "$CACHE/vmlinux/.extract"
            warn "$DEB holds no $member: its vmlinux tests will be skipped"; return 0
        fi
        mv -f "$CACHE/vmlinux/.extract/$member" "$target"; rm -rf "$CACHE/vmlinux/.extract"
        # The vmlinux is all the tests need: the .deb is not kept.
        rm -f "$DEB"
    fi
    add_key "$key" "$target"
}
if [[ -z ${PVGEN_KERNEL_NO_DBG:-} ]]; then
    extract_vmlinux "$ABI" PVGEN_VMLINUX61_CLOUD_AMD64
    [[ -n $ABI612 ]] && extract_vmlinux "$ABI612" PVGEN_VMLINUX612_CLOUD_AMD64
fi

# ---------------------------------------------------------------------------
# 5. kernels.env / kernels.json (written atomically, only when changed).
# ---------------------------------------------------------------------------
KEYS=(PVGEN_KERNEL_ABI PVGEN_KERNEL_SRC PVGEN_KERNEL_BUILD_AMD64 PVGEN_KERNEL_BUILD_I386
      PVGEN_KERNEL_MODULES_AMD64 PVGEN_KERNEL_MODULES_I386 "${EXTRA_KEYS[@]}")
VALS=("$ABI" "$SRC" "$BUILD_AMD64" "$BUILD_I386" "$MODULES_AMD64" "$MODULES_I386" "${EXTRA_VALS[@]}")

json_str() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }

env_tmp="$CACHE/.kernels.env.tmp"; json_tmp="$CACHE/.kernels.json.tmp"
{
    for i in "${!KEYS[@]}"; do printf '%s=%q\n' "${KEYS[$i]}" "${VALS[$i]}"; done
} >"$env_tmp"
{
    echo "{"
    for i in "${!KEYS[@]}"; do
        sep=,; [[ $i -eq $((${#KEYS[@]} - 1)) ]] && sep=
        printf '  "%s": %s%s\n' "${KEYS[$i]}" "$(json_str "${VALS[$i]}")" "$sep"
    done
    echo "}"
} >"$json_tmp"
for f in kernels.env kernels.json; do
    if cmp -s "$CACHE/.$f.tmp" "$CACHE/$f"; then rm -f "$CACHE/.$f.tmp"; else mv -f "$CACHE/.$f.tmp" "$CACHE/$f"; fi
done
