using PvGen.Checking.Toolchain;
using PvGen.Clang;
using PvGen.Comparison;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.TestSupport;

namespace PvGen.Proving.Tests;

/// <summary>Runs the prove stage in-process on a bundled example (the negative tests need its fault-injection seam).</summary>
public static class Proof
{
    public static ProveTarget Target(string example, string arch)
    {
        string configPath = Repo.Example(example, "pvgen.json");
        var config = PvGenConfig.Load(configPath);
        var request = new ParseRequest
        {
            HeaderPath = config.Resolve(config.Header!),
            StructName = config.Struct!,
            Symbol = config.Symbol,
            Target = Examples.TargetOf(arch),
            Defines = config.Defines ?? [],
            IncludeDirs = [.. (config.IncludeDirs ?? []).Select(config.Resolve)],
            Includes = [.. (config.Includes ?? []).Select(config.Resolve)],
            CalleeSaveType = config.CalleeSaveType ?? "paravirt_callee_save",
            Config = config,
        };
        var parsed = HeaderParser.Parse(request);
        Assert.True(parsed.Succeeded, string.Join("\n", parsed.Diagnostics));
        var settings = GenerateSettings.Bind(config.Extra is { } extra && extra.TryGetValue("generate", out var section) ? section : null, configPath);
        return new ProveTarget(parsed.Model!, config, settings, request.HeaderPath,
            [.. Examples.DefineFlags(config), .. Examples.IncludeFlags(config)]);
    }

    public static IReadOnlyList<string> Corpus(string example) => DiffSettings.Bind(Examples.Config(example)).Corpus;

    public static ProveReport Run(string example, string arch, string style, string format, string optimization = "O2", string compiler = "gcc",
        Func<string, Binary.Annotating.AnnotationPlan, Binary.Annotating.AnnotationPlan>? fault = null, string? templates = null)
    {
        var request = new ProveRequest([Target(example, arch)], Corpus(example), CompilerDriver.Discover([compiler]), [optimization], [format], [style],
            templates, Repo.TempDir("prove"), Jobs: 1, AnnotationFault: fault);
        return ProveRunner.Run(request, []);
    }
}
