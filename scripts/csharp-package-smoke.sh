#!/usr/bin/env bash
# Smoke test of the PvGen.SourceGenerator NuGet package as a user consumes it: pack the generator into a local
# feed, reference the package from a fresh console project that lists the toy header as a PvGenHeader item,
# build (the package's PvGenParse target runs `pvgen parse`; here the pvgen built from this repository), and run.
# Usage: scripts/csharp-package-smoke.sh [WORKDIR]   (needs network access to nuget.org for restore)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/pvgen-package-smoke.XXXXXX)}"
feed="$work/feed"
mkdir -p "$feed" "$work/app"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet pack "$repo/src/PvGen.SourceGenerator" -o "$feed" --artifacts-path "$work/artifacts" -v:q
dotnet build "$repo/src/PvGen.Cli" --artifacts-path "$work/artifacts" -v:q
pvgen_dll="$work/artifacts/bin/PvGen.Cli/debug/pvgen.dll"

cd "$work/app"
# The app restores into a private package cache: a rebuilt 0.1.0 package must not be shadowed by an older cached one.
export NUGET_PACKAGES="$work/packages"
cat > nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
cp "$repo/examples/toy/toy_ops.h" .
cat > Smoke.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <!-- A user with the pvgen dotnet tool installed leaves this at its default, "pvgen". -->
    <PvGenCommand>dotnet "$pvgen_dll"</PvGenCommand>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="PvGen.SourceGenerator" Version="0.1.0" PrivateAssets="all" />
    <PvGenHeader Include="toy_ops.h" Arguments="--struct toy_ops --target x86_64" Model="toy.pvgen.json" Namespace="Smoke" TypeName="ToyOps" />
  </ItemGroup>
</Project>
XML
cat > Program.cs <<'CS'
Smoke.ToyOps.VerifyLayout();
foreach (var op in Smoke.ToyOps.Ops)
{
    Console.WriteLine(op);
}
CS
dotnet build -v:q -nologo
dotnet run --no-build | tee run.txt
grep -q "mmu.set_pte (slot 5, offset 40): void set_pte(pte_t \*ptep, pte_t pte)" run.txt
echo "package smoke test passed ($work)"
