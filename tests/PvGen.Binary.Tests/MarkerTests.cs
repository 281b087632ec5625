using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PvGen.Model;
using PvGen.Model.Json;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Binary.Tests;

/// <summary>
/// The marker style on every bundled example, both compilers, both targets, -O0 and -O2: the markers scan reports are the
/// NONE relocations against the table that readelf lists, and each marker is paired with the call or jmp an objdump-based
/// oracle pairs it with (the first call/jmp through the marker's slot after it in its function; the slot of an i386
/// marker from the side record as objdump -s and objdump -r show it).
/// </summary>
public sealed partial class MarkerTests
{
    public static IEnumerable<object[]> Builds() =>
        from example in Examples.Names
        from target in Examples.Targets
        from compiler in Tool.Compilers()
        from opt in new[] { "O0", "O2" }
        select new object[] { example, target, Path.GetFileName(compiler), opt };

    private static readonly Dictionary<(string Example, string Target), string> Generated = [];

    /// <summary>Generates the marker style once per example and target, through the CLI as a user would.</summary>
    private static string Generate(string example, string target)
    {
        lock (Generated)
        {
            if (Generated.TryGetValue((example, target), out string? done))
            {
                return done;
            }

            string dir = Repo.TempDir($"marker-{example}-{target}");
            var run = Tool.Pvgen(["generate", "--config", Examples.ConfigPath(example), "--target", target, "--style", "marker", "-o", dir]);
            Assert.True(run.ExitCode == 0, run.ToString());
            Generated[(example, target)] = dir;
            return dir;
        }
    }

