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

    [Fact]
    public void Template_model_of_the_toy_matches_golden()
    {
        var plan = TemplateModelBuilder.Build(Gen.Request("toy", "x86_64"), []);
        Golden.Match("generate/toy/x86_64/template-model.json", plan.Root.ToJson());
    }

    [Fact]
    public void Generation_is_deterministic()
    {
        var first = Gen.Generate("linux-5.10-x86_64", "x86_64");
        var second = Gen.Generate("linux-5.10-x86_64", "x86_64");
        Assert.Equal(first.Files.Select(f => f.Content), second.Files.Select(f => f.Content));
    }
}
