using System.Collections.Concurrent;
using PvGen.Clang;
using PvGen.Generation;
using PvGen.Model;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Generation.Tests;

/// <summary>Generates examples through the library, the way pvgen generate does, with machine-independent inputs.</summary>
internal static class Gen
{
    private static readonly ConcurrentDictionary<(string, string), OpsModel> Models = new();

    public static OpsModel Model(string example, string target) => Models.GetOrAdd((example, target), key =>
    {
        var config = Examples.Config(key.Item1);
        var result = HeaderParser.Parse(new ParseRequest
        {
            HeaderPath = config.Resolve(config.Header!),
            StructName = config.Struct!,
            Symbol = config.Symbol,
            Target = Examples.TargetOf(key.Item2),
            Defines = config.Defines ?? [],
            IncludeDirs = (config.IncludeDirs ?? []).Select(config.Resolve).ToList(),
            CalleeSaveType = config.CalleeSaveType ?? "paravirt_callee_save",
            Config = config,
            BaseDirectory = Repo.Root,
        });
        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        return result.Model!;
    });

    /// <summary>The ops header is included by file name (compile with -I examples/NAME), so goldens do not depend on where they are written.</summary>
    public static GenerationRequest Request(string example, string target, IReadOnlyList<string>? styles = null, GenerateSettings? settings = null)
    {
        var config = Examples.Config(example);
        var model = Model(example, target);
        string header = config.Resolve(config.Header!);
        return new GenerationRequest
        {
            Model = model,
            Config = config,
            Settings = settings ?? GenerateSettings.Bind(config.Extra is { } e && e.TryGetValue("generate", out var s) ? s : null, "pvgen.json"),
            Include = Path.GetFileName(header),
            DeclareTable = model.TableSymbol is { } symbol && !OpsHeader.DeclaresTable(header, model.Struct, symbol),
            Invocation = $"pvgen generate --config ../../examples/{example}/pvgen.json --target {target} -I ../../examples/{example} --style macro,plain -o .",
            Styles = styles ?? ["macro", "plain"],
        };
    }

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
