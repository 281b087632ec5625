using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using PvGen.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace PvGen.Binary.Tests;

/// <summary>
/// Debian 12's current 6.12 cloud-amd64 modules as shipped, every one a <c>.ko.xz</c>: each is read, the sites of the
/// compressed files equal an <c>objdump -dr</c> oracle run on the plain copies <c>xz -dc</c> made, and the scan (and its
/// JSON) is the same for the compressed tree as for the plain one.
/// </summary>
public sealed class Compressed612ModuleTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void EveryCompressedModuleIsReadAndEqualsItsPlainCopy()
    {
        Skip.If(DebianKernels612.Instance is null, DebianKernels612.Reason);
        var kernel = DebianKernels612.Instance!;
        var compressed = Compressed(kernel);
        var full = new ScanOptions { SkipObjectsWithoutSymbol = false };

        var fromXz = ObjectScanner.ScanAll(compressed, full, jobs: 2).ToList();
        var fromPlain = ObjectScanner.ScanAll(compressed.Select(kernel.PlainOf).ToList(), full, jobs: 2).ToList();

        Assert.Equal(compressed.Count, fromXz.Count);
        Assert.All(fromXz, r => Assert.True(r.Error is null, $"{r.Path}: {r.Error}"));
        Assert.All(fromXz, r => Assert.False(r.Skipped));
        Assert.Equal(fromPlain.Select((r, i) => r with { Path = compressed[i] }), fromXz);
        output.WriteLine($"{compressed.Count} .ko.xz modules read, {fromXz.Count(r => r.Sites.Count > 0)} with sites, {fromXz.Sum(r => r.Sites.Count)} sites");
    }

    [SkippableFact]
    public void SitesOfTheCompressedModulesEqualObjdumpOnThePlainCopies()
    {
        Skip.If(DebianKernels612.Instance is null, DebianKernels612.Reason);
        var kernel = DebianKernels612.Instance!;

        // Any object with a relocation against pv_ops holds the name in its string table: a superset found by bytes alone.
        byte[] name = Encoding.ASCII.GetBytes("pv_ops\0");
        var candidates = Compressed(kernel).Where(m => File.ReadAllBytes(kernel.PlainOf(m)).AsSpan().IndexOf(name) >= 0).ToList();
        var scanned = ObjectScanner.ScanAll(candidates, new ScanOptions(), jobs: 2).ToDictionary(s => s.Path);
        var oracle = new ConcurrentDictionary<string, List<OracleSite>>();
        Parallel.ForEach(candidates, new ParallelOptions { MaxDegreeOfParallelism = 2 }, m => oracle[m] = ObjdumpOracle.Sites(kernel.PlainOf(m)));

        var disagreements = new List<string>();
        int sites = 0;
        foreach (string module in candidates)
        {
            var result = scanned[module];
            Assert.True(result.Error is null, $"{module}: {result.Error}");
            var expected = Sorted(oracle[module]);
            var actual = Sorted(Build.AsOracle(result));
            if (!expected.SequenceEqual(actual))
            {
                disagreements.Add($"{module}:\n  objdump {string.Join(", ", expected.Except(actual))}\n  scanner {string.Join(", ", actual.Except(expected))}");
            }

            sites += result.Sites.Count;
        }

        output.WriteLine($"{candidates.Count} modules name pv_ops; {sites} sites, as objdump -dr finds them in the plain copies");
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements.Take(10)));
        Assert.True(sites > 0);
    }

    [SkippableFact]
    public void TheJsonOfTheCompressedTreeIsTheJsonOfThePlainTree()
    {
        Skip.If(DebianKernels612.Instance is null, DebianKernels612.Reason);
        var kernel = DebianKernels612.Instance!;

        var xz = Tool.Pvgen(["scan", kernel.ModulesCompressed, "--format", "json"]);
        var plain = Tool.Pvgen(["scan", kernel.ModulesDecompressed(), "--format", "json"]);

        Assert.True(xz.ExitCode == 0, xz.Stderr);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        var xzFiles = JsonNode.Parse(xz.Stdout)!["files"]!.AsArray();
        Assert.All(xzFiles, f => Assert.EndsWith(".ko.xz", (string)f!["path"]!));
        Assert.StartsWith(kernel.ModulesCompressed, (string)xzFiles[0]!["path"]!);
        Assert.Equal(WithoutPaths(plain.Stdout), WithoutPaths(xz.Stdout));
    }

    private static string WithoutPaths(string json)
    {
        var document = JsonNode.Parse(json)!;
        foreach (var file in document["files"]!.AsArray())
        {
            file!["path"] = null;
        }

        return document.ToJsonString();
    }

    private static List<string> Compressed(DebianKernels612 kernel)
    {
        var files = Directory.EnumerateFiles(kernel.ModulesCompressed, "*.ko*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.EndsWith(".ko.xz", f));
        return files;
    }

    private static List<OracleSite> Sorted(IEnumerable<OracleSite> sites) =>
        [.. sites.OrderBy(s => s.Section, StringComparer.Ordinal).ThenBy(s => s.Offset).ThenBy(s => s.TargetOffset)];
}
