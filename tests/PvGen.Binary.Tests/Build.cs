using PvGen.TestSupport;
using Xunit;

namespace PvGen.Binary.Tests;

/// <summary>Real objects for the tests: C or assembler compiled by the installed gcc.</summary>
public static class Build
{
    /// <summary>The kernel-like non-PIC flags of the brief, per target.</summary>
    public static string[] KernelFlags(string arch) => arch == "x86_64"
        ? ["-c", "-O2", "-m64", "-fno-pie", "-mcmodel=kernel", "-ffreestanding", "-fno-asynchronous-unwind-tables"]
        : ["-c", "-O2", "-m32", "-fno-pie", "-ffreestanding", "-fno-asynchronous-unwind-tables"];

    public static string[] PicFlags(string arch) =>
        ["-c", "-O2", arch == "x86_64" ? "-m64" : "-m32", "-fpic", "-ffreestanding", "-fno-asynchronous-unwind-tables"];

    /// <summary>Compiles <paramref name="source"/> (C, or assembler when the name ends in .s) to an object and returns its path.</summary>
    public static string Compile(string name, string source, IEnumerable<string> flags)
    {
        string dir = Repo.TempDir("scan");
        string input = Path.Combine(dir, name);
        File.WriteAllText(input, source);
        string output = Path.ChangeExtension(input, ".o");
        var run = Tool.Run("gcc", [.. flags, "-o", output, input]);
        Assert.True(run.ExitCode == 0, $"gcc failed for {name}:\n{run}");
        return output;
    }

    public static ScannedObject ScanOne(string path, ScanOptions? options = null)
    {
        var results = ObjectScanner.ScanFile(path, options ?? new ScanOptions());
        var only = Assert.Single(results);
        Assert.True(only.Error is null, $"{path}: {only.Error}");
        return only;
    }

    public static string KindName(SiteKind kind) => Binary.Output.ScanJsonWriter.KindName(kind);

    /// <summary>The scanner's sites in the oracle's terms, for set comparison.</summary>
    public static List<OracleSite> AsOracle(ScannedObject scanned) =>
        scanned.Sites.Select(s => new OracleSite(s.Section, s.Offset, s.Length, KindName(s.Kind), s.TargetOffset)).ToList();

    /// <summary>objdump prints virtual addresses for linked files: <paramref name="linked"/> turns them section-relative.</summary>
    public static void AssertSameAsObjdump(string path, ScannedObject scanned, string symbol = "pv_ops", bool linked = false)
    {
        var bases = linked ? SectionAddresses(path) : [];
        var expected = ObjdumpOracle.Sites(path, symbol, linked ? SymbolValue(path, symbol) : 0).Select(s => s with { Offset = s.Offset - bases.GetValueOrDefault(s.Section) }).OrderBy(s => s.Section, StringComparer.Ordinal).ThenBy(s => s.Offset).ThenBy(s => s.TargetOffset).ToList();
        var actual = AsOracle(scanned).OrderBy(s => s.Section, StringComparer.Ordinal).ThenBy(s => s.Offset).ThenBy(s => s.TargetOffset).ToList();
        Assert.True(expected.SequenceEqual(actual), $"{path}: scanner and objdump disagree\n objdump: {string.Join("\n          ", expected)}\n scanner: {string.Join("\n          ", actual)}");
    }

    /// <summary>The symbol's address as nm prints it.</summary>
    private static long SymbolValue(string path, string symbol)
    {
        var nm = Tool.Run("nm", [path]);
        Assert.True(nm.ExitCode == 0, nm.ToString());
        string line = nm.Stdout.Split('\n').Single(l => l.EndsWith(" " + symbol, StringComparison.Ordinal));
        return long.Parse(line.Split(' ')[0], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, long> SectionAddresses(string path)
    {
        using var stream = File.OpenRead(path);
        var elf = LibObjectFile.Elf.ElfFile.Read(stream, new LibObjectFile.Elf.ElfReaderOptions { UseSubStream = true });
        return elf.Sections.Where(s => s.Name.Value.Length > 0).GroupBy(s => s.Name.Value).ToDictionary(g => g.Key, g => (long)g.First().VirtualAddress);
    }
}
