using PvGen.TestSupport;
using Xunit;

namespace PvGen.SourceGenerator.Tests;

/// <summary>The generator over every example model and target: golden output that compiles with no warnings.</summary>
public sealed class GoldenTests
{
    public static IEnumerable<object[]> Cases() => Examples.AllWithTargets();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Example_model_generates_the_golden_bindings_and_they_compile_cleanly(string example, string target)
    {
        string path = $"/models/{example}.pvgen.json";
        var result = GeneratorHarness.Run(new ModelFileItem(path, Models.Json(example, target), Namespace: "PvGen.Examples"));

        Assert.Null(result.Exception);
        Assert.Empty(result.Diagnostics);
        var source = Assert.Single(result.GeneratedSources);
        string text = source.SourceText.ToString();
        Golden.Match($"csharp/{example}.{target}.g.cs", text);

        var compilation = GeneratorHarness.Compilation(text);
        Assert.Empty(GeneratorHarness.Problems(compilation));
    }
}
