using System.Text.Json;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Generation.Tests;

/// <summary>
/// The generated headers and the exerciser compile with real gcc (and clang-19 when installed) for both targets under
/// -Wall -Wextra -Werror -Wstrict-prototypes; the macro-style object carries exactly one record per annotated wrapper.
/// </summary>
public sealed class CompileTests
{
    public static IEnumerable<object[]> Cases() =>
        from pair in Examples.AllWithTargets()
        from style in new[] { "macro", "plain" }
        from compiler in Tool.Compilers()
        select new object[] { pair[0], pair[1], style, compiler };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Exerciser_compiles_and_macro_style_annotates_every_site(string example, string target, string style, string compiler)
    {
        var output = Gen.Generate(example, target);
        string dir = Gen.WriteTo(output, Repo.TempDir($"compile-{example}-{target}-{style}"));
        string obj = Path.Combine(dir, "exercise.o");
        string exercise = Path.Combine(dir, $"{output.Plan.BaseName}_exercise.c");
        var run = CCompile.Object(compiler, target, exercise, obj,
            [$"-DPVGEN_STYLE_{style.ToUpperInvariant()}", "-I", Repo.Example(example), .. Examples.CompileFlags(example, target)]);
        Assert.True(run.ExitCode == 0, $"{Path.GetFileName(compiler)} {example} {target} {style}:\n{run}");

        using var manifest = JsonDocument.Parse(Gen.File(output, ".manifest.json"));
        var ops = manifest.RootElement.GetProperty("ops").EnumerateArray().ToList();
        int sites = ops.Count(o => o.GetProperty("macro_style").GetString() == "asm");
        int records = CCompile.RelocationCount(obj, ".parainstructions");
        if (style == "macro")
        {
            Assert.True(sites > 0);
            Assert.Equal(sites, records);
            int recordSize = manifest.RootElement.GetProperty("record").GetProperty("size").GetInt32();
            Assert.Equal(sites * recordSize, CCompile.SectionSize(obj, ".parainstructions"));
        }
        else
        {
            Assert.Equal(0, records);
            Assert.Equal(-1, CCompile.SectionSize(obj, ".parainstructions"));
        }
    }

    /// <summary>The exerciser's functions: one per wrapper, so objdump shows one site per function in macro style.</summary>
    [Theory]
    [InlineData("x86_64", "ff 15")]
    [InlineData("i386", "ff 15")]
    public void Macro_sites_are_the_indirect_call_through_the_table(string target, string opcode)
    {
        var output = Gen.Generate("toy", target);
        string dir = Gen.WriteTo(output, Repo.TempDir($"objdump-{target}"));
        string obj = Path.Combine(dir, "exercise.o");
        var run = CCompile.Object("gcc", target, Path.Combine(dir, "toy_ops_exercise.c"), obj, ["-DPVGEN_STYLE_MACRO", "-I", Repo.Example("toy")]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var dump = Tool.Run("objdump", ["-dr", "-w", obj]);
        int calls = dump.Stdout.Split('\n').Count(l => l.Contains($"\t{opcode} ", StringComparison.Ordinal) && l.Contains("call", StringComparison.Ordinal));
        Assert.Equal(8, calls);
        Assert.Equal(8, dump.Stdout.Split('\n').Count(l => l.Contains("toy_ops", StringComparison.Ordinal) && l.Contains("R_", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("macro")]
    [InlineData("plain")]
    public void A_wrongly_typed_argument_is_rejected_by_gcc(string style)
    {
        var output = Gen.Generate("toy", "x86_64");
        string dir = Gen.WriteTo(output, Repo.TempDir($"typed-{style}"));
        string caller = Path.Combine(dir, "caller.c");
        File.WriteAllText(caller, $$"""
            #include "toy_ops_{{style}}.h"
            void caller(pte_t *ptep);
            void caller(pte_t *ptep)
            {
            	pv_mmu_set_pte(ptep, 42UL); /* a pte_t is required, not an integer */
            }
            """);
        var run = CCompile.Object("gcc", "x86_64", caller, Path.Combine(dir, "caller.o"), ["-I", Repo.Example("toy")]);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("incompatible type for argument 2 of", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("pv_mmu_set_pte", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stale_header_fails_its_layout_guard()
    {
        var output = Gen.Generate("toy", "x86_64");
        string dir = Gen.WriteTo(output, Repo.TempDir("stale-layout"));
        string header = File.ReadAllText(Repo.Example("toy", "toy_ops.h"));
        File.WriteAllText(Path.Combine(dir, "toy_ops.h"), header.Replace("\tvoid (*irq_enable)(void);\n", "\tvoid (*irq_enable)(void);\n\tvoid (*halt)(void);\n", StringComparison.Ordinal));
        var run = CCompile.Object("gcc", "x86_64", Path.Combine(dir, "toy_ops_exercise.c"), Path.Combine(dir, "e.o"), ["-I", dir]);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("mmu.write_cr3 moved: regenerate with pvgen generate", run.Stderr, StringComparison.Ordinal);
    }
}
