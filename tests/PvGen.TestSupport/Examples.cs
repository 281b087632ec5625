using PvGen.Clang;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.Project;
using PvGen.Project.Options;
using PvGen.Project.Workflows;

namespace PvGen.TestSupport;

/// <summary>
/// The bundled examples, as tests enumerate them. Every request is resolved the way the CLI resolves it (the project
/// resolver, from `--config examples/NAME/pvgen.json` run at the repository root), never assembled by hand.
/// </summary>
public static class Examples
{
    public static readonly string[] Names = ["toy", "linux-2.6.22-i386", "linux-2.6.24", "linux-5.10-x86_64"];

    public static readonly string[] Targets = ["x86_64", "i386"];

    public static string ConfigPath(string name) => Repo.Example(name, "pvgen.json");

    /// <summary>What `pvgen VERB --config examples/NAME/pvgen.json [--target T] [more...]` sees, run from the repository root.</summary>
    public static Settings Settings(string name, VerbSpec verb, string? target = null, params (string Name, string[] Values)[] more)
    {
        var values = OptionValues.Of([("config", [Path.Combine("examples", name, "pvgen.json")]), .. more]);
        if (target is not null)
        {
            values.Set("target", [target]);
        }

        return Project.Settings.For(verb, values, Repo.Root);
    }

    public static ParseRequest ParseRequest(string name, string target) => ParseInputs.Request(Settings(name, Verbs.Parse, target));

    /// <summary>The example's ops header, absolute.</summary>
    public static string Header(string name) => ParseRequest(name, "x86_64").HeaderPath;

    public static OpsConfig Ops(string name) => Settings(name, Verbs.Parse).Config.Ops;

    /// <summary>The -D/-I/-include flags a compiler needs to see the same configuration as the parser.</summary>
    public static IReadOnlyList<string> CompileFlags(string name, string target) => ParseRequest(name, target).Environment.Flags();

    /// <summary>Every (example, target) pair, for [MemberData].</summary>
    public static IEnumerable<object[]> AllWithTargets() =>
        from name in Names from target in Targets select new object[] { name, target };

    public static Target TargetOf(string name) => Target.FromName(name) ?? throw new ArgumentException(name);
}
