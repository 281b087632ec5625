using PvGen.Model;
using PvGen.Model.Config;

namespace PvGen.TestSupport;

/// <summary>The bundled examples, as tests enumerate them.</summary>
public static class Examples
{
    public static readonly string[] Names = ["toy", "linux-2.6.22-i386", "linux-2.6.24", "linux-5.10-x86_64"];

    public static readonly string[] Targets = ["x86_64", "i386"];

    public static PvGenConfig Config(string name) => PvGenConfig.Load(Repo.Example(name, "pvgen.json"));

    /// <summary>Every (example, target) pair, for [MemberData].</summary>
    public static IEnumerable<object[]> AllWithTargets() =>
        from name in Names from target in Targets select new object[] { name, target };

    /// <summary>The -D flags a compiler needs to see the same configuration as the parser.</summary>
    public static IEnumerable<string> DefineFlags(PvGenConfig config) => (config.Defines ?? []).Select(d => "-D" + d);

    public static IEnumerable<string> IncludeFlags(PvGenConfig config) =>
        (config.IncludeDirs ?? []).Select(d => "-I" + config.Resolve(d))
            .Concat((config.Includes ?? []).SelectMany(i => new[] { "-include", config.Resolve(i) }));

    public static Target TargetOf(string name) => Target.FromName(name) ?? throw new ArgumentException(name);
}