    private static (string Object, OpsModel Model) Compile(string example, string target, string compiler, string opt)
    {
        string dir = Generate(example, target);
        string manifest = Directory.GetFiles(dir, "*.manifest.json").Single();
        using var json = JsonDocument.Parse(File.ReadAllText(manifest));
        var cflags = json.RootElement.GetProperty("cflags").EnumerateArray().Select(e => e.GetString()!).ToList();
        string exercise = Directory.GetFiles(dir, "*_exercise.c").Single();
        string output = Path.Combine(dir, $"{compiler}-{opt}.o");
        var run = Tool.Run(Tool.Find(compiler)!, ["-c", "-" + opt, .. Tool.TargetFlags(target), .. cflags, "-DPVGEN_STYLE_MARKER",
            "-Wall", "-Wextra", "-Werror", "-o", output, exercise], dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        return (output, ModelJson.Load(Path.Combine(dir, ".pvgen", "model.json")));
    }

    [Theory]
    [MemberData(nameof(Builds))]
    public void Markers_are_the_none_relocations_and_pair_as_objdump_does(string example, string target, string compiler, string opt)
    {
        var (path, model) = Compile(example, target, compiler, opt);
        var options = ScanOptions.ForModel(model);
        var scanned = Build.ScanOne(path, options);
        var symbols = options.Symbols;

        // readelf: every NONE relocation against a table symbol, one per wrapper (the exerciser calls each once).
        var none = ReadelfNone(path, symbols.Keys);
        string header = Directory.GetFiles(Path.GetDirectoryName(path)!, "*_marker.h").Single();
        Assert.Equal(File.ReadLines(header).Count(l => l.TrimStart().StartsWith("\".reloc 1f,", StringComparison.Ordinal)), none.Count);
        Assert.Equal(none.Count, scanned.Markers.Count);
        Assert.Equal(none.Select(r => r.Offset).Order(), scanned.Markers.Select(m => m.Offset).Order());

        // objdump: the marker's slot (side record, cross-checked with the x86-64 addend) and the first call/jmp through it.
        var expected = ObjdumpPairs(path, symbols, model.Target.PointerSize);
        var actual = scanned.Markers.Select(m => (m.Section, m.Offset, m.TargetOffset, m.SiteOffset, Kind: m.SiteKind is { } k ? Build.KindName(k) : null)).ToList();
        Assert.True(expected.SequenceEqual(actual),
            $"{path}: scanner and objdump pair markers differently\n objdump: {string.Join("\n          ", expected)}\n scanner: {string.Join("\n          ", actual)}");
        Assert.All(scanned.Markers, m => Assert.Equal(m.SiteOffset - m.Offset, m.Distance));
        Assert.All(scanned.Markers.Where(m => !m.Paired), m => Assert.False(string.IsNullOrEmpty(m.Unpaired)));

        // The NONE relocations are not references the code makes: the sites are exactly objdump's (one-table examples).
        if (symbols.Count == 1)
        {
            Build.AssertSameAsObjdump(path, scanned, symbols.Keys.Single());
        }
    }

    [Fact]
    public void A_marker_with_no_call_through_its_slot_is_unpaired_with_the_reason()
    {
        // Marks slot 2 (pv_ops+0x10) but calls slot 1, then a second marker that has its call.
        string path = Build.Compile("lonely.s", """
            .text
            .globl f
            .type f, @function
            f:
            .reloc 1f, R_X86_64_NONE, pv_ops+0x10
            1:
                call *pv_ops+0x8(%rip)
            .reloc 2f, R_X86_64_NONE, pv_ops+0x8
            2:
                nop
                jmp *pv_ops+0x8(%rip)
            """, ["-c", "-m64"]);
        var scanned = Build.ScanOne(path);
        Assert.Equal(2, scanned.Markers.Count);
        var lonely = scanned.Markers[0];
        Assert.False(lonely.Paired);
        Assert.Contains("no call or jmp through table offset 0x10", lonely.Unpaired, StringComparison.Ordinal);
        var paired = scanned.Markers[1];
        Assert.Equal(1, paired.Distance);
        Assert.Equal(SiteKind.Jmp, paired.SiteKind);
        Assert.Equal(2, scanned.Sites.Count);
    }

    [Fact]
    public void A_side_record_that_contradicts_its_marker_is_unpaired()
    {
        // The record says slot 3, the x86-64 relocation says offset 0x8 (slot 1): neither is trusted.
        string path = Build.Compile("contradict.s", """
            .text
            f:
            .reloc 1f, R_X86_64_NONE, pv_ops+0x8
            1:
            .pushsection .pvgen.markers,"a"
            .balign 4
            .long 1b - .
            .short 3, 0x8, 0x0, 0x1ff
            .byte 0, 0
            .short 0
            .popsection
                call *pv_ops+0x8(%rip)
            """, ["-c", "-m64"]);
        var marker = Assert.Single(Build.ScanOne(path).Markers);
        Assert.False(marker.Paired);
        Assert.Contains("side record slot 3", marker.Unpaired, StringComparison.Ordinal);
    }

    [Fact]
    public void An_i386_marker_without_its_record_names_no_op()
    {
        string path = Build.Compile("norecord.s", """
            .text
            f:
            .reloc 1f, R_386_NONE, pv_ops+0x8
            1:
                call *pv_ops+0x8
            """, ["-c", "-m32"]);
        var marker = Assert.Single(Build.ScanOne(path).Markers);
        Assert.Equal(0, marker.RelocTargetOffset);
        Assert.False(marker.Paired);
        Assert.Contains("keeps no addend", marker.Unpaired, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_json_lists_markers_and_counts_them()
    {
        var (path, model) = Compile("toy", "x86_64", "gcc", "O2");
        string dir = Path.GetDirectoryName(path)!;
        var run = Tool.Pvgen(["scan", path, "--model", Path.Combine(dir, ".pvgen", "model.json"), "--format", "json"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(run.Stdout);
        var summary = json.RootElement.GetProperty("summary");
        int none = ReadelfNone(path, ["toy_ops"]).Count;
        Assert.Equal(none, summary.GetProperty("markers").GetInt32());
        Assert.Equal(none, summary.GetProperty("markers_paired").GetInt32() + summary.GetProperty("markers_unpaired").GetInt32());
        var markers = json.RootElement.GetProperty("files")[0].GetProperty("markers");
        Assert.Equal(none, markers.GetArrayLength());
        Assert.All(markers.EnumerateArray(), m => Assert.Equal("R_X86_64_NONE", m.GetProperty("reloc_type").GetString()));
        Assert.Equal(model.Ops.Count, markers.EnumerateArray().Count(m => m.GetProperty("record").ValueKind == JsonValueKind.Object));
    }

    /// <summary>
    /// Linked with --emit-relocs (as `pvgen prove` links its programs), the side records' relocations carry virtual
    /// addresses: scan still reads every record and pairs every marker (readelf's NONE relocations of the program), with
    /// the same sites, section-relative, as in the object (one object: its .text is the program's).
    /// </summary>
    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void Markers_of_a_linked_program_pair_as_in_its_object(string target)
    {
        var (path, model) = Compile("toy", target, "gcc", "O2");
        string dir = Path.GetDirectoryName(path)!;
        string exe = Path.Combine(dir, $"linked-{target}.elf");
        var link = Tool.Run("ld", [target == "x86_64" ? "-melf_x86_64" : "-melf_i386", "--emit-relocs", "-e", "0", "--defsym", "toy_ops=0x100000", "-o", exe, path]);
        Assert.True(link.ExitCode == 0, link.ToString());
        var options = ScanOptions.ForModel(model) with { SkipObjectsWithoutSymbol = false };
        var inObject = ObjectScanner.ScanFile(path, options)[0];
        var inProgram = ObjectScanner.ScanFile(exe, options)[0];
        Assert.Null(inProgram.Error);
        Assert.NotEmpty(inObject.Markers);
        Assert.All(inProgram.Markers, m => Assert.True(m.Paired, m.Unpaired));
        Assert.Equal(ReadelfNone(exe, ["toy_ops"]).Count, inProgram.Markers.Count);
        Assert.Equal(inObject.Markers.Select(m => (m.SiteOffset, m.Op)), inProgram.Markers.Select(m => (m.SiteOffset, m.Op)));
        Assert.Equal(inObject.Markers.Select(m => m.Record is not null), inProgram.Markers.Select(m => m.Record is not null));
    }

    [GeneratedRegex(@"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+(R_X86_64_NONE|R_386_NONE)\s+[0-9a-f]+\s+(\S+)")]
    private static partial Regex ReadelfNoneLine();

    /// <summary>readelf -rW: the NONE relocations in executable sections' tables against one of <paramref name="symbols"/>.</summary>
    private static List<(string Table, long Offset)> ReadelfNone(string path, IEnumerable<string> symbols)
    {
        var wanted = symbols.ToHashSet(StringComparer.Ordinal);
        var run = Tool.Run("readelf", ["-rW", path]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var found = new List<(string, long)>();
        string table = string.Empty;
        foreach (string line in run.Stdout.Split('\n'))
        {
            if (line.StartsWith("Relocation section '", StringComparison.Ordinal))
            {
                table = line.Split('\'')[1];
                continue;
            }

            if (ReadelfNoneLine().Match(line) is { Success: true } m && wanted.Contains(m.Groups[3].Value) && table.Contains(".text", StringComparison.Ordinal))
            {
                found.Add((table, long.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }
        }

        return found;
    }

    [GeneratedRegex(@"^([0-9a-f]+) <([^>]+)>:$")]
    private static partial Regex FunctionLine();

    [GeneratedRegex(@"^Disassembly of section (\S+):$")]
    private static partial Regex SectionLine();

    [GeneratedRegex(@"^\s*([0-9a-f]+):\t([0-9a-f ]+?)\s*\t(.*)$")]
    private static partial Regex InstructionLine();

    [GeneratedRegex(@"([0-9a-f]+): (R_[A-Z0-9_]+)\t([^\t]+)")]
    private static partial Regex RelocationNote();

    private sealed record Instruction(string Section, string Function, long Address, int Length, string Asm, List<(long At, string Type, string Symbol, long Addend)> Notes);

    /// <summary>
    /// The oracle: per marker (objdump's NONE note), its table offset (the side record's slot, objdump -s/-r of .pvgen.markers;
    /// on x86-64 also the note's addend) and the first later instruction in its function that calls or jumps through that
    /// offset: <c>call/jmp *mem</c> with a relocation naming it, or <c>call/jmp *%reg</c> after a <c>mov</c> loaded the slot into %reg.
    /// </summary>
    private static List<(string Section, long Offset, long Target, long? Site, string? Kind)> ObjdumpPairs(string path, IReadOnlyDictionary<string, long> bases, int pointerSize)
    {
        var code = Disassemble(path);
        var records = SideRecords(path);
        var result = new List<(string, long, long, long?, string?)>();
        var claimed = new HashSet<(string, long)>();
        var markers = code.SelectMany(i => i.Notes.Where(n => n.Type.EndsWith("_NONE", StringComparison.Ordinal) && bases.ContainsKey(n.Symbol)).Select(n => (Instruction: i, Note: n)))
            .OrderBy(m => m.Instruction.Section, StringComparer.Ordinal).ThenBy(m => m.Note.At).ToList();
        foreach (var (at, note) in markers)
        {
            var queue = records.GetValueOrDefault((at.Section, note.At));
            Assert.True(queue is { Count: > 0 }, $"{path}: no side record for the marker at {at.Section}+0x{note.At:x}");
            long target = queue!.Dequeue() * pointerSize;
            if (pointerSize == 8)
            {
                Assert.Equal(bases[note.Symbol] + note.Addend, target);
            }

            var loaded = new Dictionary<string, long>(StringComparer.Ordinal);
            (long?, string?) pair = (null, null);
            foreach (var insn in code.Where(i => i.Section == at.Section && i.Function == at.Function && i.Address >= note.At))
            {
                string[] parts = insn.Asm.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                string mnemonic = parts[0];
                string operands = parts.Length > 1 ? parts[1].Split('#')[0].Trim() : string.Empty;
                bool branch = mnemonic.StartsWith("call", StringComparison.Ordinal) || mnemonic.StartsWith("jmp", StringComparison.Ordinal);
                long? through = insn.Notes.Where(n => bases.ContainsKey(n.Symbol) && !n.Type.EndsWith("_NONE", StringComparison.Ordinal))
                    .Select(n => (long?)(bases[n.Symbol] + Addend(insn, n) + (n.Type.Contains("PC", StringComparison.Ordinal) ? insn.Address + insn.Length - n.At : 0))).FirstOrDefault();
                if (branch && operands.StartsWith('*') && (through == target || (operands.StartsWith("*%", StringComparison.Ordinal) && loaded.GetValueOrDefault(operands[1..], -1) == target))
                    && claimed.Add((insn.Section, insn.Address)))
                {
                    pair = (insn.Address, mnemonic.StartsWith("call", StringComparison.Ordinal) ? "call" : "jmp");
                    break;
                }

                string last = operands.Contains(',', StringComparison.Ordinal) ? operands[(operands.LastIndexOf(',') + 1)..].Trim() : operands;
                if (last.StartsWith('%'))
                {
                    string first = operands.Contains(',', StringComparison.Ordinal) ? operands[..operands.IndexOf(',', StringComparison.Ordinal)].Trim() : string.Empty;
                    if (mnemonic.StartsWith("mov", StringComparison.Ordinal) && through is { } slot)
                    {
                        loaded[last] = slot;
                    }
                    else if (mnemonic.StartsWith("mov", StringComparison.Ordinal) && loaded.TryGetValue(first, out long copied))
                    {
                        // The pointer copied to another register (gcc -O0: mov pv_ops+N(%rip),%rax; mov %rax,%rdx; call *%rdx).
                        loaded[last] = copied;
                    }
                    else
                    {
                        loaded.Remove(last);
                    }
                }
            }

            result.Add((at.Section, note.At, target, pair.Item1, pair.Item2));
        }

        return result;
    }

    /// <summary>REL objects keep the addend in the field (objdump prints none): the 4 bytes at the relocation.</summary>
    private static long Addend(Instruction insn, (long At, string Type, string Symbol, long Addend) note) =>
        note.Type.StartsWith("R_386_", StringComparison.Ordinal) ? BinaryPrimitives.ReadInt32LittleEndian(Bytes(insn).AsSpan((int)(note.At - insn.Address))) : note.Addend;

    private static readonly Dictionary<Instruction, byte[]> InstructionBytes = new(ReferenceEqualityComparer.Instance);

    private static byte[] Bytes(Instruction insn)
    {
        lock (InstructionBytes)
        {
            return InstructionBytes[insn];
        }
    }

    private static List<Instruction> Disassemble(string path)
    {
        var run = Tool.Run("objdump", ["-dr", "-w", path]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var list = new List<Instruction>();
        string section = string.Empty, function = string.Empty;
        foreach (string line in run.Stdout.Split('\n'))
        {
            if (SectionLine().Match(line) is { Success: true } s)
            {
                section = s.Groups[1].Value;
                continue;
            }

            if (FunctionLine().Match(line) is { Success: true } f)
            {
                function = f.Groups[2].Value;
                continue;
            }

            var m = InstructionLine().Match(line);
            if (!m.Success)
            {
                // objdump -w prints an instruction's second relocation on a line of its own.
                if (list.Count > 0 && line.StartsWith('\t') && RelocationNote().Match(line) is { Success: true } more)
                {
                    var (name, value) = SplitAddend(more.Groups[3].Value.Trim());
                    list[^1].Notes.Add((long.Parse(more.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), more.Groups[2].Value, name, value));
                }

                continue;
            }

            string rest = m.Groups[3].Value;
            int tab = rest.IndexOf('\t', StringComparison.Ordinal);
            var notes = RelocationNote().Matches(rest).Select(n =>
            {
                var (symbol, addend) = SplitAddend(n.Groups[3].Value.Trim());
                return (long.Parse(n.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), n.Groups[2].Value, symbol, addend);
            }).ToList();
            byte[] bytes = Convert.FromHexString(m.Groups[2].Value.Replace(" ", string.Empty, StringComparison.Ordinal));
            var insn = new Instruction(section, function, long.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), bytes.Length, tab >= 0 ? rest[..tab] : rest, notes);
            lock (InstructionBytes)
            {
                InstructionBytes[insn] = bytes;
            }

            list.Add(insn);
        }

        return list;
    }

    [GeneratedRegex(@"^\s*([0-9a-f]+)\s+(R_\S+)\s+(\S+?)(?:\+0x([0-9a-f]+))?\s*$")]
    private static partial Regex RelocLine();

    /// <summary>The side records as binutils shows them: slot (u16 at +4) by the place each record's first field points at.</summary>
    private static Dictionary<(string, long), Queue<int>> SideRecords(string path)
    {
        var dump = Tool.Run("objdump", ["-s", "-j", ".pvgen.markers", path]);
        var relocs = Tool.Run("objdump", ["-r", "-j", ".pvgen.markers", path]);
        Assert.True(dump.ExitCode == 0 && relocs.ExitCode == 0, dump + relocs.ToString());
        var bytes = new List<byte>();
        foreach (string line in dump.Stdout.Split('\n').Where(l => l.StartsWith(' ')))
        {
            // " 0000 03000000 01000800 00000000 ff010000  ................": the hex area is the 35 columns after the address.
            int start = line.IndexOf(' ', 1) + 1;
            string hex = line.Substring(start, Math.Min(35, line.Length - start)).Replace(" ", string.Empty, StringComparison.Ordinal);
            bytes.AddRange(Convert.FromHexString(hex));
        }

        var byPlace = new Dictionary<(string, long), Queue<int>>();
        foreach (var m in relocs.Stdout.Split('\n').Select(l => RelocLine().Match(l)).Where(m => m.Success))
        {
            int at = int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            long addend = m.Groups[4].Success ? long.Parse(m.Groups[4].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                : BinaryPrimitives.ReadInt32LittleEndian(bytes.ToArray().AsSpan(at));
            var key = (m.Groups[3].Value, addend);
            if (!byPlace.TryGetValue(key, out var queue))
            {
                byPlace[key] = queue = new Queue<int>();
            }

            queue.Enqueue(BinaryPrimitives.ReadUInt16LittleEndian(bytes.ToArray().AsSpan(at + 4)));
        }

        return byPlace;
    }

    private static (string Name, long Addend) SplitAddend(string target)
    {
        int sign = target.LastIndexOfAny(['+', '-']);
        if (sign <= 0 || !target[(sign + 1)..].StartsWith("0x", StringComparison.Ordinal))
        {
            return (target, 0);
        }

        long value = long.Parse(target[(sign + 3)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (target[..sign], target[sign] == '-' ? -value : value);
    }
}
