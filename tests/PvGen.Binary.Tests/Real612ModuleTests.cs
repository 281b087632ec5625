using System.Collections.Concurrent;
using PvGen.TestSupport;
using PvGen.X86.Records;
using Xunit;
using Xunit.Abstractions;

namespace PvGen.Binary.Tests;

/// <summary>
/// Every module of Debian 12's 6.12 cloud-amd64 kernel (6.8+: pv sites are .altinstructions DIRECT_CALL entries),
/// decompressed, against binutils: every DIRECT_CALL entry that readelf and objdump show matched to the 6-byte call
/// objdump decodes there, with its native alternatives; and since every site the scanner finds must be annotated and
/// every record must have its site, the scanner's sites are objdump's.
/// </summary>
public sealed class Real612ModuleTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void EveryDirectCallEntryIsMatchedToItsSiteAsBinutilsSeeIt()
    {
        Skip.If(DebianKernels612.Instance is null, DebianKernels612.Reason);
        var modules = Directory.EnumerateFiles(DebianKernels612.Instance!.ModulesDecompressed(), "*.ko", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

        var oracleEntries = AltOracle.Entries(modules);
        var oracleDirect = oracleEntries.Where(e => e.DirectCall).ToList();
        var scanned = ObjectScanner.ScanAll(modules, new ScanOptions { SkipObjectsWithoutSymbol = false }, jobs: 2).ToDictionary(s => s.Path);
        var withDirectCalls = oracleDirect.Select(e => e.Object).Distinct().ToList();
        var objdump = new ConcurrentDictionary<string, List<OracleSite>>();
        Parallel.ForEach(withDirectCalls, new ParallelOptions { MaxDegreeOfParallelism = 2 }, m => objdump[m] = ObjdumpOracle.Sites(m));

        Assert.All(scanned.Values, r => Assert.True(r.Error is null, $"{r.Path}: {r.Error}"));
        var problems = new List<string>();
        foreach (var entry in oracleDirect)
        {
            var result = scanned[entry.Object];
            var site = objdump[entry.Object].SingleOrDefault(s => s.Section == entry.SiteSection && s.Offset == entry.SiteOffset);
            var record = result.Annotations.SingleOrDefault(a => a.Alt is not null && a.RecordOffset == entry.RecordOffset);
            if (site is not { Kind: "call", Length: 6 } || record is null || record.Section != entry.SiteSection || record.Offset != entry.SiteOffset
                || record.Length != entry.InstrLength || !record.HasSite || record.Type * 8 != site.TargetOffset)
            {
                problems.Add($"{entry} -> objdump {site}, scanner {record}");
            }

            // The oracle's other entries at the same address are the site's natives, in the same order.
            var natives = oracleEntries.Where(e => e.Object == entry.Object && e.SiteSection == entry.SiteSection && e.SiteOffset == entry.SiteOffset && !e.DirectCall).ToList();
            if (record is not null && !natives.Select(n => (n.RecordOffset, n.FtFlags, n.ReplacementLength)).SequenceEqual(record.Natives.Select(n => (n.RecordOffset, (uint)n.FtFlags, n.ReplacementLength))))
            {
                problems.Add($"{entry}: natives {string.Join(",", natives)} vs {string.Join(",", record.Natives)}");
            }
        }

        // Every pv_ops call objdump finds is a DIRECT_CALL site, and the scanner reads no record binutils does not show.
        int objdumpSites = objdump.Values.Sum(s => s.Count);
        int scannerRecords = scanned.Values.Sum(r => r.Annotations.Count);
        int withNative = oracleDirect.Count(e => oracleEntries.Any(n => n.Object == e.Object && n.SiteSection == e.SiteSection && n.SiteOffset == e.SiteOffset && !n.DirectCall));
        output.WriteLine($"{modules.Count} modules; binutils: {oracleEntries.Count} .altinstructions entries, {oracleDirect.Count} DIRECT_CALL ({withNative} with a native alternative, {oracleDirect.Count(e => e.Not)} NOT), {objdumpSites} pv_ops sites in {withDirectCalls.Count} modules; scanner: {scannerRecords} records");
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(10)));
        Assert.Equal(oracleDirect.Count, scannerRecords);
        Assert.Equal(oracleDirect.Count, objdumpSites);
        Assert.Equal(oracleEntries.Count, scanned.Values.Sum(r => r.Alternatives?.Entries ?? 0));
        Assert.All(scanned.Values.Where(r => r.Annotations.Count > 0), r => Assert.Equal(RecordFormats.Alt14, r.AnnotationFormat));
        Assert.All(scanned.Values.SelectMany(r => r.Sites), s => Assert.Equal(RecordFamily.AltInstructions, s.AnnotatedBy));

        // paravirt-facts section 12 (Debian 6.12.117 cloud-amd64): 743 DIRECT_CALL entries, 416 with a NOT entry.
        if (DebianKernels612.Instance.Version == "6.12.117+deb12" && DebianKernels612.Instance.IsCloudFlavour)
        {
            Assert.Equal(743, oracleDirect.Count);
            Assert.Equal(416, withNative);
        }
    }
}
