using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PvGen.Model;
using PvGen.TestSupport;
using PvGen.X86;
using PvGen.X86.Records;
using Xunit;

namespace PvGen.Generation.Tests;

/// <summary>
/// generate's alt14 format: macro wrappers recorded the way 6.8+ kernels record pv call sites (an ALT_FLAG_DIRECT_CALL
/// .altinstructions entry whose replacement is "call BUG_func", then the op's native bytes under ALT_NOT_XEN). Goldens;
/// compiled objects read back through objdump and readelf; the format's precedence (command line, pvgen.json, kernel tree).
/// </summary>
public sealed partial class DirectCallGenerationTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "toy", "x86_64" },
        { "toy", "i386" },
        { "linux-5.10-x86_64", "x86_64" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MacroHeaderAndManifestMatchTheirGoldens(string example, string target)
    {
        var output = Generator.Generate(Alt14Request(example, target));

        foreach (var file in output.Files.Where(f => f.Path.EndsWith("_macro.h", StringComparison.Ordinal) || f.Path.EndsWith(".manifest.json", StringComparison.Ordinal)))
        {
            Golden.Match($"generate-alt14/{example}/{target}/{file.Path}", file.Content);
        }
    }

    /// <summary>
    /// Every asm wrapper's site, as binutils see the object: one DIRECT_CALL entry (ft_flags 0x00020075, instrlen 6) at an
    /// <c>ff 15</c> call through its own op's slot inside that wrapper's exerciser function, whose replacement is a 5-byte
    /// call relocated against BUG_func; and for an op with native bytes, a second entry under ALT_NOT_XEN holding them.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void EachWrapperHasOneDirectCallEntryThroughItsOwnSlot(string example, string target)
    {
        foreach (string compiler in Tool.Compilers())
        {
            var request = Alt14Request(example, target);
            var output = Generator.Generate(request);
            string dir = Gen.WriteTo(output, Repo.TempDir($"alt14-{example}-{target}"));
            string obj = Path.Combine(dir, "exercise.o");
            var run = CCompile.Object(compiler, target, Path.Combine(dir, $"{output.Plan.BaseName}_exercise.c"), obj,
                ["-DPVGEN_STYLE_MACRO", "-I", Repo.Example(example), .. Examples.CompileFlags(example, target)]);
            Assert.True(run.ExitCode == 0, $"{compiler}: {run}");

            using var manifest = JsonDocument.Parse(Gen.File(output, ".manifest.json"));
            var asm = manifest.RootElement.GetProperty("ops").EnumerateArray().Where(o => o.GetProperty("macro_style").GetString() == "asm")
                .ToDictionary(o => "pvgen_exercise_" + o.GetProperty("wrapper").GetString(), o => (Slot: o.GetProperty("slot").GetInt32(), Native: o.GetProperty("native").GetString()));
            var calls = TableCalls(obj, request.Model.TableSymbol!).Where(c => asm.ContainsKey(c.Function)).ToList();
            var entries = AltOracle.Entries([obj]);
            byte[] replacements = AltOracle.SectionBytes(obj, ".altinstr_replacement");
            var replacementCalls = ReplacementRelocations(obj);
            int pointer = target == "x86_64" ? 8 : 4;

            var direct = entries.Where(e => e.DirectCall).ToList();
            Assert.Equal(asm.Count, direct.Count);
            Assert.Equal(asm.Count, calls.Count);
            foreach (var entry in direct)
            {
                var call = calls.Single(c => c.Offset == entry.SiteOffset);
                Assert.Equal((0x00020075u, 6, 5, "ff15"), (entry.FtFlags, entry.InstrLength, entry.ReplacementLength, call.Opcode));
                var (slot, native) = asm[call.Function];
                Assert.Equal((long)slot * pointer, call.TableOffset);
                Assert.Equal(0xe8, replacements[entry.ReplacementOffset]);
                Assert.Equal("BUG_func", replacementCalls[entry.ReplacementOffset + 1]);

                var natives = entries.Where(e => !e.DirectCall && e.SiteOffset == entry.SiteOffset).ToList();
                Assert.Equal(native is null ? 0 : 1, natives.Count);
                if (native is not null)
                {
                    var n = natives[0];
                    Assert.Equal((0x00010110u, 6), (n.FtFlags, n.InstrLength));
                    Assert.True(entries.IndexOf(n) > entries.IndexOf(entry), "the DIRECT_CALL entry comes first");
                    Assert.Equal(native.Replace(" ", string.Empty, StringComparison.Ordinal), Convert.ToHexStringLower(replacements.AsSpan((int)n.ReplacementOffset, n.ReplacementLength)));
                }
            }

            Assert.Equal(-1, CCompile.SectionSize(obj, ".parainstructions"));
        }
    }

    /// <summary>Through the resolver, as a user gives it: --record-format, then generate.record_format (or the old record_layout), then the tree.</summary>
    [Fact]
    public void TheCommandLineBeatsPvgenJsonWhichBeatsTheKernelTree()
    {
        var tree = new KernelTreeFacts(RecordFormats.Alt14, null, "asm/alternative.h defines ALT_FLAG_DIRECT_CALL");
        static GenerationRequest Resolved(string generateSection, params (string, string[])[] cli)
        {
            string dir = Repo.TempDir("format-source");
            foreach (string file in Directory.GetFiles(Repo.Example("toy")))
            {
                File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
            }

            File.WriteAllText(Path.Combine(dir, "pvgen.json"), $$"""{ "header": "toy_ops.h", "struct": "toy_ops", "generate": { {{generateSection}} } }""");
            var settings = PvGen.Project.Settings.For(PvGen.Project.Options.Verbs.Generate, PvGen.Project.OptionValues.Of(cli), dir);
            return PvGen.Project.Workflows.GenerateWorkflow.Request(settings, Path.Combine(dir, "out"), []);
        }

        Assert.Equal(("alt14", "the kernel tree: asm/alternative.h defines ALT_FLAG_DIRECT_CALL"), Format(Resolved("") with { TreeFacts = tree }));
        Assert.Equal(("para6", "pvgen.json"), Format(Resolved("\"record_format\": \"para6\"") with { TreeFacts = tree }));
        Assert.Equal(("para16", "the command line"), Format(Resolved("\"record_format\": \"para6\"", ("record-format", ["para16"])) with { TreeFacts = tree }));
        Assert.Equal(("para6", "pvgen.json"), Format(Resolved("\"record_layout\": \"packed\"")));
        Assert.Equal(("para16", "the default for x86_64"), Format(Resolved("")));
    }

    [Fact]
    public void TheDirectCallSymbolAndTheNativeConditionAreConfigurable()
    {
        var request = Alt14Request("toy", "x86_64") with
        {
            Settings = new GenerateSettings { RecordFormat = "alt14", DirectCallSymbol = "my_bug", NativeCondition = "ALT_NOT(X86_FEATURE_VCPUPREEMPT)" },
        };

        string header = Gen.File(Generator.Generate(request), "_macro.h");

        Assert.Contains("\"call my_bug\"", header, StringComparison.Ordinal);
        Assert.Contains($"_PV_ALT_ENTRY(0x{Alternatives.FtFlags(Alternatives.FeatureVcpuPreempt, AltFlags.Not):x}, bytes)", header, StringComparison.Ordinal);
    }

    [Fact]
    public void AJumpOpBecomesAPlainCallWithAWarning()
    {
        var output = Generator.Generate(Alt14Request("linux-5.10-x86_64", "x86_64"));

        var iret = output.Plan.Ops.Single(o => o.Op.Path == "cpu.iret");
        Assert.False(iret.Binding.IsAsm);
        Assert.Contains(output.Diagnostics, d => d.Id == DiagnosticIds.MacroPlainFallback && d.Message.Contains("cpu.iret", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("alt12", "x86_64", DiagnosticIds.BadGenerateConfig)]
    [InlineData("para16", "i386", DiagnosticIds.BadGenerateConfig)]
    public void AFormatThatCannotCarryTheSitesIsRefused(string format, string target, string id)
    {
        var request = Gen.Request("toy", target) with { Settings = new GenerateSettings { RecordFormat = format } };

        var e = Assert.Throws<PvGenException>(() => Generator.Generate(request));

        Assert.Equal(id, e.Diagnostic.Id);
    }

    [Fact]
    public void ANativeLongerThanTheSixByteSiteIsRefused()
    {
        var config = new PvGen.Model.Config.OpsConfig(null, new Dictionary<string, PvGen.Model.Config.OpConfig> { ["irq.save_fl"] = new() { Native = PvGen.Model.Config.PerTarget<string>.Every("0f 1f 80 00 00 00 00") } });
        var request = Alt14Request("toy", "x86_64") with { Config = config };

        var e = Assert.Throws<PvGenException>(() => Generator.Generate(request));

        Assert.Equal(DiagnosticIds.BadNativeBytes, e.Diagnostic.Id);
        Assert.Contains("must fit in 6", e.Diagnostic.Message, StringComparison.Ordinal);
    }

    /// <summary>`pvgen check` on alt14 output of the examples, from a relative output directory, as a user runs it.</summary>
    [Theory]
    [InlineData("toy")]
    [InlineData("linux-5.10-x86_64")]
    public void PvgenCheckVerifiesTheAlt14Output(string example)
    {
        string dir = Repo.TempDir($"alt14-check-{example}");
        var generated = Tool.Pvgen(["generate", "--config", Path.Combine(Repo.Example(example), "pvgen.json"), "--record-format", "alt14", "-o", "out"], dir);
        Assert.True(generated.ExitCode == 0, generated.ToString());
        Assert.Contains("records   alt14 in .altinstructions", generated.Stdout, StringComparison.Ordinal);

        var check = Tool.Pvgen(["check", "out", "--opt", "O2", "--format", "json"], dir);

        Assert.True(check.ExitCode == 0, check.ToString());
        using var report = JsonDocument.Parse(check.Stdout);
        var macro = report.RootElement.GetProperty("builds").EnumerateArray().Where(b => b.GetProperty("style").GetString() == "macro").ToList();
        Assert.NotEmpty(macro);
        Assert.All(macro, b => Assert.Equal("alt14", b.GetProperty("record_format").GetString()));
        var checks = report.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!);
        Assert.True(checks[DiagnosticIds.WrongSlot].GetProperty("verified").GetInt32() > 0, "each wrapper's slot was verified through its exerciser function");
        Assert.True(checks[DiagnosticIds.DirectCallNotFf15].GetProperty("applicable").GetBoolean());
    }

    private static (string, string) Format(GenerationRequest request)
    {
        var plan = TemplateModelBuilder.Build(request, []);
        return (plan.Format.Name, plan.FormatSource);
    }

    private static GenerationRequest Alt14Request(string example, string target) =>
        Gen.Request(example, target) with { Settings = new GenerateSettings { RecordFormat = "alt14" } };

    private sealed record TableCall(string Function, long Offset, string Opcode, long TableOffset);

    /// <summary>Calls through the table in objdump -dr: the function they lie in, their offset, opcode and the slot's table offset.</summary>
    private static List<TableCall> TableCalls(string obj, string symbol)
    {
        var run = Tool.Run("objdump", ["-dr", "-w", obj]);
        Assert.Equal(0, run.ExitCode);
        var calls = new List<TableCall>();
        string function = string.Empty;
        foreach (string line in run.Stdout.Split('\n'))
        {
            if (FunctionLine().Match(line) is { Success: true } f)
            {
                function = f.Groups[1].Value;
                continue;
            }

            var m = CallLine().Match(line);
            if (m.Success && m.Groups["symbol"].Value == symbol)
            {
                long at = long.Parse(m.Groups["at"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                string bytes = m.Groups["bytes"].Value.Replace(" ", string.Empty, StringComparison.Ordinal);
                long addend = m.Groups["addend"].Success ? long.Parse(m.Groups["addend"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) : 0;
                addend = m.Groups["sign"].Value == "-" ? -addend : addend;
                bool pcRelative = m.Groups["type"].Value.Contains("PC32", StringComparison.Ordinal);

                // REL (i386): objdump prints no addend; it is the displacement in the instruction.
                long field = pcRelative ? addend + 4 : m.Groups["addend"].Success ? addend : BitConverter.ToInt32(Convert.FromHexString(bytes[4..12]));
                calls.Add(new TableCall(function, at, bytes[..4], field));
            }
        }

        return calls;
    }

    /// <summary>Symbols of the relocations in .altinstr_replacement, by offset (readelf -rW).</summary>
    private static Dictionary<long, string> ReplacementRelocations(string obj)
    {
        var run = Tool.Run("readelf", ["-rW", obj]);
        var found = new Dictionary<long, string>();
        bool inside = false;
        foreach (string line in run.Stdout.Split('\n'))
        {
            if (line.StartsWith("Relocation section", StringComparison.Ordinal))
            {
                inside = line.Contains("altinstr_replacement'", StringComparison.Ordinal);
                continue;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (inside && parts.Length >= 5 && long.TryParse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long offset))
            {
                found[offset] = parts[4];
            }
        }

        return found;
    }

    [GeneratedRegex(@"^[0-9a-f]+ <([^>]+)>:$")]
    private static partial Regex FunctionLine();

    [GeneratedRegex(@"^\s*(?<at>[0-9a-f]+):\t(?<bytes>ff (?:15|14 25)(?: [0-9a-f]{2}){4})\s*\t[^\t]*\t[0-9a-f]+: (?<type>R_\S+)\t(?<symbol>[A-Za-z_][A-Za-z0-9_]*)(?:(?<sign>[+-])0x(?<addend>[0-9a-f]+))?")]
    private static partial Regex CallLine();
}
