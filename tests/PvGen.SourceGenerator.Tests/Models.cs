extern alias csgen;

using PvGen.Clang;
using PvGen.Model;
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
                json = ModelJson.Serialize(Parse(Examples.ParseRequest(example, target)));
                Cache[(example, target)] = json;
            }

            return json;
        }
    }

    public static OpsModel Parse(ParseRequest request)
    {
        var result = HeaderParser.Parse(request with { BaseDirectory = Repo.Root });
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
