using PvGen.Model;
using PvGen.Project.Options;
using PvGen.Project.Workflows;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Project.Tests;

/// <summary>How a verb sees its options: command line over pvgen.json over defaults, one rule for paths and lists.</summary>
public sealed class SettingsTests
{
    [Fact]
    public void The_command_line_wins_and_lists_of_include_paths_accumulate()
    {
        string dir = Project("""{ "header": "h.h", "struct": "a", "target": "i386", "include_dirs": ["inc"], "defines": ["A"], "diff": { "opt": ["O0"] } }""");
        var settings = Settings.For(Verbs.Diff, OptionValues.Of(("struct", ["b"]), ("include-dir", ["cli"]), ("define", ["B=1"]), ("opt", ["O2,Os"])), dir);

        Assert.Equal("b", settings.Text(OptionTable.Input.Struct));
        Assert.Equal([Path.Combine(dir, "inc"), Path.Combine(dir, "cli")], settings.List(OptionTable.Input.IncludeDirs));
        Assert.Equal(["A", "B=1"], settings.List(OptionTable.Input.Defines));
        Assert.Equal(["O2", "Os"], settings.List(OptionTable.Diff.Optimizations));
        Assert.Equal(["i386"], settings.List(OptionTable.Input.Target));
    }

    [Fact]
    public void Paths_resolve_against_the_file_in_pvgen_json_and_the_working_directory_on_the_command_line()
    {
        string dir = Project("""{ "header": "sub/h.h", "struct": "a" }""");
        string elsewhere = Repo.TempDir("cwd");
        var fromFile = Settings.For(Verbs.Parse, OptionValues.Of(("config", [Path.Combine(dir, "pvgen.json")])), elsewhere);
        var fromCli = Settings.For(Verbs.Parse, OptionValues.Of(("config", [Path.Combine(dir, "pvgen.json")]), ("header", ["sub/h.h"])), elsewhere);

        Assert.Equal(Path.Combine(dir, "sub", "h.h"), fromFile.Path(OptionTable.Input.Header));
        Assert.Equal(Path.Combine(elsewhere, "sub", "h.h"), fromCli.Path(OptionTable.Input.Header));
        Assert.Equal(new SourceLocation(Path.Combine(dir, "pvgen.json"), 1, 13), fromFile.Where(OptionTable.Input.Header));
    }

    [Theory]
    [InlineData("target", "arm64", "--target does not take 'arm64'; use one of: x86_64, i386")]
    [InlineData("jobs", "zero", "--jobs takes a whole number (got 'zero')")]
    [InlineData("opt", "O9", "--opt does not take 'O9'; use one of: O0, O1, O2, O3, Os, Oz (did you mean 'O0'?)")]
    public void A_bad_command_line_value_names_the_option(string option, string value, string message)
    {
        string dir = Project("""{ "header": "h.h", "struct": "a" }""");
        var settings = Settings.For(Verbs.Diff, OptionValues.Of((option, [value])), dir);
        var spec = Verbs.Diff.Find(option)!;
        var e = Assert.Throws<PvGenException>(() => spec.Kind switch
        {
            OptionKind.Integer => (object?)settings.Integer(spec, 1),
            _ => settings.List(spec),
        });
        Assert.Equal(message, e.Diagnostic.Message);
        Assert.Null(e.Diagnostic.Location);
    }

    [Fact]
    public void A_verb_rejects_an_option_it_does_not_take()
    {
        var e = Assert.Throws<PvGenException>(() => Settings.For(Verbs.Parse, OptionValues.Of(("corpus", ["a.c"])), Repo.TempDir("cwd")));
        Assert.Contains("takes no option --corpus", e.Diagnostic.Message, StringComparison.Ordinal);
    }

    /// <summary>One rule for a relative header wherever it is written: its own base first, then the kernel tree.</summary>
    [Fact]
    public void A_header_not_beside_the_config_is_found_in_the_kernel_tree()
    {
        string tree = Repo.TempDir("tree");
        Directory.CreateDirectory(Path.Combine(tree, "arch"));
        File.WriteAllText(Path.Combine(tree, "arch", "pv.h"), "struct a { void (*f)(void); };\n");
        string dir = Project($$"""{ "header": "arch/pv.h", "struct": "a", "kernel_tree": "{{tree}}" }""");
        var request = ParseInputs.Request(Settings.For(Verbs.Parse, OptionValues.Of(), dir));
        Assert.Equal(Path.Combine(tree, "arch", "pv.h"), request.HeaderPath);
    }

    /// <summary>The tree's .config decides the target; a --target that contradicts it is an error, not a silently wrong layout.</summary>
    [Fact]
    public void A_kernel_tree_s_configuration_decides_the_target()
    {
        string tree = Repo.TempDir("tree32");
        File.WriteAllText(Path.Combine(tree, ".config"), "CONFIG_X86_32=y\n");
        File.WriteAllText(Path.Combine(tree, "pv.h"), "struct a { void (*f)(void); };\n");
        string dir = Project($$"""{ "header": "pv.h", "struct": "a", "kernel_tree": "{{tree}}" }""");

        Assert.Equal(Target.I386, ParseInputs.Request(Settings.For(Verbs.Parse, OptionValues.Of(), dir)).Target);
        var e = Assert.Throws<PvGenException>(() => ParseInputs.Request(Settings.For(Verbs.Parse, OptionValues.Of(("target", ["x86_64"])), dir)));
        Assert.Contains("configured for i386", e.Diagnostic.Message, StringComparison.Ordinal);
    }

    private static string Project(string json)
    {
        string dir = Repo.TempDir("settings");
        File.WriteAllText(Path.Combine(dir, "pvgen.json"), json);
        return dir;
    }
}
