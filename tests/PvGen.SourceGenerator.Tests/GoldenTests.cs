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

/// <summary>Item metadata that change the output.</summary>
public sealed class OptionTests
{
    [Fact]
    public void Opaque_pointers_void_replaces_the_typed_opaque_structs()
    {
        string json = Models.Json("linux-5.10-x86_64", "x86_64");
        string typed = GeneratorHarness.Run(new ModelFileItem("/m/pv.pvgen.json", json)).GeneratedSources.Single().SourceText.ToString();
        var result = GeneratorHarness.Run(new ModelFileItem("/m/pv.pvgen.json", json, OpaquePointers: "void"));
        string plain = result.GeneratedSources.Single().SourceText.ToString();

        Assert.Contains("public partial struct MmStruct", typed, StringComparison.Ordinal);
        Assert.Contains("delegate* unmanaged<MmStruct*, void> exit_mmap;", typed, StringComparison.Ordinal);
        Assert.DoesNotContain("MmStruct", plain, StringComparison.Ordinal);
        Assert.Contains("delegate* unmanaged<void*, void> exit_mmap;", plain, StringComparison.Ordinal);
        Assert.Contains("Pte", plain, StringComparison.Ordinal); // by-value structs stay typed
        Assert.Empty(result.Diagnostics);
        Assert.Empty(GeneratorHarness.Problems(GeneratorHarness.Compilation(plain)));
    }

    [Fact]
    public void Namespace_defaults_to_the_root_namespace_and_type_name_to_the_struct_in_pascal_case()
    {
        var result = GeneratorHarness.Run(new ModelFileItem("/m/toy.pvgen.json", Models.Json("toy", "x86_64"), Namespace: null));
        var source = result.GeneratedSources.Single();
        Assert.Equal("User.ToyOps.g.cs", source.HintName);
        Assert.Contains("namespace User\n", source.SourceText.ToString(), StringComparison.Ordinal);
    }
}
