using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PvGen.Binary.Annotating;
using PvGen.TestSupport;
using PvGen.X86.Records;
using Xunit;

namespace PvGen.Binary.Tests;

/// <summary>
/// `pvgen annotate` on real plain-style objects (the 5.10 example's exerciser and the bundled corpus, built by gcc and
/// clang for both targets), checked against binutils: `readelf -a` finds nothing to warn about, the records `readelf -rW`
/// and `objdump -s` show are exactly the in-place calls (and jumps, where the format says so) `objdump -dr` shows,
/// each pointing at its call with the slot it calls, and `pvgen check --object` verifies them.
/// </summary>
public sealed partial class AnnotateTests
{
    private static readonly string Config = Repo.Example("linux-5.10-x86_64", "pvgen.json");

    public static IEnumerable<object[]> Cases() =>
        from arch in Examples.Targets
        from compiler in Tool.Compilers()
        from format in arch == "x86_64" ? new[] { "para16", "para6", "alt14" } : ["para8", "para6", "alt14"]
        select new object[] { arch, compiler, format };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Records_are_what_binutils_sees(string arch, string compiler, string format)
    {
        var objects = Objects(arch, compiler, "-O2");
        string output = Repo.TempDir("annotated");
        var run = Tool.Pvgen(["annotate", .. objects, "--config", Config, "--target", arch, "--format", format, "-o", output, "--report", "json"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var report = JsonDocument.Parse(run.Stdout).RootElement;
        int pointer = arch == "x86_64" ? 8 : 4;
        var jumpOffsets = JumpOffsets(arch);
        var calleeSave = CalleeSaveSlots(arch);
        int total = 0, calleeSaveRecords = 0;
        foreach (var entry in report.GetProperty("objects").EnumerateArray())
        {
            string annotated = Path.Combine(output, Path.GetFileName(entry.GetProperty("path").GetString()!));
            var readelf = Tool.Run("readelf", ["-a", "-W", annotated]);
            Assert.True(readelf.ExitCode == 0 && !WarningPattern().IsMatch(readelf.Stdout + readelf.Stderr), $"{annotated}: readelf -a complains\n{readelf.Stderr}");

            // .parainstructions: calls of call ops and jumps of jump ops (the kernel's patcher decides by the op);
            // alt14: every call and jump, in the 6-byte form alt_replace_call() takes.
            var sites = ObjdumpOracle.Sites(annotated);
            var wanted = format == "alt14"
                ? sites.Where(s => s.Kind is "call" or "jmp" && s.Length == 6).ToList()
                : sites.Where(s => s.Kind == (jumpOffsets.Contains(s.TargetOffset) ? "jmp" : "call")).ToList();

            var records = format == "alt14" ? AltRecords(annotated) : ParaRecords(annotated, format);
            Assert.Equal(entry.GetProperty("records").GetArrayLength(), records.Count);
            Assert.Equal(wanted.Select(s => (s.Section, s.Offset)).Order(), records.Select(r => (r.Section, r.Offset)).Order());
            foreach (var record in records)
            {
                var site = wanted.Single(s => s.Section == record.Section && s.Offset == record.Offset);
                Assert.Equal(site.Length, record.Length);
                if (record.Type is int type)
                {
                    Assert.Equal(site.TargetOffset / pointer, type);
                }

                if (record.Replacement is { } replacement)
                {
                    Assert.Equal(site.Kind == "jmp" ? 0xe9 : 0xe8, replacement);
                }

                // The clobber field, as the kernel's PVOP macros write it: CLBR_RET_REG (rax 0x1; eax|edx 0x5 on i386) for a
                // callee-save op, the 2.6.25 era's CLBR_ANY (0x1ff, 0xf) for the rest, plain C call or not.
                if (record.Clobbers is int clobbers)
                {
                    bool saves = calleeSave.Contains((int)(site.TargetOffset / pointer));
                    calleeSaveRecords += saves ? 1 : 0;
                    int expected = arch == "x86_64" ? (saves ? 0x1 : 0x1ff) : (saves ? 0x5 : 0xf);
                    Assert.True(expected == clobbers, $"{annotated}: record at {record.Section}+0x{record.Offset:x} clobbers 0x{clobbers:x}");
                }
            }

            total += records.Count;
        }

        Assert.True(total > 20, $"only {total} records in the whole corpus");
        Assert.True(format == "para6" || format == "alt14" || calleeSaveRecords > 0, "no record of a callee-save op, so the CLBR_RET_REG case was never seen");
    }

    /// <summary>Without tail jumps and hoisted loads every reference is patchable: `check --object` verifies every record, for each format.</summary>
    [Theory]
    [InlineData("x86_64", "para16")]
    [InlineData("x86_64", "para6")]
    [InlineData("x86_64", "alt14")]
    [InlineData("i386", "para8")]
    [InlineData("i386", "alt14")]
    public void Records_round_trip_through_check_object(string arch, string format)
    {
        string model = Path.Combine(Repo.TempDir("model"), "model.json");
        Assert.Equal(0, Tool.Pvgen(["parse", "--config", Config, "--target", arch, "--format", "json", "-o", model]).ExitCode);
        var exerciser = Objects(arch, "gcc", "-O2", ["-fno-optimize-sibling-calls"], corpus: false);
        string annotated = Path.Combine(Repo.TempDir("annotated"), "exercise.o");
        var run = Tool.Pvgen(["annotate", .. exerciser, "--model", model, "--format", format, "-o", annotated]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var check = Tool.Pvgen(["check", "--object", annotated, "--model", model]);
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("every record verified", check.Stdout, StringComparison.Ordinal);
    }

    /// <summary>What annotate leaves without a record is exactly what `check --object` then reports as unannotated.</summary>
    [Fact]
    public void Unpatched_sites_are_the_ones_check_reports()
    {
        string model = Path.Combine(Repo.TempDir("model"), "model.json");
        Assert.Equal(0, Tool.Pvgen(["parse", "--config", Config, "--format", "json", "-o", model]).ExitCode);
        var objects = Objects("x86_64", "gcc", "-O2", [], corpus: true).Where(o => o.EndsWith("tail_calls.o", StringComparison.Ordinal) || o.EndsWith("loaded_once.o", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, objects.Count);
        string output = Repo.TempDir("annotated");
        var run = Tool.Pvgen(["annotate", .. objects, "--model", model, "-o", output, "--report", "json"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var left = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("objects").EnumerateArray()
            .SelectMany(o => o.GetProperty("unpatched").EnumerateArray().Select(u => (u.GetProperty("kind").GetString(),
                $"{Path.GetFileName(o.GetProperty("path").GetString())}:{u.GetProperty("section").GetString()}+0x{u.GetProperty("offset").GetInt64():x}")))
            .ToList();
        // Calls and jumps left unpatched are each a finding; loads and addresses taken (the patcher rewrites only recorded
        // calls) are one note without a location.
        var unpatched = left.Where(u => u.Item1 is "call" or "jmp").Select(u => u.Item2).Order().ToList();
        Assert.NotEmpty(unpatched);

        var check = Tool.Pvgen(["check", "--object", output, "--model", model, "--format", "json"]);
        Assert.Equal(1, check.ExitCode);
        var reported = JsonDocument.Parse(check.Stdout).RootElement.GetProperty("findings").EnumerateArray()
            .Where(f => f.GetProperty("id").GetString() == "PVG0210" && f.GetProperty("offset").ValueKind == JsonValueKind.Number)
            .Select(f => $"{Path.GetFileName(f.GetProperty("file").GetString())}:{f.GetProperty("section").GetString()}+0x{f.GetProperty("offset").GetInt64():x}")
            .Order().ToList();
        Assert.Equal(unpatched, reported);
    }

    [Fact]
    public void Bad_or_annotated_input_is_refused_and_nothing_is_written()
    {
        var objects = Objects("x86_64", "gcc", "-O2", [], corpus: false);
        string dir = Repo.TempDir("annotate-bad");
        string once = Path.Combine(dir, "once.o");
        Assert.Equal(0, Tool.Pvgen(["annotate", objects[0], "-o", once]).ExitCode);

        string text = Path.Combine(dir, "notes.o");
        File.WriteAllText(text, "not an object");
        string truncated = Path.Combine(dir, "truncated.o");
        File.WriteAllBytes(truncated, File.ReadAllBytes(objects[0])[..200]);
        string linked = Path.Combine(dir, "linked");
        Assert.Equal(0, Tool.Run("gcc", ["-nostdlib", "-static", "-no-pie", "-Wl,--unresolved-symbols=ignore-all", "-Wl,-e,0", objects[0], "-o", linked]).ExitCode);

        foreach (var (input, why) in new[] { (once, "already has a .parainstructions section"), (text, "not an ELF object"), (truncated, "truncated"), (linked, "relocatable objects") })
        {
            string output = Path.Combine(dir, "out-" + Path.GetFileName(input));
            var run = Tool.Pvgen(["annotate", input, "-o", output]);
            Assert.True(run.ExitCode == 2, $"{input}: {run}");
            Assert.Contains(why, run.Stderr, StringComparison.Ordinal);
            Assert.Contains("[PVG0402]", run.Stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(output), $"{output} was written");
        }

        // Several inputs, one bad: none is written.
        string batch = Repo.TempDir("annotate-batch");
        var mixed = Tool.Pvgen(["annotate", objects[0], text, "-o", batch]);
        Assert.Equal(2, mixed.ExitCode);
        Assert.Empty(Directory.GetFiles(batch));

        var old = Tool.Pvgen(["annotate", objects[0], "--format", "alt12", "-o", Path.Combine(dir, "alt12.o")]);
        Assert.Equal(2, old.ExitCode);
        Assert.Contains("--record-format does not take 'alt12'; use one of: para6, para8, para16, alt14", old.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "alt12.o")));
        // The stage refuses it too, for callers that bypass the option table.
        Assert.Contains("predate ALT_FLAG_DIRECT_CALL", ObjectAnnotator.Unsupported(RecordFormats.Alt12, 8), StringComparison.Ordinal);
        Assert.Null(ObjectAnnotator.Unsupported(RecordFormats.Alt14, 8));
    }

    /// <summary>
    /// binutils 2.40 drops unreferenced section symbols, so annotate inserts one among the locals: every symbol index
    /// after it moves, in relocation tables and in the COMDAT group's signature, and the object still links.
    /// </summary>
    [Theory]
    [InlineData("x86_64")]
    [InlineData("i386")]
    public void An_inserted_section_symbol_keeps_groups_and_relocations_intact(string arch)
    {
        string call = arch == "x86_64" ? "call *pv_ops+8(%rip)" : "call *pv_ops+4";
        string source = $"""
            	.text
            	.globl f
            	.type f, @function
            f:
            	{call}
            	ret
            	.section .text.helper,"axG",@progbits,helper,comdat
            	.globl helper
            	.type helper, @function
            helper:
            	call f
            	ret
            	.section .note.GNU-stack,"",@progbits
            """;
        string obj = Build.Compile("group.s", source, ["-c", arch == "x86_64" ? "-m64" : "-m32"]);
        Assert.DoesNotContain(" SECTION ", Tool.Run("readelf", ["-sW", obj]).Stdout, StringComparison.Ordinal);
        string annotated = Path.Combine(Path.GetDirectoryName(obj)!, "group.annotated.o");
        var run = Tool.Pvgen(["annotate", obj, "-o", annotated]);
        Assert.True(run.ExitCode == 0, run.ToString());

        var groups = Tool.Run("readelf", ["-gW", annotated]);
        Assert.Contains("[helper]", groups.Stdout, StringComparison.Ordinal);
        Assert.Contains(".text.helper", groups.Stdout, StringComparison.Ordinal);
        var relocations = Tool.Run("readelf", ["-rW", annotated]).Stdout;
        Assert.Matches(@"R_(X86_64|386)_(PLT32|PC32)\s+0+\s+f", relocations); // helper's call still names f
        Assert.Matches(arch == "x86_64" ? @"R_X86_64_PC32\s+0+\s+pv_ops \+ 4" : @"R_386_32\s+0+\s+pv_ops", relocations);
        var relinked = Tool.Run("ld", [arch == "x86_64" ? "-melf_x86_64" : "-melf_i386", "-r", annotated, "-o", annotated + ".r.o"]);
        Assert.True(relinked.ExitCode == 0, relinked.ToString());
        Assert.Single(ParaRecords(annotated + ".r.o", arch == "x86_64" ? "para16" : "para8"));
    }

    /// <summary>Table offsets of the ops pvgen.json calls jumps ("jump": true), from the parsed model.</summary>
    private static HashSet<long> JumpOffsets(string arch)
    {
        string model = Path.Combine(Repo.TempDir("model"), "model.json");
        Assert.Equal(0, Tool.Pvgen(["parse", "--config", Config, "--target", arch, "--format", "json", "-o", model]).ExitCode);
        var jumps = Examples.Ops("linux-5.10-x86_64").Ops.Where(o => o.Value.Jump == true).Select(o => o.Key).ToHashSet();
        return JsonDocument.Parse(File.ReadAllText(model)).RootElement.GetProperty("ops").EnumerateArray()
            .Where(o => jumps.Contains(o.GetProperty("path").GetString()!)).Select(o => o.GetProperty("offset").GetInt64()).ToHashSet();
    }

    /// <summary>Slots of the callee-save ops (declared through the callee-save wrapper struct), from the parsed model.</summary>
    private static HashSet<int> CalleeSaveSlots(string arch)
    {
        string model = Path.Combine(Repo.TempDir("model"), "model.json");
        Assert.Equal(0, Tool.Pvgen(["parse", "--config", Config, "--target", arch, "--format", "json", "-o", model]).ExitCode);
        return [.. JsonDocument.Parse(File.ReadAllText(model)).RootElement.GetProperty("ops").EnumerateArray()
            .Where(o => o.GetProperty("callee_save").GetBoolean()).Select(o => o.GetProperty("slot").GetInt32())];
    }

    /// <summary>One record as binutils shows it: the site its relocation points at, and the type/len bytes or the replacement opcode.</summary>
    private sealed record BinutilsRecord(string Section, long Offset, int Length, int? Type, int? Replacement, int? Clobbers = null);

    private static List<BinutilsRecord> ParaRecords(string obj, string format)
    {
        byte[] data = SectionBytes(obj, ".parainstructions");
        var relocations = Relocations(obj, ".parainstructions");
        int stride = format switch { "para16" => 16, "para8" => 8, _ => 6 };
        int field = format == "para16" ? 8 : 4;
        Assert.Equal(data.Length, relocations.Count * stride);
        var records = new List<BinutilsRecord>();
        for (int i = 0; i < relocations.Count; i++)
        {
            var r = relocations[i];
            Assert.Equal((long)i * stride, r.Offset);
            long addend = r.Addend ?? BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(i * stride));
            int? clobbers = format == "para6" ? null : BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(i * stride + field + 2));
            records.Add(new BinutilsRecord(r.Symbol, addend, data[i * stride + field + 1], data[i * stride + field], null, clobbers));
        }

        return records;
    }

    private static List<BinutilsRecord> AltRecords(string obj)
    {
        byte[] data = SectionBytes(obj, ".altinstructions");
        byte[] replacements = SectionBytes(obj, ".altinstr_replacement");
        var relocations = Relocations(obj, ".altinstructions");
        var replacementRelocations = Relocations(obj, ".altinstr_replacement");
        Assert.Equal(data.Length, relocations.Count / 2 * 14);
        var records = new List<BinutilsRecord>();
        for (int i = 0; i < relocations.Count / 2; i++)
        {
            var instr = relocations[2 * i];
            var repl = relocations[2 * i + 1];
            Assert.Equal((long)i * 14, instr.Offset);
            Assert.Equal(".altinstr_replacement", repl.Symbol);
            long site = instr.Addend ?? BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(i * 14));
            long replacement = repl.Addend ?? BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(i * 14 + 4));
            Assert.Equal(0x00020075u, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(i * 14 + 8))); // ALT_CALL_ALWAYS
            Assert.Equal(5, data[i * 14 + 13]);
            Assert.Contains(replacementRelocations, r => r.Offset == replacement + 1 && r.Symbol == "BUG_func");
            records.Add(new BinutilsRecord(instr.Symbol, site, data[i * 14 + 12], null, replacements[replacement]));
        }

