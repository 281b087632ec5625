using PvGen.Model;
using PvGen.Project.Config;
using PvGen.Project.Options;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Project.Tests;

/// <summary>pvgen.json is bound against the table: every section, every key, the same located errors with suggestions.</summary>
public sealed class ConfigTests
{
    /// <summary>Every key of every section (and the top level, and an op entry), each with one letter inserted.</summary>
    public static IEnumerable<object[]> EveryKey() =>
        Verbs.TopLevel.Select(o => new object[] { "", o.JsonKey! })
            .Concat(Verbs.Sections.SelectMany(s => s.Value.Select(o => new object[] { s.Key, o.JsonKey! })))
            .Concat(OptionTable.Op.All.Select(o => new object[] { "ops", o.JsonKey! }));

    [Theory]
    [MemberData(nameof(EveryKey))]
    public void A_typo_in_any_key_is_one_located_error_naming_the_key(string section, string key)
    {
        string typo = key[..(key.Length / 2)] + "x" + key[(key.Length / 2)..];
        string json = section switch
        {
            "" => $"{{\n  \"{typo}\": \"x\"\n}}\n",
            "ops" => $"{{\n  \"ops\": {{\n    \"irq.save_fl\": {{ \"{typo}\": \"x\" }}\n  }}\n}}\n",
            _ => $"{{\n  \"{section}\": {{\n    \"{typo}\": \"x\"\n  }}\n}}\n",
        };
        var error = Assert.Single(Problems(json));
        Assert.Equal(DiagnosticIds.BadConfig, error.Id);
        string shown = section is "" or "ops" ? typo : $"{section}.{typo}";
        Assert.StartsWith($"unknown key '{shown}'", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"(did you mean '{key}'?)", error.Message, StringComparison.Ordinal);
        Assert.Equal(section switch { "" => (2, 3), "ops" => (3, 22), _ => (3, 5) }, (error.Location!.Line, error.Location.Column));
    }

    [Theory]
    [InlineData("{ \"target\": 64 }", "'target' must be a string or an array of non-empty strings, not the number 64", 1, 13)]
    [InlineData("{ \"diff\": { \"pic\": [\"no\", \"maybe\"] } }", "'diff.pic' is 'maybe'; use one of: no, yes", 1, 20)]
    [InlineData("{ \"generate\": { \"declare_table\": \"yes\" } }", "'generate.declare_table' must be true or false, not the string \"yes\"", 1, 34)]
    [InlineData("{ \"scan\": { \"jobs\": 1.5 } }", "'scan.jobs' must be a whole number, not the number 1.5", 1, 21)]
    [InlineData("{ \"struct\": \"\" }", "'struct' is empty", 1, 13)]
    [InlineData("{ \"ops\": { \"irq.*\": { \"jump\": 1 } } }", "'ops.irq.*.jump' must be true or false, not the number 1", 1, 31)]
    [InlineData("{ \"generate\": [] }", "'generate' must be an object, not an array", 1, 15)]
    [InlineData("[]", "a pvgen.json holds one JSON object, not an array", 1, 1)]
    [InlineData("{ \"struct\": \"a\", \"struct\": \"b\" }", "'struct' is given 2 times; keep one", 1, 3)]
    [InlineData("{ \"generate\": { \"record_format\": \"para6\", \"record_layout\": \"packed\" } }", "'generate.record_layout' is given twice (under an old name too); keep one", 1, 43)]
    [InlineData("{ \"ops\": { \"x\": { \"native\": { \"x86-64\": \"90\" } } } }", "'ops.x.native' has a key 'x86-64', which is no target; use x86_64 or i386 (did you mean 'x86_64'?)", 1, 31)]
    [InlineData("{ \"ops\": { \"x\": { \"native\": { \"i386\": 7 } } } }", "'ops.x.native.i386' must be a non-empty string, not the number 7", 1, 39)]
    [InlineData("{ \"ops\": { \"x\": { \"native\": {} } } }", "'ops.x.native' is an empty object; give a string for every target, or one per target (x86_64, i386)", 1, 29)]
    [InlineData("{ \"ops\": { \"x\": { \"native\": 90 } } }", "'ops.x.native' must be a non-empty string (every target) or an object with one per target (x86_64, i386), not the number 90", 1, 29)]
    public void A_wrong_value_is_located_at_the_value(string json, string message, int line, int column)
    {
        var error = Problems(json)[0];
        Assert.Equal(message, error.Message);
        Assert.Equal((line, column), (error.Location!.Line, error.Location.Column));
    }

    [Fact]
    public void Every_problem_of_a_file_is_reported_at_once()
    {
        var problems = Problems("{\n  \"strcut\": \"a\",\n  \"diff\": { \"corpsu\": [] },\n  \"ops\": { \"x\": { \"natve\": \"90\" } }\n}\n");
        Assert.Equal(["strcut", "diff.corpsu", "natve"], problems.Select(p => p.Message.Split('\'')[1]));
        Assert.Equal([2, 3, 4], problems.Select(p => p.Location!.Line));
    }

    [Fact]
    public void Not_json_is_located_where_the_reader_stopped()
    {
        var error = Assert.Single(Problems("{\n  \"struct\": \"a\"\n  \"symbol\": \"b\"\n}\n"));
        Assert.StartsWith("not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.Location!.Line);
    }

    /// <summary>"native" per target: each target reads its own bytes; a target the object does not name has none (and says which do).</summary>
    [Fact]
    public void Native_bytes_per_target_are_read_for_each_target()
    {
        string path = Path.Combine(Repo.TempDir("native-per-target"), "pvgen.json");
        File.WriteAllText(path, """{ "ops": { "a": { "native": { "x86_64": "57 9d", "i386": "50 9d" } }, "b": { "native": { "x86_64": "0f 01 f8" } }, "c": { "native": "fa" } } }""");
        var ops = ProjectConfig.Load(path).Ops;
        Assert.Equal(("57 9d", "50 9d"), (ops.ForOp("a")!.NativeFor("x86_64", out _), ops.ForOp("a")!.NativeFor("i386", out _)));
        Assert.Equal(("fa", "fa"), (ops.ForOp("c")!.NativeFor("x86_64", out _), ops.ForOp("c")!.NativeFor("i386", out var none)));
        Assert.Null(none);
        Assert.Null(ops.ForOp("b")!.NativeFor("i386", out var onlyFor));
        Assert.Equal(["x86_64"], onlyFor!);
    }

    [Fact]
    public void Every_bundled_example_binds_cleanly()
    {
        foreach (string name in Examples.Names)
        {
            Assert.NotNull(ProjectConfig.Load(Examples.ConfigPath(name)));
        }
    }

    private static List<Diagnostic> Problems(string json)
    {
        string path = Path.Combine(Repo.TempDir("config"), "pvgen.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<PvGenException>(() => ProjectConfig.Load(path));
        Assert.All(e.Diagnostics, d => Assert.Equal(path, d.Location!.File));
        return [.. e.Diagnostics];
    }
}
