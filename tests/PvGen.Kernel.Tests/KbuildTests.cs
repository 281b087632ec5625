using PvGen.Comparison.Tests;
using PvGen.TestSupport;

namespace PvGen.Kernel.Tests;

/// <summary>
/// Real kernel objects built by Kbuild three ways (the kernel's own macros, the macro drop-in, the plain drop-in), and
/// every number of the diff recounted from the kept objects with readelf and objdump. Skipped without the sources.
/// </summary>
[Collection("kbuild")]
public sealed class KbuildTests(KbuildFixture fixture)
{
    public static TheoryData<string> Kernels => ["6.1", "6.12"];

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Both_drop_ins_build_every_object_under_kbuild_without_new_warnings(string kernel)
    {
        var run = fixture.Get(kernel);
        foreach (var o in run.Report.Kernel!.Objects)
        {
            Assert.True(o.KernelError is null && o.MacroError is null && o.PlainError is null, $"{o.Object}: {o.KernelError ?? o.MacroError ?? o.PlainError}");
            Assert.True(o.MacroNewWarnings.Count == 0, $"{o.Object}, macro drop-in: {string.Join("; ", o.MacroNewWarnings)}");
            Assert.True(o.PlainNewWarnings.Count == 0, $"{o.Object}, plain drop-in: {string.Join("; ", o.PlainNewWarnings)}");
            foreach (string tree in KernelDiff.Trees)
            {
                Assert.True(File.Exists(run.Object(tree, o.Object)), $"{tree}/{o.Object} not kept");
            }
        }

        Assert.Equal(KbuildFixture.CiObjects, run.Report.Kernel.Objects.Select(o => o.Object));
        Assert.Equal(kernel == "6.1" ? "parainstructions" : "altinstructions", run.Report.Kernel.Recording);

        // What the run changed in the distribution's configuration is said, setting by setting.
        Assert.Equal(3, run.Report.Kernel.ConfigChanges.Count);
        Assert.All(run.Report.Kernel.ConfigChanges, c => Assert.Contains("scripts/config", c, StringComparison.Ordinal));
        Assert.Contains(run.Progress, p => p.Step == "note" && p.Detail.Contains("MODULE_SIG_KEY", StringComparison.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Macro_drop_in_reproduces_the_kernels_own_records_and_code(string kernel)
    {
        var run = fixture.Get(kernel);
        foreach (string obj in KbuildFixture.CiObjects)
        {
            string own = run.Object("kernel", obj), macro = run.Object("macro", obj);

            // Oracle: binutils. The same relocations in every record section, the same bytes, the same code.
            var ownRelocations = Binutils.Relocations(own);
            var macroRelocations = Binutils.Relocations(macro);
            foreach (string section in new[] { ".rela.parainstructions", ".rela.altinstructions", ".rela.text", ".rela.altinstr_replacement" })
            {
                Assert.Equal(ownRelocations.GetValueOrDefault(section), macroRelocations.GetValueOrDefault(section));
            }

            foreach (string section in new[] { ".parainstructions", ".altinstructions", ".altinstr_replacement", ".text" })
            {
                Assert.True(FakeTreeTests.HexDump(own, section).SequenceEqual(FakeTreeTests.HexDump(macro, section)), $"{obj}: {section} differs");
            }

            var reported = run.Report.Kernel!.Objects.Single(o => o.Object == obj);
            Assert.True(reported.RecordsEqual && reported.Identical, $"{obj}: {string.Join("; ", reported.Differences)}");

            // The records the report counts are the ones the objects hold.
            Assert.Equal(OracleRecords(own, kernel), reported.KernelRecords);
            Assert.Equal(OracleRecords(macro, kernel), reported.MacroRecords);
            Assert.True(reported.KernelRecords > 0, $"{obj}: no pv records");
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Every_number_of_the_diff_json_is_recounted_from_the_kept_objects(string kernel)
    {
        var run = fixture.Get(kernel);
        var build = run.Build;
        var objects = KbuildFixture.CiObjects;

        // Macro approach: one site per pv record of the macro drop-in's objects, all 6-byte ff 15 calls.
        int records = objects.Sum(o => OracleRecords(run.Object("macro", o), kernel));
        Assert.Equal(records, build.GetProperty("macro").GetProperty("sites").GetInt32());
        Assert.Equal(records, build.GetProperty("sites").EnumerateArray().Count(s => s.GetProperty("approach").GetString() == "macro"));

        // Reloc approach: every instruction of the plain objects with a relocation against pv_ops, by kind.
        var refs = objects.SelectMany(o => TableReferences(Binutils.Disassemble(run.Object("plain", o))).Select(i => (Object: o, Instruction: i))).ToList();
        var reloc = build.GetProperty("reloc");
        Assert.True(refs.Count > 0);
        Assert.Equal(refs.Count, reloc.GetProperty("references").GetInt32());
        Assert.Equal(refs.Count(r => Binutils.Kind(r.Instruction) == "call"), reloc.GetProperty("calls").GetInt32());
        Assert.Equal(refs.Count(r => Binutils.Kind(r.Instruction) == "jmp"), reloc.GetProperty("jumps").GetInt32());
        Assert.Equal(refs.Count(r => Binutils.Kind(r.Instruction) == "load"), reloc.GetProperty("loads").GetInt32());
        var reported = build.GetProperty("sites").EnumerateArray().Where(s => s.GetProperty("approach").GetString() == "reloc")
            .Select(s => (s.GetProperty("file").GetString(), s.GetProperty("function").GetString(), s.GetProperty("offset").GetInt64(), s.GetProperty("length").GetInt32()))
            .Order().ToList();
        Assert.Equal(refs.Select(r => ((string?)r.Object, (string?)r.Instruction.Function, r.Instruction.Address, r.Instruction.Length)).Order().ToList(), reported);

        // A retpoline kernel calls through a register thunk: the load feeds a later "call __x86_indirect_thunk_REG" in its function.
        int thunked = objects.Sum(o => RetpolineLoads(Binutils.Disassemble(run.Object("plain", o))));
        Assert.True(thunked > 0);
        Assert.Equal(thunked, run.Json.GetProperty("totals").GetProperty("lost_retpoline").GetInt32());
        Assert.Equal(refs.Count - reloc.GetProperty("calls").GetInt32(), run.Json.GetProperty("totals").GetProperty("lost").GetInt32());

        // Code size and register saves per function, from readelf -sW and objdump.
        var functions = build.GetProperty("functions").EnumerateArray().ToList();
        long macroBytes = 0, plainBytes = 0;
        int macroSaves = 0, plainSaves = 0;
        foreach (string obj in objects)
        {
            var macroSizes = Binutils.FunctionSizes(run.Object("macro", obj));
            var plainSizes = Binutils.FunctionSizes(run.Object("plain", obj));
            var macroCode = Binutils.Disassemble(run.Object("macro", obj));
            var plainCode = Binutils.Disassemble(run.Object("plain", obj));
            foreach (string name in macroSizes.Keys.Union(plainSizes.Keys))
            {
                var f = functions.Single(x => x.GetProperty("file").GetString() == obj && x.GetProperty("function").GetString() == name);
                Assert.Equal(macroSizes.GetValueOrDefault(name), f.GetProperty("macro_size").GetInt64());
                Assert.Equal(plainSizes.GetValueOrDefault(name), f.GetProperty("plain_size").GetInt64());
                macroBytes += macroSizes.GetValueOrDefault(name);
                plainBytes += plainSizes.GetValueOrDefault(name);
                macroSaves += macroCode.Count(i => i.Function == name && Binutils.IsSave(i));
                plainSaves += plainCode.Count(i => i.Function == name && Binutils.IsSave(i));
            }
        }

        var env = build.GetProperty("register_environment");
        Assert.Equal(macroBytes, env.GetProperty("macro_bytes").GetInt64());
        Assert.Equal(plainBytes, env.GetProperty("plain_bytes").GetInt64());
        Assert.Equal(macroSaves, env.GetProperty("macro_save_instructions").GetInt32());
        Assert.Equal(plainSaves, env.GetProperty("plain_save_instructions").GetInt32());

        var totals = run.Json.GetProperty("totals");
        Assert.Equal(records, totals.GetProperty("macro_sites").GetInt32());

        // Lost sites by cause, each from objdump's view of the instruction: a tail jmp, a GOT relocation, a load (not feeding
        // a retpoline thunk), an address (lea, push), anything else; together they are every reference but the calls.
        bool ViaGot((string Object, DumpedInstruction Instruction) r) => r.Instruction.RelocType!.Contains("GOTPC", StringComparison.Ordinal);
        int tailJumps = refs.Count(r => Binutils.Kind(r.Instruction) == "jmp");
        int got = refs.Count(ViaGot);
        int loads = refs.Count(r => Binutils.Kind(r.Instruction) == "load" && !ViaGot(r)) - thunked;
        int addresses = refs.Count(r => Binutils.Kind(r.Instruction) == "address" && !ViaGot(r));
        int other = refs.Count(r => Binutils.Kind(r.Instruction) == "other" && !ViaGot(r));
        Assert.Equal(tailJumps, totals.GetProperty("lost_tail_jumps").GetInt32());
        Assert.Equal(got, totals.GetProperty("lost_got").GetInt32());
        Assert.Equal(loads, totals.GetProperty("lost_loads").GetInt32());
        Assert.Equal(addresses, totals.GetProperty("lost_addresses").GetInt32());
        Assert.Equal(refs.Count - reloc.GetProperty("calls").GetInt32(), tailJumps + got + loads + addresses + thunked + other);

        // Per op: the calls through each table offset in the macro objects (every one a recorded site) and the calls and
        // jmps in the plain objects, matched per file and function as the verdict is. The op's name for an offset is the
        // one the report gives its macro sites there; objdump must show one offset per name and one name per offset.
        var macroCalls = objects.SelectMany(o => TableReferences(Binutils.Disassemble(run.Object("macro", o)))
            .Where(i => Binutils.Kind(i) == "call").Select(i => (Object: o, Instruction: i))).ToList();
        Assert.Equal(records, macroCalls.Count);
        var siteOffsets = macroCalls.ToDictionary(c => (c.Object, c.Instruction.Address), c => FakeTreeTests.Addend(c.Instruction.RelocTarget!) + 4);
        var names = build.GetProperty("sites").EnumerateArray().Where(s => s.GetProperty("approach").GetString() == "macro")
            .Select(s => (Op: s.GetProperty("op").GetString()!, Offset: siteOffsets[(s.GetProperty("file").GetString()!, s.GetProperty("offset").GetInt64())]))
            .Distinct().ToList();
        Assert.Equal(names.Count, names.Select(n => n.Op).Distinct().Count());
        Assert.Equal(names.Count, names.Select(n => n.Offset).Distinct().Count());
        var inPlace = refs.Where(r => Binutils.Kind(r.Instruction) is "call" or "jmp").ToList();
        var ops = run.Json.GetProperty("ops").EnumerateArray().ToDictionary(o => o.GetProperty("op").GetString()!);
        foreach (var (op, offset) in names)
        {
            var m = macroCalls.Where(c => FakeTreeTests.Addend(c.Instruction.RelocTarget!) + 4 == offset).CountBy(c => (c.Object, c.Instruction.Function)).ToDictionary();
            var r = inPlace.Where(c => FakeTreeTests.Addend(c.Instruction.RelocTarget!) + 4 == offset).CountBy(c => (c.Object, c.Instruction.Function)).ToDictionary();
            var places = m.Keys.Union(r.Keys).ToList();
            var reportedOp = ops[op];
            Assert.Equal(m.Values.Sum(), reportedOp.GetProperty("macro").GetInt32());
            Assert.Equal(r.Values.Sum(), reportedOp.GetProperty("reloc").GetInt32());
            Assert.Equal(places.Sum(p => Math.Max(0, m.GetValueOrDefault(p) - r.GetValueOrDefault(p))), reportedOp.GetProperty("misses").GetInt32());
            Assert.Equal(places.Sum(p => Math.Max(0, r.GetValueOrDefault(p) - m.GetValueOrDefault(p))), reportedOp.GetProperty("extra").GetInt32());
        }
        Assert.Equal(macroBytes, totals.GetProperty("macro_bytes").GetInt64());
        Assert.Equal(plainBytes, totals.GetProperty("plain_bytes").GetInt64());
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void A_second_run_configures_and_builds_nothing(string kernel)
    {
        fixture.Get(kernel);
        var again = KbuildFixture.Run(kernel, KbuildFixture.CiObjects);
        Assert.DoesNotContain(again.Progress, p => p.Step is "extract" or "configure" or "prepare" or "copy");
        // Kbuild names each object it compiles; a cached tree names none.
        Assert.DoesNotContain(again.Progress, p => p.Step == "build" && KbuildFixture.CiObjects.Any(o => p.Detail.EndsWith(": " + o, StringComparison.Ordinal)));
        Assert.Equal(fixture.Get(kernel).Json.GetProperty("totals").GetRawText(), again.Json.GetProperty("totals").GetRawText());
    }

    [SkippableFact]
    public void A_macro_drop_in_that_records_other_clobbers_is_caught()
    {
        fixture.Get("6.1");
        string templates = Repo.TempDir("broken-templates");
        Directory.CreateDirectory(Path.Combine(templates, "kernel"));
        string macro = PvGen.Generation.DefaultTemplates.Texts["kernel/macro.sbn-c"];
        Assert.Contains("{{ abi.all_mask }}", macro, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(templates, "kernel", "macro.sbn-c"), macro.Replace("{{ abi.all_mask }}", "0x1fe", StringComparison.Ordinal));

        var broken = KbuildFixture.Run("6.1", ["arch/x86/mm/pgtable.o"], templates);
        var o = Assert.Single(broken.Report.Kernel!.Objects);
        Assert.False(o.RecordsEqual);
        Assert.False(o.Identical);
        Assert.Contains(o.Differences, d => d.Contains("records", StringComparison.Ordinal));
        Assert.Equal(0, broken.Report.Kernel.Equivalence.RecordsEqual);
    }

    [SkippableFact]
    public void A_corrupted_record_in_a_kept_object_is_a_difference()
    {
        var run = fixture.Get("6.1");
        string obj = "arch/x86/mm/pgtable.o";
        string copy = Path.Combine(Repo.TempDir("corrupt"), "pgtable.o");
        File.Copy(run.Object("macro", obj), copy);

        // The first .parainstructions record's type byte (offset 8 of the 16-byte record), found with readelf.
        long offset = SectionOffset(copy, ".parainstructions");
        using (var file = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = offset + 8;
            int type = file.ReadByte();
            file.Position = offset + 8;
            file.WriteByte((byte)(type ^ 1));
        }

        var (identical, _, differences) = ObjectComparison.Compare(run.Object("kernel", obj), copy);
        Assert.False(identical);
        Assert.Contains(differences, d => d.Contains(".parainstructions", StringComparison.Ordinal));
    }

    /// <summary>pv site records by binutils: 6.1's .parainstructions relocations (one per record); 6.8+'s .altinstructions entries with ALT_FLAG_DIRECT_CALL.</summary>
    internal static int OracleRecords(string obj, string kernel)
    {
        if (kernel == "6.1")
        {
            return Binutils.Relocations(obj).GetValueOrDefault(".rela.parainstructions")?.Count ?? 0;
        }

        // struct alt_instr, 14 bytes: s32 instr, s32 repl, u32 ft_flags (flags in the high half: DIRECT_CALL = bit 17), u8, u8.
        var bytes = FakeTreeTests.HexDump(obj, ".altinstructions");
        Assert.Equal(0, bytes.Count % 14);
        return Enumerable.Range(0, bytes.Count / 14).Count(i => (BitConverter.ToUInt32(bytes.Skip(i * 14 + 8).Take(4).ToArray()) & (1u << 17)) != 0);
    }

    private static IEnumerable<DumpedInstruction> TableReferences(IEnumerable<DumpedInstruction> instructions) =>
        instructions.Where(i => i.RelocTarget is { } t && (t == "pv_ops" || t.StartsWith("pv_ops+", StringComparison.Ordinal) || t.StartsWith("pv_ops-", StringComparison.Ordinal)));

    /// <summary>Loads of a pv_ops slot into a register whose retpoline thunk the same function calls later.</summary>
    private static int RetpolineLoads(IReadOnlyList<DumpedInstruction> code)
    {
        int count = 0;
        for (int i = 0; i < code.Count; i++)
        {
            var load = code[i];
            if (load.Mnemonic != "mov" || load.RelocTarget?.StartsWith("pv_ops", StringComparison.Ordinal) != true)
            {
                continue;
            }

            string register = load.Operands.Split(',')[^1].Trim().TrimStart('%');
            string thunk = "__x86_indirect_thunk_" + register;
            var rest = code.Skip(i + 1).TakeWhile(x => x.Function == load.Function);
            var next = rest.FirstOrDefault(x => x.Mnemonic is "call" or "jmp" && x.RelocTarget?.StartsWith("__x86_indirect_thunk_", StringComparison.Ordinal) == true);
            if (next?.RelocTarget?.StartsWith(thunk, StringComparison.Ordinal) == true)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>A section's file offset, from readelf -SW.</summary>
    private static long SectionOffset(string obj, string section)
    {
        var run = Tool.Run("readelf", ["-SW", obj]);
        foreach (string line in run.Stdout.Split('\n'))
        {
            string[] f = line.Replace("[ ", "[", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 4 && f[1] == section)
            {
                return Convert.ToInt64(f[4], 16);
            }
        }

        throw new InvalidOperationException($"{section} not in {obj}");
    }
}
