extern alias csgen;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using TrackingNames = csgen::PvGen.SourceGenerator.TrackingNames;

namespace PvGen.SourceGenerator.Tests;

/// <summary>The pipeline carries only equatable records, so edits that do not touch a model leave every step cached.</summary>
public sealed class IncrementalTests
{
    private static readonly string[] Steps = [TrackingNames.ModelFiles, TrackingNames.Models, TrackingNames.AllModels];

    [Fact]
    public void Unrelated_edit_leaves_every_tracked_step_and_the_source_output_cached()
    {
        var files = new[]
        {
            new ModelFileItem("/models/toy.pvgen.json", Models.Json("toy", "x86_64")),
            new ModelFileItem("/models/pv.pvgen.json", Models.Json("linux-5.10-x86_64", "x86_64")),
        };
        var compilation = GeneratorHarness.Compilation("namespace User { public static class Program { } }");
        var driver = GeneratorHarness.Driver(files).RunGenerators(compilation);
        Assert.Equal(2, driver.GetRunResult().GeneratedTrees.Length);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace User { internal static class Unrelated { } }", GeneratorHarness.ParseOptions));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        foreach (string step in Steps)
        {
            var outputs = second.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        }

        var sourceOutputs = second.TrackedOutputSteps["SourceOutput"].SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(sourceOutputs);
        Assert.All(sourceOutputs, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Editing_one_model_reruns_that_model_only()
    {
        string toy = Models.Json("toy", "x86_64");
        var files = new[]
        {
            new ModelFileItem("/models/toy.pvgen.json", toy),
            new ModelFileItem("/models/pv.pvgen.json", Models.Json("linux-5.10-x86_64", "x86_64")),
        };
        var texts = files.Select(GeneratorHarness.Text).ToList();
        var compilation = GeneratorHarness.Compilation("namespace User { public static class Program { } }");
        var driver = GeneratorHarness.Driver(files, texts).RunGenerators(compilation);

        // Same model text under a different comment: a real change to one file.
        var changed = new ModelFileItem("/models/toy.pvgen.json", toy.Replace("Read the CPU time-stamp counter.", "Read the TSC."));
        driver = driver.ReplaceAdditionalText(texts[0], GeneratorHarness.Text(changed));
        var second = driver.RunGenerators(compilation).GetRunResult().Results.Single();

        var models = second.TrackedSteps[TrackingNames.Models].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Contains(IncrementalStepRunReason.Modified, models);
        Assert.Contains(IncrementalStepRunReason.Cached, models);
        Assert.Contains("Read the TSC.", second.GeneratedSources.Single(s => s.HintName.EndsWith("ToyOps.g.cs", StringComparison.Ordinal)).SourceText.ToString());
    }
}
