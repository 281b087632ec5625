using PvGen.Checking.Toolchain;
using PvGen.Model;

namespace PvGen.Checking.TypeSafety;

/// <summary>The verdict on one op's wrapper.</summary>
/// <param name="Compatible">The wrapper's function type equals the op's.</param>
/// <param name="Rejected">Probes the compiler rejected with the expected diagnostic.</param>
/// <param name="Problems">Why the op is not type-safe (empty when it is).</param>
public sealed record OpTypeSafety(string OpPath, string Wrapper, bool Compatible, int Probes, int Rejected, IReadOnlyList<string> Problems)
{
    public bool TypeSafe => Compatible && Probes == Rejected && Problems.Count == 0;
}

public sealed record TypeSafetyReport(Compiler Compiler, BuildFlavour Flavour, IReadOnlyList<OpTypeSafety> Ops, IReadOnlyList<string> Unexpected)
{
    public int TypeSafeCount => Ops.Count(o => o.TypeSafe);
}

/// <summary>Compiles the probe and decides, op by op, whether the compiler enforced the types.</summary>
public static class TypeSafetyChecker
{
    public static TypeSafetyReport Check(OpsModel model, IReadOnlyDictionary<string, string> wrappers, string wrapperHeader, Compiler compiler, BuildFlavour flavour, string workDirectory, IEnumerable<string>? extraFlags = null)
    {
        Directory.CreateDirectory(workDirectory);
        var probe = TypeSafetyProbe.Build(model, wrappers, Path.GetFullPath(wrapperHeader));
        string source = Path.Combine(workDirectory, $"typesafety-{compiler.Name}-{flavour.Target.Arch}.c");
        File.WriteAllText(source, probe.Text);
        var result = CompilerDriver.Compile(compiler, flavour, [source], output: null, [.. TypeSafetyProbe.CompilerFlags, .. extraFlags ?? []]);

        // A compiler that failed without one error we can read (it printed nothing, or crashed) proves nothing either way.
        if (!result.Succeeded && !result.Errors.Any())
        {
            return new TypeSafetyReport(compiler, flavour, [], [$"{compiler.Name} failed without an error message we can read:{result.Output}"]);
        }

        // Only errors located in the probe file count; notes point into the header.
        var errorsByLine = result.Errors
            .Where(e => Path.GetFileName(e.File) == Path.GetFileName(source))
            .GroupBy(e => e.Line)
            .ToDictionary(g => g.Key, g => g.ToList());
        var unexpected = errorsByLine
            .Where(kv => !probe.CompatibilityLines.ContainsKey(kv.Key) && probe.Probes.All(p => p.Line != kv.Key))
            .SelectMany(kv => kv.Value.Select(e => $"{e.Line}:{e.Column}: {e.Text}"))
            .ToList();
        if (result.Errors.Any(e => Path.GetFileName(e.File) != Path.GetFileName(source)))
        {
            unexpected.AddRange(result.Errors.Where(e => Path.GetFileName(e.File) != Path.GetFileName(source)).Select(e => $"{e.File}:{e.Line}:{e.Column}: {e.Text}"));
        }

        var verdicts = new List<OpTypeSafety>();
        foreach (var (line, path) in probe.CompatibilityLines.OrderBy(kv => kv.Key))
        {
            var problems = new List<string>();
            bool compatible = !errorsByLine.ContainsKey(line);
            if (!compatible)
            {
                problems.Add($"{wrappers[path]} does not have the type of {path}");
            }

            int rejected = 0;
            var ofOp = probe.Probes.Where(p => p.OpPath == path).ToList();
            foreach (var p in ofOp)
            {
                var errors = errorsByLine.GetValueOrDefault(p.Line) ?? [];
                var expected = TypeSafetyProbe.ExpectedDiagnostic(compiler.Family, p);
                if (errors.Count > 0 && errors.All(e => expected.IsMatch(e.Text)))
                {
                    rejected++;
                }
                else if (errors.Count == 0)
                {
                    problems.Add($"accepted {p.Call} ({Describe(p.Kind)} argument {p.Argument})");
                }
                else
                {
                    problems.Add($"rejected {p.Call} for another reason: {errors[0].Text}");
                }
            }

            verdicts.Add(new OpTypeSafety(path, wrappers[path], compatible, ofOp.Count, rejected, problems));
        }

        return new TypeSafetyReport(compiler, flavour, verdicts, unexpected);
    }

    private static string Describe(ProbeKind kind) => kind switch
    {
        ProbeKind.WrongStructValue => "a struct by value as",
        ProbeKind.PointerForInteger => "a pointer as integer",
        ProbeKind.WrongPointerType => "a pointer of the wrong type as",
        ProbeKind.MissingArgument => "without",
        _ => "an extra",
    };
}
