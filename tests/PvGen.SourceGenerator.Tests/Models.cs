extern alias csgen;

using PvGen.Clang;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.Model.Json;
using PvGen.TestSupport;
using Xunit;
using GenModel = csgen::PvGen.Model.OpsModel;
using ModelReader = csgen::PvGen.SourceGenerator.ModelReader;

namespace PvGen.SourceGenerator.Tests;

/// <summary>Example models, produced the way `pvgen parse --config examples/NAME/pvgen.json --target T --format json` produces them.</summary>
internal static class Models
{
    private static readonly Dictionary<(string, string), string> Cache = [];

    /// <summary>The pvgen.model/1 JSON of an example for a target (parsed once per test run).</summary>
    public static string Json(string example, string target)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue((example, target), out string? json))
            {
                var config = Examples.Config(example);
                json = ModelJson.Serialize(Parse(config, config.Resolve(config.Header!), Examples.TargetOf(target)));
                Cache[(example, target)] = json;
            }

            return json;
        }
    }

    public static OpsModel Parse(PvGenConfig config, string header, Target target)
    {
        var result = HeaderParser.Parse(new ParseRequest
        {
            HeaderPath = header,
            StructName = config.Struct!,
            Symbol = config.Symbol,
            Target = target,
            Defines = config.Defines ?? [],
            IncludeDirs = (config.IncludeDirs ?? []).Select(config.Resolve).ToList(),
            CalleeSaveType = config.CalleeSaveType ?? "paravirt_callee_save",
            Config = config,
            BaseDirectory = Repo.Root,
        });
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        return result.Model!;
    }

    /// <summary>The generator's own copy of the model, read from JSON exactly as the generator reads it.</summary>
    public static GenModel ForGenerator(string json)
    {
        var read = ModelReader.Read(json, "model.pvgen.json");
        Assert.True(read.Model is not null, string.Join("\n", read.Diagnostics));
        return read.Model!;
    }
}
