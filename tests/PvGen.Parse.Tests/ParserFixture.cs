using PvGen.Clang;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Parse.Tests;

internal static class Parsing
{
    /// <summary>Parses an example the way `pvgen parse --config examples/NAME/pvgen.json --target T` does.</summary>
    public static OpsModel Example(string name, string target)
    {
        var result = HeaderParser.Parse(Examples.ParseRequest(name, target) with { BaseDirectory = Repo.Root });
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        return result.Model!;
    }

    /// <summary>Parses C text written by a test (one header in a fresh directory).</summary>
    public static ParseResult Source(string header, string structName, Target? target = null, OpsConfig? config = null, string file = "ops.h")
    {
        string dir = Repo.TempDir("parse");
        string path = Path.Combine(dir, file);
        File.WriteAllText(path, header);
        return HeaderParser.Parse(new ParseRequest
        {
            HeaderPath = path,
            StructName = structName,
            Target = target ?? Target.X86_64,
            Config = config,
            BaseDirectory = dir,
        });
    }
}
