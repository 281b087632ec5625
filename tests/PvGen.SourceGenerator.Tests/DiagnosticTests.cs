extern alias csgen;

using Microsoft.CodeAnalysis;
using Xunit;

namespace PvGen.SourceGenerator.Tests;

/// <summary>Bad models become PVG06xx diagnostics located in the JSON file; the generator never throws into the compiler.</summary>
public sealed class DiagnosticTests
{
    private const string Path = "/models/toy.pvgen.json";

    private static string Toy => Models.Json("toy", "x86_64");

    [Fact]
    public void Wrong_schema_id_is_an_error_at_the_schema_value_and_generates_nothing()
    {
        var result = GeneratorHarness.Run(new ModelFileItem(Path, Toy.Replace("\"pvgen.model/1\"", "\"pvgen.model/9\"")));

        Assert.Null(result.Exception);
        Assert.Empty(result.GeneratedSources);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("PVG0602", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains("pvgen.model/9", diagnostic.GetMessage(), StringComparison.Ordinal);
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal(Path, span.Path);
        Assert.Equal(1, span.StartLinePosition.Line); // line 2, where "schema" is
        Assert.Equal(12, span.StartLinePosition.Character);
    }

    [Fact]
    public void Unmappable_type_is_a_warning_at_the_op_and_the_slot_stays_void_pointer()
    {
        // irq.restore_fl's parameter becomes an x87 long double: no C# type has its 16 bytes.
        string json = ReplaceFirst(
            Toy,
            "\"spelling\": \"unsigned long\",\n            \"canonical\": \"unsigned long\",\n            \"kind\": \"unsigned_integer\",\n            \"size\": 8",
            "\"spelling\": \"long double\",\n            \"canonical\": \"long double\",\n            \"kind\": \"float\",\n            \"size\": 16");
        Assert.NotEqual(Toy, json);
        var result = GeneratorHarness.Run(new ModelFileItem(Path, json));

        Assert.Null(result.Exception);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("PVG0603", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Contains("irq.restore_fl", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Contains("long double", diagnostic.GetMessage(), StringComparison.Ordinal);
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal(Path, span.Path);
        string opLine = json.Split('\n')[span.StartLinePosition.Line];
        Assert.Equal('{', opLine[span.StartLinePosition.Character]);
        Assert.Contains("\"path\": \"irq.restore_fl\"", json.Split('\n')[span.StartLinePosition.Line + 1], StringComparison.Ordinal);

        string source = Assert.Single(result.GeneratedSources).SourceText.ToString();
        Assert.Contains("public void* restore_fl;", source, StringComparison.Ordinal);
        Assert.Contains("OpFlags.Unmapped", source, StringComparison.Ordinal);
        Assert.Empty(GeneratorHarness.Problems(GeneratorHarness.Compilation(source)));
    }

    private static string ReplaceFirst(string text, string find, string replacement)
    {
        int at = text.IndexOf(find, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{find}' not in the model");
        return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + find.Length));
    }

    [Fact]
    public void Malformed_json_is_an_error_with_line_and_column()
    {
        string json = Toy.Replace("\"struct_size\": 64,", "\"struct_size\": 64,,");
        var result = GeneratorHarness.Run(new ModelFileItem(Path, json));

        Assert.Null(result.Exception);
        Assert.Empty(result.GeneratedSources);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("PVG0601", diagnostic.Id);
        int line = Array.FindIndex(json.Split('\n'), l => l.Contains(",,", StringComparison.Ordinal));
        Assert.Equal(line, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
    }

    [Fact]
    public void Missing_member_names_the_op_and_points_at_it()
    {
        string json = Toy.Replace("\"slot\": 7,", string.Empty);
        var result = GeneratorHarness.Run(new ModelFileItem(Path, json));

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("PVG0601", diagnostic.Id);
        Assert.Contains("ops[7] lacks 'slot'", diagnostic.GetMessage(), StringComparison.Ordinal);
        int line = diagnostic.Location.GetLineSpan().StartLinePosition.Line;
        Assert.Contains("\"path\": \"read_tsc\"", json.Split('\n')[line + 1], StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_member_is_an_error_like_the_cli_reader()
    {
        var result = GeneratorHarness.Run(new ModelFileItem(Path, Toy.Replace("\"struct_size\": 64,", "\"struct_size\": 64, \"structsize\": 64,")));
        Assert.Equal("PVG0601", Assert.Single(result.Diagnostics).Id);
        Assert.Contains("structsize", result.Diagnostics[0].GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_type_name_metadata_is_an_error()
    {
        var result = GeneratorHarness.Run(new ModelFileItem(Path, Toy, TypeName: "toy-ops"));
        Assert.Empty(result.GeneratedSources);
        Assert.Equal("PVG0605", Assert.Single(result.Diagnostics).Id);
    }

    [Fact]
    public void Two_models_for_one_type_name_report_instead_of_throwing()
    {
        var result = GeneratorHarness.Run(
            new ModelFileItem("/models/a.pvgen.json", Toy),
            new ModelFileItem("/models/b.pvgen.json", Toy));

        Assert.Null(result.Exception);
        Assert.Single(result.GeneratedSources);
        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal("PVG0604", diagnostic.Id);
        Assert.Equal("/models/b.pvgen.json", diagnostic.Location.GetLineSpan().Path);
    }

    [Fact]
    public void Other_additional_files_are_ignored()
    {
        var result = GeneratorHarness.Run(new ModelFileItem("/models/notes.json", "not even json"));
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.GeneratedSources);
    }
}