        return records;
    }

    private static byte[] SectionBytes(string obj, string section)
    {
        var run = Tool.Run("objdump", ["-s", "-j", section, obj]);
        var bytes = new List<byte>();
        foreach (Match m in DumpLine().Matches(run.Stdout))
        {
            bytes.AddRange(Convert.FromHexString(m.Groups[1].Value.Replace(" ", string.Empty, StringComparison.Ordinal)));
        }

        return [.. bytes];
    }

    /// <summary>readelf -rW's entries of the relocation table for <paramref name="section"/>; Addend null for REL (it is in the field).</summary>
    private static List<(long Offset, string Symbol, long? Addend)> Relocations(string obj, string section)
    {
        var list = new List<(long, string, long?)>();
        bool inside = false;
        foreach (string line in Tool.Run("readelf", ["-rW", obj]).Stdout.Split('\n'))
        {
            if (line.StartsWith("Relocation section", StringComparison.Ordinal))
            {
                inside = line.Contains($"'.rela{section}'", StringComparison.Ordinal) || line.Contains($"'.rel{section}'", StringComparison.Ordinal);
                continue;
            }

            var m = RelocationLine().Match(line);
            if (inside && m.Success)
            {
                long? addend = m.Groups["addend"].Success
                    ? (m.Groups["sign"].Value == "-" ? -1 : 1) * long.Parse(m.Groups["addend"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)
                    : null;
                list.Add((long.Parse(m.Groups["offset"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), m.Groups["symbol"].Value, addend));
            }
        }

        return list;
    }

    /// <summary>The 5.10 example's plain-style exerciser (and the corpus), compiled as the kernel would, non-PIC.</summary>
    private static IReadOnlyList<string> Objects(string arch, string compiler, string optimization, IReadOnlyList<string>? extra = null, bool corpus = true)
    {
        string dir = Repo.TempDir("annotate-src");
        var generated = Tool.Pvgen(["generate", "--config", Config, "--target", arch, "--style", "plain", "-o", dir]);
        Assert.True(generated.ExitCode == 0, generated.ToString());
        string header = Directory.GetFiles(dir, "*_plain.h").Single();
        var defines = Examples.CompileFlags("linux-5.10-x86_64", arch).ToList();
        List<string> flags = ["-c", optimization, "-ffreestanding", "-fno-pie", "-fno-asynchronous-unwind-tables", "-fno-stack-protector", .. defines, .. extra ?? []];
        flags.AddRange(arch == "x86_64" ? ["-m64", "-mcmodel=kernel", "-mno-red-zone"] : ["-m32", "-mregparm=3", "-freg-struct-return"]);
        var sources = new List<(string Source, string[] Extra)> { (Directory.GetFiles(dir, "*_exercise.c").Single(), ["-DPVGEN_STYLE_PLAIN"]) };
        if (corpus)
        {
            sources.AddRange(Directory.GetFiles(Path.Combine(Repo.Root, "examples", "corpus"), "*.c").Order(StringComparer.Ordinal).Select(s => (s, new[] { "-include", header })));
        }

        var objects = new List<string>();
        foreach (var (source, more) in sources)
        {
            string obj = Path.Combine(dir, Path.GetFileNameWithoutExtension(source) + ".o");
            var run = Tool.Run(compiler, [.. flags, .. more, source, "-o", obj]);
            Assert.True(run.ExitCode == 0, $"{compiler} {source}: {run}");
            objects.Add(obj);
        }

        return objects;
    }

    [GeneratedRegex(@"(?im)^.*\b(warning|error)\b.*$")]
    private static partial Regex WarningPattern();

    [GeneratedRegex(@"(?m)^ [0-9a-f]{4,} ((?:[0-9a-f]{2,8} ?){1,4})")]
    private static partial Regex DumpLine();

    [GeneratedRegex(@"^(?<offset>[0-9a-f]+)\s+[0-9a-f]+\s+(?<type>R_\S+)\s+[0-9a-f]+\s+(?<symbol>\S+)(\s*(?<sign>[+-])\s*(?<addend>[0-9a-f]+))?\s*$")]
    private static partial Regex RelocationLine();
}
