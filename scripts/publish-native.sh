#!/usr/bin/env bash
# Publishes pvgen as one NativeAOT executable (no .NET runtime needed on the target), beside the libclang.so and the
# freestanding headers (pvgen-resource/) it loads at run time. An addition to the framework-dependent tool package,
# which `dotnet pack` / `dotnet tool install` still make and use unchanged.
# Every assembly is trim- and AOT-analysed with warnings as errors (src/Directory.Build.props), so a publish that
# succeeds has nothing the NativeAOT compiler could not prove safe.
# Usage: scripts/publish-native.sh [OUTPUT_DIR]   (default artifacts/native; needs clang or gcc as the native linker)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/artifacts/native}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet publish "$root/src/PvGen.Cli" -c Release -r linux-x64 -p:PvGenNative=true --artifacts-path "$work" -nologo -o "$out"
"$out/pvgen" --version
