using PvGen.Binary;
using PvGen.Checking.Annotations;
using PvGen.Checking.Toolchain;
using PvGen.Checking.TypeSafety;
using PvGen.Generation;
using PvGen.Model;
using PvGen.X86.Records;

namespace PvGen.Checking;

/// <summary>One compile of the exerciser against one style, and what its object holds.</summary>
/// <param name="Format">The record format the object's pv records were read in (detected), null when it has none.</param>
/// <param name="Coverage">Per annotation check: records verified, failed, or why it does not apply to the format.</param>
public sealed record BuildCheck(string Compiler, string Style, string Optimization, bool Compiled, string? ObjectPath, int Sites, int Records, IReadOnlyList<Finding> Findings,
    string? Format = null, IReadOnlyList<CheckCoverage>? Coverage = null);

/// <summary>One object of `pvgen check --object`: what the scan read and what the verifier found.</summary>
/// <param name="NonCallReferences">References to the table that are no call through it (noted: the kernel records only calls).</param>
public sealed record ObjectCheck(ScannedObject Object, IReadOnlyList<Finding> Findings, IReadOnlyList<CheckCoverage> Coverage, int NonCallReferences = 0);

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
        // The kernel's include directories as system headers: the exerciser is compiled under -Wextra -Werror, which holds
        // PvGen's generated code to it, while the kernel's own headers are not -Wextra clean (nor built with it).
        IReadOnlyList<string> flags = [.. output.Environment.Flags(kernelDirsAsSystem: true), .. extraFlags ?? []];
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
            ["-DPVGEN_STYLE_" + style.ToUpperInvariant(), .. CompileEnvironment.CheckWarnings, .. flags]);
        if (!compiled.Succeeded)
        {
            return new BuildCheck(compiler.Name, style, optimization, false, null, 0, 0,
                [new Finding(DiagnosticIds.CompileFailed, Severity.Error, $"{compiler.Name} -{optimization} cannot compile the {style} style:{compiled.Output}", output.Exerciser)]);
        }

        // One read of the object: the scan and the region decoding see the same bytes.
        bool vmi = style == TemplateSets.Vmi.AnnotatedStyle;
        var (scanned, verification, vmiVerification) = ObjectScanner.Inspect(obj, ScanOptionsFor(output), (scanned, elf) =>
            (scanned,
             style == "macro" && scanned.Error is null ? AnnotationVerifier.Run(scanned, model, output.Expected, elf?.Code) : null,
             vmi && scanned.Error is null && elf is not null ? VmiVerifier.Run(scanned, elf, output.Ops) : default((IReadOnlyList<Finding>, IReadOnlyList<CheckCoverage>, int)?))).Single();
        if (scanned.Error is not null)
        {
            return new BuildCheck(compiler.Name, style, optimization, true, obj, 0, 0,
                [new Finding(DiagnosticIds.ObjectUnreadable, Severity.Error, scanned.Error, obj)]);
        }

        var findings = new List<Finding>();
        IReadOnlyList<CheckCoverage>? coverage = null;
        if (style == "macro")
        {
            findings.AddRange(verification!.Findings);
            var (slotFindings, slotCoverage) = VerifyWrapperSlots(scanned, output.Ops);
            findings.AddRange(slotFindings);
            coverage = [.. verification.Coverage.Where(c => c.Id != slotCoverage.Id), slotCoverage];
            if (scanned.Annotations.Count != output.AnnotatedWrappers)
            {
                findings.Add(new Finding(DiagnosticIds.SiteCountMismatch, Severity.Error,
                    $"{scanned.Annotations.Count} annotation records for {output.AnnotatedWrappers} annotated wrappers, each called once", obj));
            }

            // The generated records must be read back in the format generate wrote them in.
            if (output.Manifest.Record.Format is { } written && scanned.Annotations.Count > 0 && scanned.AnnotationFormat?.Name != written)
            {
                findings.Add(new Finding(DiagnosticIds.RecordFormatMismatch, Severity.Error,
                    $"generate wrote {written} records but the object's pv records read as {scanned.AnnotationFormat?.Name ?? "none"}", obj));
            }
        }

        if (vmi)
        {
            var (vmiFindings, vmiCoverage, records) = vmiVerification ?? ([new Finding(DiagnosticIds.ObjectUnreadable, Severity.Error, "the object could not be opened for its VMI records", obj)], [], 0);
            findings.AddRange(vmiFindings);
            if (records != output.AnnotatedWrappers && vmiFindings.All(f => f.Id != DiagnosticIds.VmiRecordUnreadable))
            {
                findings.Add(new Finding(DiagnosticIds.SiteCountMismatch, Severity.Error,
                    $"{records} {X86.Records.VmiRecordFormat.Name} records for {output.AnnotatedWrappers} recorded wrappers, each called once", obj));
            }

            return new BuildCheck(compiler.Name, style, optimization, true, obj, scanned.Sites.Count, records, findings, X86.Records.VmiRecordFormat.Name, vmiCoverage);
        }

        return new BuildCheck(compiler.Name, style, optimization, true, obj, scanned.Sites.Count, scanned.Annotations.Count, findings, scanned.AnnotationFormat?.Name, coverage);
    }

    /// <summary>The exerciser's function for a wrapper: each wrapper is called once, from its own function.</summary>
    public const string ExerciserPrefix = "pvgen_exercise_";

    /// <summary>
    /// Every record of an exerciser object annotates a call through the slot of the wrapper whose function it lies in
    /// (the wrapper's own, or the exerciser function that inlined it).
    /// For .altinstructions entries, which name no slot, this is the only proof that a wrapper calls its own op.
    /// </summary>
    public static (IReadOnlyList<Finding> Findings, CheckCoverage Coverage) VerifyWrapperSlots(ScannedObject scanned, IReadOnlyList<ManifestOp> ops)
    {
        // Inlined (-O2) the site lies in the exerciser's function; not inlined (-O0) in the wrapper itself.
        var byFunction = ops.Where(o => o.Wrapper is not null && !o.Skipped)
            .SelectMany(o => new[] { (ExerciserPrefix + o.Wrapper, o), (o.Wrapper!, o) })
            .ToDictionary(p => p.Item1, p => p.o, StringComparer.Ordinal);
        int pointerSize = scanned.Machine == "i386" ? 4 : 8;
        var findings = new List<Finding>();
        int examined = 0;
        foreach (var record in scanned.Annotations)
        {
            var site = scanned.Sites.FirstOrDefault(s => s.Section == record.Section && s.Offset >= record.Offset && s.Offset < record.Offset + Math.Max(record.Length, 1));
            if (site?.FunctionSymbol is not { } function || !byFunction.TryGetValue(function, out var op))
            {
                continue;
            }

            examined++;
            if (site.TargetOffset != (long)op.Slot * pointerSize)
            {
                findings.Add(new Finding(DiagnosticIds.WrongSlot, Severity.Error,
                    $"{op.Wrapper}'s site (in {function}) calls {site.Op ?? $"slot {site.Slot}"} (table offset {site.TargetOffset}), not {op.Path}'s slot {op.Slot}",
                    scanned.Path, site.Section, site.Offset, site.Function));
            }
        }

        return (findings, new CheckCoverage(DiagnosticIds.WrongSlot, scanned.AnnotationFormat?.Name ?? "none", examined, findings.Count));
    }

    /// <summary>`pvgen check --object`: verify objects built by anyone against a model and its configuration.</summary>
    public static IReadOnlyList<ObjectCheck> CheckObjects(
        IReadOnlyList<string> files, OpsModel model, IReadOnlyDictionary<int, ExpectedOp> expected, ScanOptions options, int jobs)
    {
        // Verified on the scanning threads while each object is open: one read per file, archive members included.
        return ObjectScanner.InspectAll(files, options, jobs, Verify).ToList();

        ObjectCheck Verify(ScannedObject scanned, ElfObject? elf)
        {
            if (scanned.Error is not null)
            {
                return new ObjectCheck(scanned, [new Finding(DiagnosticIds.ObjectUnreadable, Severity.Error, scanned.Error, scanned.Path)], []);
            }

            if (scanned.Skipped || scanned.Annotations.Count == 0 && scanned.Sites.Count == 0)
            {
                return new ObjectCheck(scanned, [], []);
            }

            var verification = AnnotationVerifier.Run(scanned, model, expected, elf?.Code, callsOnly: true);
            return new ObjectCheck(scanned, verification.Findings, verification.Coverage, verification.NonCallReferences);
        }
    }

    /// <summary>
    /// A warning when no record and no call through the table was found in any object, so that no check applied: saying
    /// "every record verified" after verifying nothing would be a silent wrong answer (the model names another table, or
    /// the objects only take the table's address). Null when something was verified or a finding was made.
    /// </summary>
    public static Finding? NothingVerified(IReadOnlyList<ObjectCheck> results, string symbol)
    {
        bool verified = results.Any(r => r.Object.Annotations.Count > 0 || r.Object.Sites.Any(s => s.Kind is SiteKind.Call or SiteKind.Jmp)
            || r.Findings.Any(f => f.Severity != Severity.Note));
        if (verified || results.Count == 0)
        {
            return null;
        }

        int references = results.Sum(r => r.Object.Sites.Count);
        string where = results.Count == 1 ? results[0].Object.Path : "pvgen check";
        return new Finding(DiagnosticIds.NothingVerified, Severity.Warning,
            $"nothing verified: {results.Count} object(s) hold no pv site record and no call or jmp through '{symbol}' ({references} other reference(s) to it); check that the model names the table these objects call through",
            where);
    }

    /// <summary>Coverage of many objects summed per check and format (an inapplicable check keeps its reason).</summary>
    public static IReadOnlyList<CheckCoverage> Total(IEnumerable<CheckCoverage> coverage) =>
        [.. coverage
            .GroupBy(c => (c.Id, c.Format))
            .Select(g => new CheckCoverage(g.Key.Id, g.Key.Format, g.Sum(c => c.Checked), g.Sum(c => c.Failed), g.Select(c => c.NotApplicable).FirstOrDefault(r => r is not null)))
            .OrderBy(c => c.Format, StringComparer.Ordinal).ThenBy(c => c.Id, StringComparer.Ordinal)];

    /// <summary>How check reads its own builds: the model's table, and the records where the manifest says generate put them.</summary>
    private static ScanOptions ScanOptionsFor(GeneratedOutput output)
    {
        var format = RecordFormats.Find(output.Manifest.Record.Format);
        bool otherSection = format is { Family: RecordFamily.ParaInstructions or RecordFamily.AltInstructions } && output.Manifest.Record.Section != format.Section;
        // A moved section has no format of its own to detect: the manifest's format reads it.
        return otherSection ? ScanOptions.ForModel(output.Model) with { RecordSection = output.Manifest.Record.Section, AnnotationFormat = format } : ScanOptions.ForModel(output.Model);
    }
}
