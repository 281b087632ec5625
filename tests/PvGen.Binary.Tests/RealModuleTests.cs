using System.Collections.Concurrent;
using System.Text;
using PvGen.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace PvGen.Binary.Tests;

/// <summary>
/// Every module of Debian 12's 6.1 kernels (amd64 and 686-pae), against objdump: the same sites, and every
/// .parainstructions record matched to the call it annotates.
/// </summary>
public sealed class RealModuleTests(ITestOutputHelper output)
{
    public static TheoryData<string> Arches => new() { "x86_64", "i386" };

    [SkippableTheory]
    [MemberData(nameof(Arches))]
    public void EverySiteAgreesWithObjdumpAndEveryRecordIsMatched(string arch)
    {
        Skip.If(DebianKernels.Instance is null, DebianKernels.Reason);
        var modules = Modules(arch);

        // Any object with a relocation against pv_ops holds the name in its string table: a superset found by bytes alone.
        byte[] name = Encoding.ASCII.GetBytes("pv_ops\0");
        var candidates = modules.Where(m => File.ReadAllBytes(m).AsSpan().IndexOf(name) >= 0).ToList();
        var scanned = ObjectScanner.ScanAll(candidates, new ScanOptions(), jobs: 2).ToDictionary(s => s.Path);

        // ScanAll parses only the relocation tables the scan reads; InspectAll, whose callback may read any, parses all.
        var fullyParsed = ObjectScanner.InspectAll(candidates, new ScanOptions(), jobs: 2, (scan, _) => scan).ToList();
        Assert.Equal(fullyParsed, candidates.Select(m => scanned[m]));
        var oracle = new ConcurrentDictionary<string, List<OracleSite>>();
        Parallel.ForEach(candidates, new ParallelOptions { MaxDegreeOfParallelism = 2 }, m => oracle[m] = ObjdumpOracle.Sites(m));

        var disagreements = new List<string>();
        int sites = 0, records = 0;
        foreach (string module in candidates)
        {
            var result = scanned[module];
            Assert.True(result.Error is null, $"{module}: {result.Error}");
            var expected = oracle[module].Order(OracleOrder.Instance).ToList();
            var actual = Build.AsOracle(result).Order(OracleOrder.Instance).ToList();
            if (!expected.SequenceEqual(actual))
            {
                disagreements.Add($"{module}:\n  objdump {string.Join(", ", expected.Except(actual))}\n  scanner {string.Join(", ", actual.Except(expected))}");
            }

            foreach (var record in result.Annotations)
            {
                var site = result.Sites.SingleOrDefault(s => s.Section == record.Section && s.Offset == record.Offset);
                Assert.True(site is not null, $"{module}: record at {record.Section}+0x{record.Offset:x} has no site");
                Assert.Equal((SiteKind.Call, record.Type, record.Length), (site.Kind, site.Slot!.Value, site.Length));
            }

            sites += result.Sites.Count;
            records += result.Annotations.Count;
        }

        output.WriteLine($"{arch}: {modules.Count} modules, {candidates.Count} name pv_ops, {sites} sites, {records} records");
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements.Take(10)));
        Assert.True(sites > 0 && records > 0);
    }

    [SkippableTheory]
    [MemberData(nameof(Arches))]
    public void SkippingModulesThatNeverNameTheSymbolChangesNothing(string arch)
    {
        Skip.If(DebianKernels.Instance is null, DebianKernels.Reason);
        var modules = Modules(arch);

        var fast = ObjectScanner.ScanAll(modules, new ScanOptions(), jobs: 2).ToList();
        var full = ObjectScanner.ScanAll(modules, new ScanOptions { SkipObjectsWithoutSymbol = false }, jobs: 2).ToList();

        Assert.Equal(modules.Count, full.Count);
        Assert.All(full, r => Assert.True(r.Error is null, $"{r.Path}: {r.Error}"));

        // A skipped object has no sites and no pv records; only its ordinary alternatives go uncounted.
        Assert.All(full.Zip(fast).Where(p => p.Second.Skipped), p => Assert.True(p.First.Sites.Count == 0 && p.First.Annotations.Count == 0, p.First.Path));
        var skipped = fast.Where(f => f.Skipped).Select(f => f.Path).ToHashSet();
        Assert.Equal(full.Select(r => skipped.Contains(r.Path) ? r with { Alternatives = null } : r), fast.Select(r => r with { Skipped = false }));
        output.WriteLine($"{arch}: {full.Count(r => r.Sites.Count > 0)} of {full.Count} modules have sites");
    }

    [SkippableTheory]
    [MemberData(nameof(Arches))]
    public void TheKernelsOwnModelNamesEverySiteAndEachRecordTypeIsItsSlot(string arch)
    {
        Skip.If(DebianKernels.Instance is null, DebianKernels.Reason);
        var kernels = DebianKernels.Instance!;
        string model = Path.Combine(Repo.TempDir("kernel-model"), $"pv_ops-{arch}.json");
        var parse = Tool.Pvgen(["parse", Path.Combine(kernels.Source, "arch/x86/include/asm/paravirt_types.h"), "--struct", "paravirt_patch_template",
            "--kernel-tree", kernels.Source, "--kernel-build", kernels.Build(arch), "--target", arch, "--format", "json", "-o", model]);
        Assert.True(parse.ExitCode == 0, parse.ToString());
        var options = ScanOptions.ForModel(PvGen.Model.Json.ModelJson.Deserialize(File.ReadAllText(model), model));

        var scanned = ObjectScanner.ScanAll(Modules(arch), options, jobs: 2).Where(r => r.Sites.Count > 0).ToList();

        Assert.Equal("pv_ops", options.Symbol);
        Assert.All(scanned, r => Assert.All(r.Sites, s => Assert.True(s.Op is not null, $"{r.Path}: {s.Function} calls offset {s.TargetOffset}, which is no op")));
        Assert.All(scanned, r => Assert.All(r.Annotations, a => Assert.Equal(a.Type, r.Sites.Single(s => s.Section == a.Section && s.Offset == a.Offset).Slot)));
        var ops = scanned.SelectMany(r => r.Sites).GroupBy(s => s.Op!).OrderByDescending(g => g.Count()).Take(5);
        output.WriteLine($"{arch}: most called ops: {string.Join(", ", ops.Select(g => $"{g.Key} {g.Count()}"))}");
    }

    private static List<string> Modules(string arch)
    {
        string root = DebianKernels.Instance!.Modules(arch);
        return Directory.EnumerateFiles(root, "*.ko", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
    }

    private sealed class OracleOrder : IComparer<OracleSite>
    {
        public static readonly OracleOrder Instance = new();

        public int Compare(OracleSite? x, OracleSite? y) =>
            (x, y) switch
            {
                (null, null) => 0,
                (null, _) => -1,
                (_, null) => 1,
                _ => string.CompareOrdinal(x.Section, y.Section) is var c and not 0 ? c
                    : x.Offset != y.Offset ? x.Offset.CompareTo(y.Offset)
                    : x.TargetOffset.CompareTo(y.TargetOffset),
            };
    }
}
