using PvGen.Binary;
using PvGen.Checking.Annotations;
using PvGen.Checking.Toolchain;
using PvGen.Checking.TypeSafety;
using PvGen.Model;

namespace PvGen.Checking;

/// <summary>One compile of the exerciser against one style, and what its object holds.</summary>
public sealed record BuildCheck(string Compiler, string Style, string Optimization, bool Compiled, string? ObjectPath, int Sites, int Records, IReadOnlyList<Finding> Findings);

/// <summary>The whole verdict of `pvgen check DIR`.</summary>
public sealed record CheckReport(GeneratedOutput Output, IReadOnlyList<BuildCheck> Builds, IReadOnlyList<(string Style, TypeSafetyReport Report)> TypeSafety)
{
    public IEnumerable<Finding> Findings =>
        Builds.SelectMany(b => b.Findings).Concat(TypeSafety.SelectMany(t => TypeSafetyFindings(t.Style, t.Report)));

    public bool Passed => !Findings.Any(f => f.Severity == Severity.Error);

    private IEnumerable<Finding> TypeSafetyFindings(string style, TypeSafetyReport report)
    {
        string header = Output.Header(style);
        foreach (var op in report.Ops.Where(o => !o.TypeSafe))
        {
            string id = op.Compatible ? DiagnosticIds.NotTypeSafe : DiagnosticIds.WrapperTypeMismatch;
            yield return new Finding(id, Severity.Error, $"{op.Wrapper} ({op.OpPath}, {report.Compiler.Name}): {string.Join("; ", op.Problems)}", header);
        }

        foreach (string unexpected in report.Unexpected)
        {
            yield return new Finding(DiagnosticIds.CompileFailed, Severity.Error, $"type-safety probe ({report.Compiler.Name}): {unexpected}", header);
        }
    }
}

/// <summary>
/// Stage 3: compiles a generated directory with every compiler, at -O0 and -O2, for its target; proves
/// each wrapper type-safe; and verifies every macro-style annotation from the object's machine code.
/// </summary>
public static class CheckRunner
{
    public static readonly string[] DefaultOptimizations = ["O0", "O2"];

    public static CheckReport Check(GeneratedOutput output, IReadOnlyList<Compiler> compilers, IReadOnlyList<string> optimizations, string workDirectory, IReadOnlyList<string>? extraFlags = null, Action<string>? progress = null)
    {
        IReadOnlyList<string> flags = [.. output.Environment.Flags(), .. extraFlags ?? []];
        Directory.CreateDirectory(workDirectory);
        var model = output.Model;
        var builds = new List<BuildCheck>();
        var typeSafety = new List<(string, TypeSafetyReport)>();
        foreach (var compiler in compilers)
        {
            foreach (string style in output.Styles)
            {
                progress?.Invoke($"type safety: {compiler.Name} {style}");
                typeSafety.Add((style, TypeSafetyChecker.Check(model, output.Wrappers, output.Header(style), compiler,
                    new BuildFlavour(model.Target, "O0"), Path.Combine(workDirectory, style), flags)));
                foreach (string optimization in optimizations)
                {
                    progress?.Invoke($"compile: {compiler.Name} {style} -{optimization}");
                    builds.Add(Build(output, compiler, style, optimization, workDirectory, flags));
                }
            }
        }

        return new CheckReport(output, builds, typeSafety);
    }

    private static BuildCheck Build(GeneratedOutput output, Compiler compiler, string style, string optimization, string workDirectory, IReadOnlyList<string> flags)
    {
        var model = output.Model;
        string obj = Path.Combine(workDirectory, $"{output.BaseName}_exercise.{style}.{compiler.Name}.{optimization}.o");
        var compiled = CompilerDriver.Compile(compiler, new BuildFlavour(model.Target, optimization), [output.Exerciser], obj,
            ["-DPVGEN_STYLE_" + style.ToUpperInvariant(), "-Wall", "-Wextra", "-Werror", "-Wstrict-prototypes", .. flags]);
        if (!compiled.Succeeded)
        {
            var errors = compiled.Errors.Take(5).Select(e => $"{Path.GetFileName(e.File)}:{e.Line}:{e.Column}: {e.Text}");
            return new BuildCheck(compiler.Name, style, optimization, false, null, 0, 0,
                [new Finding(DiagnosticIds.CompileFailed, Severity.Error, $"{compiler.Name} -{optimization} cannot compile the {style} style: {string.Join(" | ", errors)}", output.Exerciser)]);
        }

        var scanned = ObjectScanner.ScanFile(obj, ScanOptions.ForModel(model)).Single();
        if (scanned.Error is not null)
        {
            return new BuildCheck(compiler.Name, style, optimization, true, obj, 0, 0,
                [new Finding(DiagnosticIds.ObjectUnreadable, Severity.Error, scanned.Error, obj)]);
        }

        var findings = new List<Finding>();
        if (style == "macro")
        {
            findings.AddRange(AnnotationVerifier.Verify(scanned, model, output.Expected, SectionBytes.Read(obj)));
            if (scanned.Annotations.Count != output.AnnotatedWrappers)
            {
                findings.Add(new Finding(DiagnosticIds.SiteCountMismatch, Severity.Error,
                    $"{scanned.Annotations.Count} annotation records for {output.AnnotatedWrappers} annotated wrappers, each called once", obj));
            }
        }

        return new BuildCheck(compiler.Name, style, optimization, true, obj, scanned.Sites.Count, scanned.Annotations.Count, findings);
    }

    /// <summary>`pvgen check --object`: verify objects built by anyone against a model and its configuration.</summary>
    public static IReadOnlyList<(ScannedObject Object, IReadOnlyList<Finding> Findings)> CheckObjects(
        IReadOnlyList<string> files, OpsModel model, IReadOnlyDictionary<int, ExpectedOp> expected, ScanOptions options, int jobs)
    {
        var results = new List<(ScannedObject, IReadOnlyList<Finding>)>();
        foreach (var scanned in ObjectScanner.ScanAll(files, options, jobs))
        {
            if (scanned.Error is not null)
            {
                results.Add((scanned, [new Finding(DiagnosticIds.ObjectUnreadable, Severity.Error, scanned.Error, scanned.Path)]));
                continue;
            }

            if (scanned.Skipped || scanned.Annotations.Count == 0 && scanned.Sites.Count == 0)
            {
                results.Add((scanned, []));
                continue;
            }

            // Archive members have no file of their own; their records are checked without region decoding.
            var code = File.Exists(scanned.Path) ? SectionBytes.Read(scanned.Path) : null;
            results.Add((scanned, AnnotationVerifier.Verify(scanned, model, expected, code)));
        }

        return results;
    }
}
