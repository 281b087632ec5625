using System.Text.Json;

namespace PvGen.Comparison.Tests;

/// <summary>Every number pvgen diff reports, recounted from the kept objects with readelf and objdump.</summary>
public sealed class DiffOracleTests(DiffFixture fixture) : IClassFixture<DiffFixture>
{
    private static readonly string[] Files = ["tail", "reuse"];

    private string Object(string build, string style, string file) => Path.Combine(fixture.KeepBuild, build, style, file + ".o");

    private static IEnumerable<DumpedInstruction> TableReferences(IEnumerable<DumpedInstruction> instructions) =>
        instructions.Where(i => i.RelocTarget is { } t && (t == "pv_ops" || t.StartsWith("pv_ops+", StringComparison.Ordinal) || t.StartsWith("pv_ops-", StringComparison.Ordinal)));

    private static Dictionary<int, int> Histogram(IEnumerable<int> lengths) => lengths.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());

    private static Dictionary<int, int> Lengths(JsonElement counts) =>
        counts.GetProperty("lengths").EnumerateObject().ToDictionary(p => int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture), p => p.Value.GetInt32());

    [Fact]
    public void Schema_and_matrix()
    {
        Assert.Equal("pvgen.diff/1", fixture.Report.GetProperty("schema").GetString());
        Assert.Equal(["gcc-x86_64-O2-nopic", "gcc-x86_64-O2-pic"], fixture.Report.GetProperty("builds").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToArray());
    }

    [Fact]
    public void Macro_sites_and_lengths_equal_the_parainstructions_records()
    {
        var build = fixture.Build("gcc-x86_64-O2-nopic");
        int records = Files.Sum(f => Binutils.Relocations(Object("gcc-x86_64-O2-nopic", "macro", f)).GetValueOrDefault(".rela.parainstructions")?.Count ?? 0);
        var lengths = Histogram(Files.SelectMany(f => Binutils.ParaInstructionLengths(Object("gcc-x86_64-O2-nopic", "macro", f))));
        Assert.True(records > 0);
        Assert.Equal(records, build.GetProperty("macro").GetProperty("sites").GetInt32());
        Assert.Equal(lengths, Lengths(build.GetProperty("macro")));
        Assert.Equal(records, build.GetProperty("sites").EnumerateArray().Count(s => s.GetProperty("approach").GetString() == "macro"));
    }

    [Theory]
    [InlineData("gcc-x86_64-O2-nopic")]
    [InlineData("gcc-x86_64-O2-pic")]
    public void Reloc_references_kinds_and_lengths_equal_objdump(string id)
    {
        var build = fixture.Build(id);
        var refs = Files.SelectMany(f => TableReferences(Binutils.Disassemble(Object(id, "plain", f)))).ToList();
        var reloc = build.GetProperty("reloc");
        Assert.True(refs.Count > 0);
        Assert.Equal(refs.Count, reloc.GetProperty("references").GetInt32());
        Assert.Equal(refs.Count(r => Binutils.Kind(r) == "call"), reloc.GetProperty("calls").GetInt32());
        Assert.Equal(refs.Count(r => Binutils.Kind(r) == "jmp"), reloc.GetProperty("jumps").GetInt32());
        Assert.Equal(refs.Count(r => Binutils.Kind(r) == "load"), reloc.GetProperty("loads").GetInt32());
        Assert.Equal(refs.Count(r => Binutils.Kind(r) == "address"), reloc.GetProperty("addresses").GetInt32());
        Assert.Equal(refs.Count(r => r.RelocType!.Contains("GOT", StringComparison.Ordinal)), reloc.GetProperty("via_got").GetInt32());
        Assert.Equal(Histogram(refs.Where(r => Binutils.Kind(r) is "call" or "jmp").Select(r => r.Length)), Lengths(reloc));

        // Every reference, one by one: function, address, length, kind and relocation type.
        var reported = build.GetProperty("sites").EnumerateArray().Where(s => s.GetProperty("approach").GetString() == "reloc")
            .Select(s => (s.GetProperty("function").GetString(), s.GetProperty("offset").GetInt64(), s.GetProperty("length").GetInt32(), s.GetProperty("kind").GetString(), s.GetProperty("reloc_type").GetString()))
            .Order().ToList();
        var counted = refs.Select(r => ((string?)r.Function, r.Address, r.Length, (string?)Binutils.Kind(r), (string?)r.RelocType)).Order().ToList();
        Assert.Equal(counted, reported);

        var types = refs.GroupBy(r => r.RelocType!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(types, build.GetProperty("reloc_types").EnumerateArray().ToDictionary(t => t.GetProperty("type").GetString()!, t => t.GetProperty("count").GetInt32()));
    }

    [Fact]
    public void Code_sizes_and_register_saves_equal_readelf_and_objdump()
    {
        const string id = "gcc-x86_64-O2-nopic";
        var build = fixture.Build(id);
        long macroTotal = 0, plainTotal = 0;
        int macroSaves = 0, plainSaves = 0;
        var functions = build.GetProperty("functions").EnumerateArray().ToList();
        foreach (string file in Files)
        {
            var macroSizes = Binutils.FunctionSizes(Object(id, "macro", file));
            var plainSizes = Binutils.FunctionSizes(Object(id, "plain", file));
            var macroCode = Binutils.Disassemble(Object(id, "macro", file));
            var plainCode = Binutils.Disassemble(Object(id, "plain", file));
            foreach (string name in macroSizes.Keys.Union(plainSizes.Keys))
            {
                var f = functions.Single(x => x.GetProperty("file").GetString() == file + ".c" && x.GetProperty("function").GetString() == name);
                Assert.Equal(macroSizes.GetValueOrDefault(name), f.GetProperty("macro_size").GetInt64());
                Assert.Equal(plainSizes.GetValueOrDefault(name), f.GetProperty("plain_size").GetInt64());
                int ms = macroCode.Count(i => i.Function == name && Binutils.IsSave(i));
                int ps = plainCode.Count(i => i.Function == name && Binutils.IsSave(i));
                Assert.True(ms == f.GetProperty("macro_save_instructions").GetInt32(), $"{name}: macro saves");
                Assert.True(ps == f.GetProperty("plain_save_instructions").GetInt32(), $"{name}: plain saves");
                macroTotal += macroSizes.GetValueOrDefault(name);
                plainTotal += plainSizes.GetValueOrDefault(name);
                macroSaves += ms;
                plainSaves += ps;
            }
        }

        var env = build.GetProperty("register_environment");
        Assert.Equal(macroTotal, env.GetProperty("macro_bytes").GetInt64());
        Assert.Equal(plainTotal, env.GetProperty("plain_bytes").GetInt64());
        Assert.Equal(plainTotal - macroTotal, env.GetProperty("net_bytes").GetInt64());
        Assert.Equal(macroSaves, env.GetProperty("macro_save_instructions").GetInt32());
        Assert.Equal(plainSaves, env.GetProperty("plain_save_instructions").GetInt32());
        Assert.Equal(functions.Count, functions.Select(f => (f.GetProperty("file").GetString(), f.GetProperty("function").GetString())).Distinct().Count());
    }

    [Fact]
    public void Tail_call_at_O2_is_a_lost_site_with_its_function_and_address()
    {
        const string id = "gcc-x86_64-O2-nopic";
        var jmp = TableReferences(Binutils.Disassemble(Object(id, "plain", "tail"))).Single(i => i.Function == "tail_disable");
        Assert.Equal("jmp", Binutils.Kind(jmp));
        var lost = fixture.Build(id).GetProperty("lost").EnumerateArray()
            .Single(s => s.GetProperty("function").GetString() == "tail_disable");
        Assert.Equal("tail-jump", lost.GetProperty("reason").GetString());
        Assert.Equal(jmp.Address, lost.GetProperty("offset").GetInt64());
        Assert.Equal(jmp.Address - jmp.FunctionStart, lost.GetProperty("function_offset").GetInt64());
        Assert.Equal("irq.irq_disable", lost.GetProperty("op").GetString());

        // The macro style keeps the call (annotated) in the same function: the reloc approach cannot patch it as a call.
        Assert.Contains(fixture.Build(id).GetProperty("sites").EnumerateArray(),
            s => s.GetProperty("approach").GetString() == "macro" && s.GetProperty("function").GetString() == "tail_disable");
    }

    [Fact]
    public void Pointer_loaded_once_and_reused_is_a_lost_site()
    {
        const string id = "gcc-x86_64-O2-nopic";
        var load = TableReferences(Binutils.Disassemble(Object(id, "plain", "reuse"))).Single(i => i.Function == "kick_many");
        Assert.Equal("load", Binutils.Kind(load));
        var lost = fixture.Build(id).GetProperty("lost").EnumerateArray().Single(s => s.GetProperty("function").GetString() == "kick_many");
        Assert.Equal(load.Address, lost.GetProperty("offset").GetInt64());
        // The pointer is loaded once before the loop; the loop calls through the register.
        Assert.Equal("load", lost.GetProperty("reason").GetString());
        Assert.Equal(1, lost.GetProperty("feeds").GetInt32());
        var call = Binutils.Disassemble(Object(id, "plain", "reuse")).Single(i => i.Function == "kick_many" && i.Mnemonic == "call");
        Assert.StartsWith("*%", call.Operands, StringComparison.Ordinal);
    }

    [Fact]
    public void Got_loads_under_fpic_are_lost_sites_with_functions_and_addresses()
    {
        const string id = "gcc-x86_64-O2-pic";
        var got = Files.SelectMany(f => TableReferences(Binutils.Disassemble(Object(id, "plain", f)))).Where(r => r.RelocType!.Contains("GOT", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(got);
        var lost = fixture.Build(id).GetProperty("lost").EnumerateArray().Where(s => s.GetProperty("reason").GetString() == "got")
            .Select(s => (s.GetProperty("function").GetString(), s.GetProperty("offset").GetInt64())).Order().ToList();
        Assert.Equal(got.Select(g => ((string?)g.Function, g.Address)).Order().ToList(), lost);
        Assert.Equal(0, fixture.Build(id).GetProperty("reloc").GetProperty("sites").GetInt32());
    }

    [Fact]
    public void Macro_style_under_fpic_is_reported_not_hidden()
    {
        // gcc rejects the macro wrappers' "i" constraint on an extern address under -fpic: the report says so,
        // and the plain style of the same build is still measured.
        var build = fixture.Build("gcc-x86_64-O2-pic");
        bool built = File.Exists(Object("gcc-x86_64-O2-pic", "macro", "tail"));
        Assert.Equal(built, build.GetProperty("macro_error").ValueKind == JsonValueKind.Null);
        Assert.Equal(JsonValueKind.Null, build.GetProperty("plain_error").ValueKind);
    }

    [Fact]
    public void Link_keeps_the_references_only_with_emit_relocs()
    {
        const string id = "gcc-x86_64-O2-nopic";
        var link = fixture.Build(id).GetProperty("link");
        string dir = Path.Combine(fixture.KeepBuild, id, "link");
        int with = Binutils.Relocations(Path.Combine(dir, "with-emit-relocs")).Where(s => s.Key is ".rela.text")
            .Sum(s => s.Value.Count(r => r.Target.StartsWith("pv_ops", StringComparison.Ordinal)));
        int without = Binutils.Relocations(Path.Combine(dir, "without-emit-relocs")).Sum(s => s.Value.Count);
        Assert.Equal(with, link.GetProperty("with_emit_relocs").GetInt32());
        Assert.Equal(without, link.GetProperty("without_emit_relocs").GetInt32());
        Assert.Equal(0, without);
        Assert.Equal(fixture.Build(id).GetProperty("reloc").GetProperty("references").GetInt32(), link.GetProperty("object_references").GetInt32());
        Assert.Equal(link.GetProperty("object_references").GetInt32(), with);
    }

    /// <summary>
    /// Measurement 7 agrees with the static ones: run patched, the macro style patches every record the diff counted and
    /// the plain style every in-place call, while exactly the sites the diff lists as lost stay indirect (tail jumps
    /// in .parainstructions, the reused load); under -fpic the macro style does not build and the plain style's GOT loads
    /// stay indirect. Both styles behave the same patched.
    /// </summary>
    [Fact]
    public void Patched_behaviour_agrees_with_the_static_measurements()
    {
        var build = fixture.Build("gcc-x86_64-O2-nopic");
        var behaviour = build.GetProperty("behaviour");
        Assert.Equal("para16", behaviour.GetProperty("format").GetString());
        var macro = behaviour.GetProperty("macro");
        var plain = behaviour.GetProperty("plain");
        Assert.Equal("proved", macro.GetProperty("verdict").GetString());
        Assert.Equal("proved", plain.GetProperty("verdict").GetString());
        Assert.Equal(build.GetProperty("macro").GetProperty("sites").GetInt32(), macro.GetProperty("patched").GetInt32());
        Assert.Equal(build.GetProperty("reloc").GetProperty("calls").GetInt32(), plain.GetProperty("patched").GetInt32());
        Assert.Equal(build.GetProperty("lost").GetArrayLength(), plain.GetProperty("left_indirect_total").GetInt32());
        var lostReasons = build.GetProperty("lost").EnumerateArray().GroupBy(l => l.GetProperty("reason").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        var indirect = plain.GetProperty("left_indirect").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(lostReasons.OrderBy(r => r.Key), indirect.OrderBy(r => r.Key));
        Assert.True(macro.GetProperty("sites_executed").GetInt32() > 0);

        var pic = fixture.Build("gcc-x86_64-O2-pic").GetProperty("behaviour");
        Assert.Equal("build-failed", pic.GetProperty("macro").GetProperty("verdict").GetString());
        Assert.Equal("proved", pic.GetProperty("plain").GetProperty("verdict").GetString());
        Assert.Equal(0, pic.GetProperty("plain").GetProperty("patched").GetInt32());
        Assert.True(pic.GetProperty("plain").GetProperty("left_indirect").GetProperty("got").GetInt32() > 0);
        Assert.Equal(2, fixture.Report.GetProperty("totals").GetProperty("behaviour_builds").GetInt32());
    }

    [Fact]
    public void Totals_add_up_the_builds()
    {
        var totals = fixture.Report.GetProperty("totals");
        var builds = fixture.Report.GetProperty("builds").EnumerateArray().ToList();
        var comparable = builds.Where(b => b.GetProperty("macro_error").ValueKind == JsonValueKind.Null && b.GetProperty("plain_error").ValueKind == JsonValueKind.Null).ToList();
        Assert.Equal(comparable.Count, totals.GetProperty("comparable_builds").GetInt32());
        Assert.Equal(comparable.Sum(b => b.GetProperty("macro").GetProperty("sites").GetInt32()), totals.GetProperty("macro_sites").GetInt32());
        Assert.Equal(comparable.Sum(b => b.GetProperty("reloc").GetProperty("sites").GetInt32()), totals.GetProperty("reloc_sites").GetInt32());
        Assert.Equal(builds.Sum(b => b.GetProperty("lost").GetArrayLength()), totals.GetProperty("lost").GetInt32());
    }
}
