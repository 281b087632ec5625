using PvGen.TestSupport;
using Xunit;

namespace PvGen.Generation.Tests;

/// <summary>Every example x target x style against tests/golden/generate/ (PVGEN_UPDATE_GOLDEN=1 refreshes).</summary>
public sealed class GoldenTests
{
    public static IEnumerable<object[]> Cases() => Examples.AllWithTargets();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_files_match_golden(string example, string target)
    {
        var output = Gen.Generate(example, target);
        foreach (var file in output.Files.Where(f => !f.Path.StartsWith(".pvgen/", StringComparison.Ordinal)))
        {
            Golden.Match($"generate/{example}/{target}/{file.Path}", file.Content);
        }
    }

    /// <summary>The VMI template set's output for the toy (x86-64) and the 2.6.22 example (i386): tests/golden/generate-vmi/.</summary>
    [Theory]
    [InlineData("toy", "x86_64")]
    [InlineData("linux-2.6.22-i386", "i386")]
    public void Vmi_template_set_output_matches_golden(string example, string target)
    {
        var settings = Examples.Settings(example, PvGen.Project.Options.Verbs.Generate, target, ("template-set", ["vmi"]));
        var diagnostics = new List<PvGen.Model.Diagnostic>();
        var output = Generator.Generate(PvGen.Project.Workflows.GenerateWorkflow.Request(settings, Repo.Example(example), diagnostics));

        Assert.Contains(output.Files, f => f.Path.EndsWith("_vmi.h", StringComparison.Ordinal));
        Assert.DoesNotContain(output.Files, f => f.Path.EndsWith("_macro.h", StringComparison.Ordinal));
        foreach (var file in output.Files.Where(f => !f.Path.StartsWith(".pvgen/", StringComparison.Ordinal)))
        {
            Golden.Match($"generate-vmi/{example}/{target}/{file.Path}", file.Content);
        }
    }

    [Fact]
    public void Template_model_of_the_toy_matches_golden()
    {
        var plan = TemplateModelBuilder.Build(Gen.Request("toy", "x86_64"), []);
        Golden.Match("generate/toy/x86_64/template-model.json", plan.Root.ToJson());
    }

    /// <summary>
    /// Two `pvgen generate` processes, from different working directories into output trees at different absolute
    /// paths, write the same bytes: no absolute path, time or process state leaks into generated files.
    /// </summary>
    [Fact]
    public void Generation_is_the_same_from_any_directory_and_process()
    {
        string first = Repo.TempDir("determinism-a"), second = Path.Combine(Repo.TempDir("determinism-b"), "deeper", "still");
        foreach (var (root, cwd) in new[] { (first, Repo.Root), (second, Path.GetTempPath()) })
        {
            string example = Path.Combine(root, "example");
            Directory.CreateDirectory(example);
            foreach (string file in Directory.GetFiles(Repo.Example("linux-5.10-x86_64")))
            {
                File.Copy(file, Path.Combine(example, Path.GetFileName(file)));
            }

            var run = Tool.Pvgen(["generate", "--config", Path.Combine(example, "pvgen.json"), "-o", Path.Combine(example, "out")], cwd);
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        var a = Directory.GetFiles(Path.Combine(first, "example", "out"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var b = Directory.GetFiles(Path.Combine(second, "example", "out"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(5, a.Count);
        Assert.Equal(a.Select(f => Path.GetRelativePath(first, f)), b.Select(f => Path.GetRelativePath(second, f)));
        for (int i = 0; i < a.Count; i++)
        {
            Assert.True(File.ReadAllBytes(a[i]).SequenceEqual(File.ReadAllBytes(b[i])), $"{Path.GetRelativePath(first, a[i])} differs between the two runs");
        }
    }
}
