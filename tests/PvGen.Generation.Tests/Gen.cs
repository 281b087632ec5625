using System.Collections.Concurrent;
using PvGen.Project.Options;
using PvGen.Project.Workflows;
using PvGen.Model;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Generation.Tests;

/// <summary>
/// Generates examples through the project resolver, exactly as `pvgen generate --config examples/NAME/pvgen.json --target T
/// -o examples/NAME` would (the output directory beside the header, so the ops header is included by its file name and
/// goldens do not depend on where they are written).
/// </summary>
internal static class Gen
{
    private static readonly ConcurrentDictionary<(string, string), GenerationRequest> Requests = new();

    public static GenerationRequest Request(string example, string target) => Requests.GetOrAdd((example, target), key =>
    {
        var settings = Examples.Settings(key.Item1, Verbs.Generate, key.Item2);
        var diagnostics = new List<Diagnostic>();
        var request = GenerateWorkflow.Request(settings, Repo.Example(key.Item1), diagnostics);
        Assert.DoesNotContain(diagnostics, d => d.Severity == Severity.Error);
        return request;
    });

    public static GenerationOutput Generate(string example, string target) => Generator.Generate(Request(example, target));

    public static string WriteTo(GenerationOutput output, string dir)
    {
        foreach (var file in output.Files)
        {
            PvGen.Model.IO.AtomicFile.WriteIfChanged(Path.Combine(dir, file.Path), file.Content);
        }

        return dir;
    }

    public static string File(GenerationOutput output, string suffix) => output.Files.Single(f => f.Path.EndsWith(suffix, StringComparison.Ordinal)).Content;
}

/// <summary>Compiles generated C with the real compilers, under the flags the issue demands.</summary>
internal static class CCompile
{
    public static readonly string[] Warnings = ["-Wall", "-Wextra", "-Werror", "-Wstrict-prototypes", "-ffreestanding", "-fno-pie"];

    /// <summary>-mno-red-zone (x86-64) and -freg-struct-return (i386) are the kernel's ABI flags the macro style assumes.</summary>
    public static string[] AbiFlags(string target) => target == "x86_64" ? ["-mno-red-zone"] : ["-freg-struct-return"];

    public static ToolResult Object(string compiler, string target, string source, string output, IEnumerable<string> extra)
    {
        return Tool.Run(compiler, [.. Tool.TargetFlags(target), .. AbiFlags(target), .. Warnings, "-O2", .. extra, "-c", source, "-o", output]);
    }

    /// <summary>Entries of .rela.NAME or .rel.NAME in an object, from readelf: one relocation per record.</summary>
    public static int RelocationCount(string obj, string section)
    {
        var run = Tool.Run("readelf", ["-rW", obj]);
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (string line in run.Stdout.Split('\n'))
        {
            if (line.StartsWith("Relocation section '.rel", StringComparison.Ordinal) && (line.Contains($"'.rela{section}'", StringComparison.Ordinal) || line.Contains($"'.rel{section}'", StringComparison.Ordinal)))
            {
                var match = System.Text.RegularExpressions.Regex.Match(line, @"contains (\d+) entr");
                return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    /// <summary>Size of a section in an object, from readelf -SW.</summary>
    public static long SectionSize(string obj, string section)
    {
        var run = Tool.Run("readelf", ["-SW", obj]);
        foreach (string line in run.Stdout.Split('\n'))
        {
            var match = System.Text.RegularExpressions.Regex.Match(line, @"\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)");
            if (match.Success && match.Groups[1].Value == section)
            {
                return Convert.ToInt64(match.Groups[2].Value, 16);
            }
        }

        return -1;
    }
}
