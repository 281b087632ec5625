using System.Globalization;
using PvGen.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace PvGen.Binary.Tests;

/// <summary>
/// Two linked kernels from Debian's -dbg packages. 6.1 keeps its relocations (linked --emit-relocs): every code relocation
/// against pv_ops, as readelf lists them, is a site, every .parainstructions record is matched, and decoding operands
/// instead of reading relocations finds the same sites field for field. 6.12 has no relocations at all: its sites come from
/// operands, every pv_ops reference objdump's disassembly shows is among them, and every DIRECT_CALL entry of its
/// .altinstructions (read with the stride from .BTF) is an annotated call through its slot.
/// </summary>
public sealed class VmlinuxTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void Linux61EveryCodeRelocationAgainstPvOpsIsASiteAndEveryRecordIsMatched()
    {
        Skip.If(DebianVmlinux.Linux61 is null, DebianVmlinux.Reason("6.1"));
        string vmlinux = DebianVmlinux.Linux61!;

        var scanned = Build.ScanOne(vmlinux);
        var expected = CodeRelocations(vmlinux, "pv_ops");
        var sections = SectionAddresses(vmlinux);
        var actual = scanned.Sites.Select(s => (sections[s.Section] + s.RelocOffset, s.RelocType!)).Order().ToList();

        Assert.Equal(SiteSource.Relocations, scanned.SitesFrom);
        Assert.Equal(expected, actual);
        Assert.NotEmpty(scanned.Annotations);
        Assert.All(scanned.Annotations, record =>
        {
            var site = scanned.Sites.SingleOrDefault(s => s.Section == record.Section && s.Offset == record.Offset);
            Assert.True(site is not null, $"record at {record.Section}+0x{record.Offset:x} has no site");
            Assert.Equal((SiteKind.Call, record.Type, record.Length, true), (site.Kind, site.Slot!.Value, site.Length, site.Annotated));
        });
        output.WriteLine($"6.1 vmlinux: {expected.Count} code relocations against pv_ops, {scanned.Sites.Count} sites, {scanned.Annotations.Count} records, all matched");
    }

    [SkippableFact]
    public void Linux61OperandsFindTheSitesTheRelocationsFind()
    {
        Skip.If(DebianVmlinux.Linux61 is null, DebianVmlinux.Reason("6.1"));
        string vmlinux = DebianVmlinux.Linux61!;

        var relocated = Build.ScanOne(vmlinux);
        var decoded = Build.ScanOne(vmlinux, new ScanOptions { SiteDiscovery = SiteDiscovery.Operands });

        Assert.Equal(SiteSource.Operands, decoded.SitesFrom);
        Assert.Equal(relocated.Sites.Select(s => s with { RelocType = null }), decoded.Sites);
        Assert.Equal(relocated.Annotations, decoded.Annotations);
    }

    [SkippableFact]
    public void Linux612SitesComeFromOperandsAndIncludeEveryReferenceObjdumpShows()
    {
        Skip.If(DebianVmlinux.Linux612 is null, DebianVmlinux.Reason("6.12"));
        string vmlinux = DebianVmlinux.Linux612!;

        var scanned = Build.ScanOne(vmlinux);
        var sections = SectionAddresses(vmlinux);
        var ours = scanned.Sites.Where(s => s.MemoryForm != MemoryForm.None).Select(s => (sections[s.Section] + s.Offset, s.TargetOffset)).ToHashSet();
        var objdump = MemoryReferences(vmlinux, "pv_ops");

        Assert.Equal(SiteSource.Operands, scanned.SitesFrom);
        Assert.All(scanned.Sites, s => Assert.Null(s.RelocType));
        var missing = objdump.Where(r => !ours.Contains(r)).ToList();
        Assert.True(missing.Count == 0, $"objdump shows {missing.Count} references the scan lacks: " + string.Join(", ", missing.Take(10).Select(m => $"0x{m.Address:x} pv_ops+0x{m.TargetOffset:x}")));

        // Where the two disagree, a linear sweep lost sync inside a function (objdump here): say how often.
        output.WriteLine($"6.12 vmlinux: {scanned.Sites.Count} sites from operands ({scanned.Sites.Count(s => s.Kind == SiteKind.Call)} calls); objdump -d shows {objdump.Count} of their {ours.Count} memory references");
    }

    /// <summary>
    /// Every DIRECT_CALL entry of the 6.12 vmlinux's .altinstructions is an annotated call through its slot. The oracle
    /// reads the entries itself: the stride is bpftool's sizeof(struct alt_instr) from .BTF, the bytes come from the file
    /// at readelf's section offsets, and each slot is what alt_replace_call() computes at boot: the ff 15 displacement
    /// from the next instruction, minus pv_ops' address (readelf -s), over 8.
    /// </summary>
    [SkippableFact]
    public void Linux612EveryDirectCallRecordIsAnAnnotatedCallThroughItsSlot()
    {
        Skip.If(DebianVmlinux.Linux612 is null, DebianVmlinux.Reason("6.12"));
        Skip.If(Tool.Find("bpftool") is null, "bpftool is not installed (the oracle's sizeof(struct alt_instr))");
        string vmlinux = DebianVmlinux.Linux612!;
        var btf = Tool.Run("sh", ["-c", "bpftool btf dump file \"$0\" format raw | grep \"STRUCT 'alt_instr' \"", vmlinux]);
        Assert.True(btf.ExitCode == 0, btf.ToString());
        int stride = int.Parse(btf.Stdout.Split("size=")[1].Split(' ')[0], CultureInfo.InvariantCulture);
        var sections = ReadElfSectionsWithOffsets(vmlinux);
        var alt = sections.Single(s => s.Name == ".altinstructions");
        byte[] entries = ReadAt(vmlinux, alt.Offset, (int)alt.Size);
        long pvOps = SymbolAddress(vmlinux, "pv_ops");

        var expected = new List<(long Site, int Slot)>();
        for (int at = 0; at + stride <= entries.Length; at += stride)
        {
            uint flags = BitConverter.ToUInt32(entries, at + 8);
            if ((flags & 0x0002_0000) == 0)
            {
                continue; // not ALT_FLAG_DIRECT_CALL
            }

            long site = alt.Address + at + BitConverter.ToInt32(entries, at);
            var code = sections.Single(s => s.Address <= site && site < s.Address + s.Size);
            byte[] call = ReadAt(vmlinux, code.Offset + (site - code.Address), 6);
            Assert.True(call[0] == 0xff && call[1] == 0x15, $"0x{site:x}: DIRECT_CALL entry over {Convert.ToHexString(call)}");
            expected.Add((site, (int)((site + 6 + BitConverter.ToInt32(call, 2) - pvOps) / 8)));
        }

        var scanned = Build.ScanOne(vmlinux);
        var addresses = SectionAddresses(vmlinux);
        var calls = scanned.Sites.ToDictionary(s => addresses[s.Section] + s.Offset);

        Assert.NotEmpty(expected);
        Assert.All(expected, e =>
        {
            Assert.True(calls.TryGetValue(e.Site, out var site), $"no site at 0x{e.Site:x}");
            Assert.Equal((SiteKind.Call, 6, e.Slot, true), (site.Kind, site.Length, site.Slot!.Value, site.Annotated));
        });
        Assert.Equal(expected.Count, scanned.Annotations.Count);
        Assert.Equal(expected.Select(e => e.Site).Order(), scanned.Annotations.Select(a => addresses[a.Section] + a.Offset).Order());
        Assert.Empty(scanned.UnannotatedCalls);
        output.WriteLine($"6.12 vmlinux: alt_instr is {stride} bytes; {entries.Length / stride} entries, {expected.Count} DIRECT_CALL, each an annotated call through its slot");
    }

    private static byte[] ReadAt(string path, long offset, int count)
    {
        using var file = File.OpenRead(path);
        file.Position = offset;
        byte[] bytes = new byte[count];
        file.ReadExactly(bytes);
        return bytes;
    }

    private static long SymbolAddress(string path, string symbol)
    {
        var run = Tool.Run("sh", ["-c", "readelf -sW \"$0\" | awk -v s=\"$1\" '$8 == s && $4 == \"OBJECT\" { print $2 }'", path, symbol]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return (long)ulong.Parse(run.Stdout.Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    private static List<(string Name, long Address, long Offset, long Size)> ReadElfSectionsWithOffsets(string path)
    {
        var run = Tool.Run("readelf", ["-SW", path]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var sections = new List<(string, long, long, long)>();
        foreach (string line in run.Stdout.Split('\n'))
        {
            int close = line.IndexOf(']', StringComparison.Ordinal);
            if (!line.TrimStart().StartsWith('[') || close < 0)
            {
                continue;
            }

            string[] f = line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 6 && f[0] != "Name" && ulong.TryParse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong address))
            {
                sections.Add((f[0], (long)address, long.Parse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture), long.Parse(f[4], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }
        }

        return sections;
    }

    /// <summary>(address of the relocated field, type) of every relocation against the symbol in an executable section, from readelf -rW.</summary>
    private static List<(long Address, string Type)> CodeRelocations(string path, string symbol)
    {
        var executable = ExecutableSections(path);
        string script = "readelf -rW \"$0\" | awk -v sym=\"$1\" -v sections=\"$2\" '"
            + "BEGIN { n = split(sections, s, \",\"); for (i = 1; i <= n; i++) x[\".rela\" s[i]] = 1 } "
            + "/^Relocation section/ { gsub(\"\\047\", \"\", $3); keep = ($3 in x); next } "
            + "keep && $5 == sym { print $1, $3 }'";
        var run = Tool.Run("sh", ["-c", script, path, symbol, string.Join(",", executable)], timeoutSeconds: 600);
        Assert.True(run.ExitCode == 0, run.ToString());
        return [.. run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .Select(p => ((long)ulong.Parse(p[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), p[1]))
            .Order()];
    }

    /// <summary>(instruction address, offset into the symbol) of every memory operand objdump -d annotates as &lt;symbol+X&gt;.</summary>
    private static HashSet<(long Address, long TargetOffset)> MemoryReferences(string path, string symbol)
    {
        var args = new List<string> { "-c", $"objdump -d -w \"$0\" {string.Join(' ', ExecutableSections(path).Select(s => $"-j {s}"))} | grep '<{symbol}[+>]'", path };
        var run = Tool.Run("sh", args, timeoutSeconds: 600);
        Assert.True(run.ExitCode == 0, run.ToString());
        var found = new HashSet<(long, long)>();
        foreach (string line in run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            long address = (long)ulong.Parse(line[..line.IndexOf(':', StringComparison.Ordinal)].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            int at = line.IndexOf($"<{symbol}", StringComparison.Ordinal) + symbol.Length + 1;
            long offset = line[at] == '+' ? long.Parse(line[(at + 3)..line.IndexOf('>', at)], NumberStyles.HexNumber, CultureInfo.InvariantCulture) : 0;
            found.Add((address, offset));
        }

        return found;
    }

    private static List<string> ExecutableSections(string path) =>
        [.. ReadElfSections(path).Where(s => s.Flags.Contains('X')).Select(s => s.Name)];

    private static Dictionary<string, long> SectionAddresses(string path) =>
        ReadElfSections(path).GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.First().Address);

    private static List<(string Name, long Address, string Flags)> ReadElfSections(string path)
    {
        var run = Tool.Run("readelf", ["-SW", path]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var sections = new List<(string, long, string)>();
        foreach (string line in run.Stdout.Split('\n'))
        {
            int close = line.IndexOf(']', StringComparison.Ordinal);
            if (!line.TrimStart().StartsWith('[') || close < 0)
            {
                continue;
            }

            string[] fields = line[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 7 || fields[0] == "Name" || !ulong.TryParse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong address))
            {
                continue;
            }

            // Name Type Address Off Size ES [Flg] Lk Inf Al: flags are absent when empty.
            string flags = fields.Length >= 10 ? fields[6] : string.Empty;
            sections.Add((fields[0], (long)address, flags));
        }

        return sections;
    }
}
