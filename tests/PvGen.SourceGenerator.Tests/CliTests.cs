using PvGen.TestSupport;
using Xunit;

namespace PvGen.SourceGenerator.Tests;

/// <summary>`pvgen generate --style csharp` and the Roslyn generator share one emitter: same model, same options, same bytes.</summary>
public sealed class CliTests
{
    [Fact]
    public void Generate_style_csharp_is_byte_identical_to_the_generator_from_header_and_from_model()
    {
        string dir = Repo.TempDir("csharp-cli");
        string config = WriteConfig(dir, """{ "namespace": "Demo.Bindings", "type_name": "Toy" }""");
        string model = Path.Combine(dir, "toy.pvgen.json");

        // Run where a user would, from the repository root, so the model's paths are the same both ways.
        var parse = Tool.Pvgen(["parse", "--config", config, "--format", "json", "-o", model], Repo.Root);
        Assert.True(parse.ExitCode == 0, parse.ToString());
        var fromHeader = Tool.Pvgen(["generate", "--config", config, "--style", "csharp", "-o", Path.Combine(dir, "from-header")], Repo.Root);
        Assert.True(fromHeader.ExitCode == 0, fromHeader.ToString());
        var fromModel = Tool.Pvgen(["generate", model, "--config", config, "--style", "csharp", "-o", Path.Combine(dir, "from-model")], Repo.Root);
        Assert.True(fromModel.ExitCode == 0, fromModel.ToString());

        var result = GeneratorHarness.Run(new ModelFileItem(model, File.ReadAllText(model), Namespace: "Demo.Bindings", TypeName: "Toy"));
        var generated = Assert.Single(result.GeneratedSources);
        Assert.Equal("Demo.Bindings.Toy.g.cs", generated.HintName);
        byte[] expected = System.Text.Encoding.UTF8.GetBytes(generated.SourceText.ToString());

        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(dir, "from-header", "Demo.Bindings.Toy.g.cs")));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(dir, "from-model", "Demo.Bindings.Toy.g.cs")));
    }

    [Fact]
    public void Generate_style_csharp_rejects_a_bad_csharp_section_with_exit_2_and_writes_nothing()
    {
        string dir = Repo.TempDir("csharp-cli-bad");
        string config = WriteConfig(dir, """{ "namespace": "Demo", "typename": "Toy" }""");
        string output = Path.Combine(dir, "out");

        var run = Tool.Pvgen(["generate", "--config", config, "--style", "csharp", "-o", output], Repo.Root);

        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"pvgen\.json:\d+:\d+: error: unknown key 'csharp\.typename' \(did you mean 'type_name'\?\) \[PVG0002\]", run.Stderr);
        Assert.False(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any(), "no partial output");
    }

    [Fact]
    public void Generate_style_csharp_rejects_an_invalid_type_name()
    {
        string dir = Repo.TempDir("csharp-cli-name");
        string config = WriteConfig(dir, """{ "type_name": "toy ops" }""");

        var run = Tool.Pvgen(["generate", "--config", config, "--style", "csharp", "-o", Path.Combine(dir, "out")], Repo.Root);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("type name 'toy ops' is not a valid C# identifier", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("[PVG0605]", run.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The toy example's pvgen.json with a "csharp" section, in a scratch directory.</summary>
    private static string WriteConfig(string dir, string csharpSection)
    {
        string header = Repo.Example("toy", "toy_ops.h").Replace("\\", "/", StringComparison.Ordinal);
        string path = Path.Combine(dir, "pvgen.json");
        File.WriteAllText(path, $$"""
            {
              "header": "{{header}}",
              "struct": "toy_ops",
              "symbol": "toy_ops",
              "target": "x86_64",
              "csharp": {{csharpSection}}
            }
            """);
        return path;
    }
}
