using System.Globalization;
using PvGen.Binary;
using PvGen.Checking.Annotations;
using PvGen.Checking.Toolchain;
using PvGen.Model;

namespace PvGen.Comparison;

/// <summary>Builds every cell of the matrix in both styles, scans the objects and measures the six trade-offs.</summary>
public static class DiffRunner
{
    /// <summary>The cells of the matrix, in report order (compiler, target, optimisation, code model).</summary>
    public static IReadOnlyList<BuildKey> Matrix(DiffRequest request) =>
        [.. from compiler in request.Compilers
            from input in request.Targets
            from opt in request.Optimizations
            from pic in request.Pic
            select new BuildKey(compiler, input, opt, pic)];

    /// <param name="onBuildDone">Called (from any thread) when a build is measured, for progress displays.</param>
    public static DiffReport Run(DiffRequest request, Action<BuildResult>? onBuildDone = null)
    {
        var keys = Matrix(request);
        var results = new BuildResult[keys.Count];
        Parallel.For(0, keys.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.Jobs) }, i =>
        {
            results[i] = RunBuild(keys[i], request.Corpus, Path.Combine(request.WorkDirectory, keys[i].Id));
            onBuildDone?.Invoke(results[i]);
        });

        var behaviour = Behaviours(request);
        for (int i = 0; i < results.Length; i++)
        {
            results[i] = results[i] with { Behaviour = behaviour.GetValueOrDefault(results[i].Id) };
        }

        return Report(request.Targets[0].Model, [.. request.Corpus.Select(Display)], results);
    }

    /// <summary>The report over measured builds: verdicts summed over the comparable ones, and the totals.</summary>
    public static DiffReport Report(OpsModel model, IReadOnlyList<string> corpus, IReadOnlyList<BuildResult> builds, KernelReport? kernel = null)
    {
        var ops = Aggregate(builds.Where(Comparable).SelectMany(r => r.Ops));
        return new DiffReport(DiffReport.SchemaId, model.Struct, model.TableSymbol ?? ScanOptions.DefaultSymbol, corpus, builds, ops, Totals(builds, ops), kernel);
    }

    /// <summary>
    /// Measurement 7: every cell of the matrix run as a program in both styles, unpatched and patched (`pvgen prove`, the
    /// target's record format), keyed by the diff's build id.
    /// </summary>
    private static Dictionary<string, Behaviour> Behaviours(DiffRequest request)
    {
        var found = new Dictionary<string, Behaviour>(StringComparer.Ordinal);
        foreach (var input in request.Targets.Where(t => t.Prove is not null))
        {
            var prove = input.Prove!;
            // The format the diff's macro header records in: as generate chooses it.
            var format = prove.Generation.RecordFormat
                ?? (prove.Settings.RecordFormat is { } named ? X86.Records.RecordFormats.Find(named) : null)
                ?? prove.Generation.TreeFacts?.RecordFormat
                ?? X86.Records.RecordFormats.DefaultFor(input.Target.PointerSize);
            var proveRequest = new Proving.ProveRequest([prove], request.Corpus, request.Compilers, request.Optimizations, [format.Name], Proving.ProveStyles.Default,
                TemplateDirectory: null, Path.Combine(request.WorkDirectory, "prove-" + input.Target.Arch), request.Jobs, Pic: request.Pic, Exerciser: false);
            IReadOnlyList<Proving.ProveBuild> builds;
            try
            {
                builds = Proving.ProveRunner.Run(proveRequest, []).Builds;
            }
            catch (PvGenException e)
            {
                var cannot = new StyleBehaviour(Proving.ProveVerdicts.BuildFailed, 0, 0, 0, 0, 0, new Dictionary<string, int>(), e.Diagnostic.Message);
                foreach (var key in Matrix(request).Where(k => k.Input == input))
                {
                    found[key.Id] = new Behaviour(format.Name, cannot, cannot);
                }

                continue;
            }

            foreach (var group in builds.GroupBy(b => $"{b.Compiler}-{b.Target}-{b.Opt}-{(b.Pic ? "pic" : "nopic")}"))
            {
                StyleBehaviour? Of(string style) => group.FirstOrDefault(b => b.Style == style) is { } b
                    ? new StyleBehaviour(b.Verdict, b.Records, b.Patched, b.Refused, b.SitesExecuted, b.PatchedNotReached,
                        b.LeftIndirect.GroupBy(l => l.Reason ?? "other").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
                        b.Verdict == Proving.ProveVerdicts.Proved ? null : b.Difference?.Message ?? (b.Findings.Count > 0 ? b.Findings[0] : null) ?? b.Error)
                    : null;
                found[group.Key] = new Behaviour(format.Name, Of(Proving.ProveStyles.Macro), Of(Proving.ProveStyles.Plain));
            }
        }

        return found;
    }

    /// <summary>Compiles, scans and measures one build; a failed compile or scan becomes the build's error.</summary>
    public static BuildResult RunBuild(BuildKey key, IReadOnlyList<string> corpus, string directory)
    {
        var input = key.Input;
        var pairs = new List<ObjectPair>();
        string? macroError = null, plainError = null;
        foreach (string source in corpus)
        {
            string stem = Path.GetFileNameWithoutExtension(source);
            string macroObject = Path.Combine(directory, "macro", stem + ".o");
            string plainObject = Path.Combine(directory, "plain", stem + ".o");

            // A style that does not build (the macro style's "i" constraint under -fpic) is reported; the other is still measured.
            macroError ??= Try(() => Compile(key, source, input.MacroHeader, macroObject, []));
            plainError ??= Try(() => Compile(key, source, input.PlainHeader, plainObject, []));
            pairs.Add(new ObjectPair(Path.GetFileName(source), macroError is null ? macroObject : null, plainError is null ? plainObject : null, macroError, plainError));
        }

        var identity = new BuildIdentity(key.Id, key.Compiler.Family, key.Compiler.Version, input.Target.Arch, key.Optimization, key.Pic);
        var measured = Measure(identity, input.Model, input.Expected, pairs, (plainObjects, references) => Link(key, plainObjects, corpus, directory, references));

        // The marker style, when asked for: its own objects under DIR/BUILD/marker/, measured beside the other two.
        var scanOptions = ScanOptions.ForModel(input.Model) with { SkipObjectsWithoutSymbol = false };
        return input.MarkerHeader is { } markerHeader ? measured with { Marker = MarkerBuild(key, corpus, markerHeader, directory, scanOptions, input.Expected) } : measured;
    }

    /// <summary>
    /// Scans and measures objects already built in both styles (a corpus compiled here, or real kernel objects built by
    /// Kbuild): a style whose object has an error, or does not scan, is that style's error for the whole build.
    /// </summary>
    /// <param name="link">Measurement 5 over the plain objects and their reference count, or null where no link is made (kernel objects).</param>
    public static BuildResult Measure(BuildIdentity identity, OpsModel model, IReadOnlyDictionary<int, ExpectedOp> expected, IReadOnlyList<ObjectPair> pairs,
        Func<IReadOnlyList<string>, int, LinkResult?>? link = null)
    {
        // Every object is parsed, even one that never names the table: its functions still cost code and saves.
        var scanOptions = ScanOptions.ForModel(model) with { SkipObjectsWithoutSymbol = false };
        var macroSites = new List<SiteRecord>();
        var relocRefs = new List<SiteRecord>();
        var functions = new List<FunctionCost>();
        var plainObjects = new List<string>();
        string? macroError = pairs.Select(p => p.MacroError).FirstOrDefault(e => e is not null);
        string? plainError = pairs.Select(p => p.PlainError).FirstOrDefault(e => e is not null);
        foreach (var pair in pairs)
        {
            string file = pair.File;
            var macroHere = new List<SiteRecord>();
            var relocHere = new List<SiteRecord>();
            IReadOnlyList<ObjectFunction> macroFunctions = [], plainFunctions = [];
            if (macroError is null && pair.MacroObject is { } macroObject)
            {
                macroError = Try(() =>
                {
                    (var macroScan, macroFunctions) = Scan(macroObject, scanOptions);
                    macroHere.AddRange(macroScan.Annotations.Select(a => MacroSite(file, a, macroFunctions, model, expected)));
                });
            }

            if (plainError is null && pair.PlainObject is { } plainObject)
            {
                plainError = Try(() =>
                {
                    (var plainScan, plainFunctions) = Scan(plainObject, scanOptions);
                    relocHere.AddRange(plainScan.Sites.Select(s => RelocSite(file, s, plainFunctions)));
                    plainObjects.Add(plainObject);
                });
            }

            if (macroError is null && plainError is null)
            {
                functions.AddRange(Functions(file, macroFunctions, plainFunctions, macroHere, relocHere));
            }

            macroSites.AddRange(macroHere);
            relocRefs.AddRange(relocHere);
        }

        if (macroError is not null && plainError is not null)
        {
            return Failed(identity, $"macro style: {macroError}; plain style: {plainError}");
        }

        if (macroError is not null)
        {
            macroSites.Clear();
            functions.Clear();
        }

        if (plainError is not null)
        {
            relocRefs.Clear();
            functions.Clear();
        }

        var lost = relocRefs.Where(s => s.Reason is not null).ToList();
        var relocTypes = relocRefs.Where(s => s.RelocType is not null).GroupBy(s => s.RelocType!)
            .Select(g => new RelocTypeCount(g.Key, g.Count())).OrderBy(t => t.Type, StringComparer.Ordinal).ToList();
        var env = new RegisterEnvironment(
            functions.Sum(f => f.MacroSize), functions.Sum(f => f.PlainSize),
            functions.Sum(f => f.MacroSaveInstructions), functions.Sum(f => f.PlainSaveInstructions),
            functions.Sum(f => f.MacroSaveBytes), functions.Sum(f => f.PlainSaveBytes));
        var linked = plainError is null && link is not null ? link(plainObjects, relocRefs.Count) : null;

        return new BuildResult(
            identity.Id, identity.Compiler, identity.CompilerVersion, identity.Target, identity.Opt, identity.Pic, null, macroError, plainError,
            Count(macroSites, expected, model, macro: true),
            Count(relocRefs, expected, model, macro: false),
            env,
            functions,
            [.. macroSites, .. relocRefs],
            lost,
            relocTypes,
            linked,
            macroError is null && plainError is null ? Verdicts(macroSites, relocRefs) : []);
    }

    /// <summary>
    /// The marker style: each corpus file compiled against BASE_marker.h into DIR/BUILD/marker/, scanned, and its markers'
    /// paired sites measured like the other styles' sites (in-place sites, lengths, code, saves), plus the distances.
    /// </summary>
    private static MarkerMeasures MarkerBuild(BuildKey key, IReadOnlyList<string> corpus, string header, string directory, ScanOptions scanOptions,
        IReadOnlyDictionary<int, ExpectedOp> expected)
    {
        var sites = new List<MarkerSite>();
        var paired = new List<SiteRecord>();
        long bytes = 0, saveBytes = 0;
        int saves = 0, unmarked = 0;
        string? error = Try(() =>
        {
            foreach (string source in corpus)
            {
                string file = Path.GetFileName(source);
                string output = Compile(key, source, header, Path.Combine(directory, "marker", Path.GetFileNameWithoutExtension(source) + ".o"), []);
                var (scanned, functions) = Scan(output, scanOptions);
                bytes += functions.Sum(f => f.Size);
                saves += functions.Sum(f => f.SaveInstructions);
                saveBytes += functions.Sum(f => f.SaveBytes);
                var claimed = scanned.Markers.Where(m => m.SiteOffset is not null).Select(m => (m.Section, m.SiteOffset!.Value)).ToHashSet();
                unmarked += scanned.Sites.Where(s => s.Kind is SiteKind.Call or SiteKind.Jmp).Select(s => (s.Section, s.Offset))
                    .Concat(scanned.Sites.SelectMany(s => s.Feeds.Select(f => (s.Section, f.Offset)))).Distinct().Count(at => !claimed.Contains(at));
                foreach (var m in scanned.Markers)
                {
                    string? kind = m.SiteKind is { } k ? Kind(k) : null;
                    var function = ObjectFunctions.At(functions, m.Section, m.Offset);
                    sites.Add(new MarkerSite(file, m.Section, m.Offset, function?.Name ?? m.FunctionSymbol ?? m.Section, m.Op, m.SiteOffset, kind, m.SiteLength,
                        m.Distance, m.InstructionsBetween, m.Unpaired));
                    if (m.SiteOffset is { } at && kind is not null)
                    {
                        paired.Add(new SiteRecord("marker", file, m.Section, at, function?.Name ?? m.Section, at - (function?.Offset ?? 0), m.SiteLength ?? 0, kind, m.Op, m.RelocType, null));
                    }
                }
            }
        });
        if (error is not null)
        {
            return new MarkerMeasures(error, ApproachCounts.Empty, 0, 0, 0, new Dictionary<long, int>(), 0, 0, 0, 0, [], 0);
        }

        var counts = Count(paired, expected, key.Input.Model, macro: true) with { References = sites.Count };
        var distances = sites.Where(s => s.Distance is not null).GroupBy(s => s.Distance!.Value).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
        return new MarkerMeasures(null, counts, sites.Count, paired.Count, sites.Count - paired.Count, distances, distances.Count == 0 ? 0 : distances.Keys.Max(),
            bytes, saves, saveBytes, sites, unmarked);
    }

    private static string? Try(Action body)
    {
        try
        {
            body();
            return null;
        }
        catch (BuildFailed e)
        {
            return e.Message;
        }
    }

    private static BuildResult Failed(BuildIdentity id, string error) => new(
        id.Id, id.Compiler, id.CompilerVersion, id.Target, id.Opt, id.Pic, error, null, null,
        ApproachCounts.Empty, ApproachCounts.Empty, RegisterEnvironment.Empty, [], [], [], [], null, []);

    /// <summary>
    /// Errors the kernel's own Makefile makes of warnings, for corpus builds: a call to a wrapper the header no longer
    /// declares (a removed op) must fail the build, as in the kernel, not be measured as a call to an unknown function.
    /// </summary>
    public static readonly IReadOnlyList<string> KernelErrors = ["-Werror=implicit-function-declaration"];

    private static string Compile(BuildKey key, string source, string header, string output, IReadOnlyList<string> extra)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var result = CompilerDriver.Compile(key.Compiler, key.Flavour, [source], output,
            [.. key.Input.CompileFlags, "-include", header, .. KernelErrors, .. extra]);
        if (!result.Succeeded)
        {
            // Name files inside the (possibly temporary) build directory relative to it, so reports do not depend on it.
            string work = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(output)!)!)!;
            string why = result.Output.Replace(work + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal);
            throw new BuildFailed($"{key.Compiler.Name} failed on {Path.GetFileName(source)} ({Path.GetFileName(header)}):{why}");
        }

        return output;
    }

    /// <summary>The object's sites and its functions' costs, from one read of it.</summary>
    private static (ScannedObject Scanned, IReadOnlyList<ObjectFunction> Functions) Scan(string path, ScanOptions options)
    {
        var (scanned, functions) = ObjectScanner.Inspect(path, options, (scanned, elf) => (scanned, elf is null ? [] : ObjectFunctions.From(elf)))[0];
        return scanned.Error is null ? (scanned, functions) : throw new BuildFailed($"{path}: {scanned.Error}");
    }

    private static SiteRecord MacroSite(string file, Annotation record, IReadOnlyList<ObjectFunction> functions, OpsModel model, IReadOnlyDictionary<int, ExpectedOp> expected)
    {
        var function = ObjectFunctions.At(functions, record.Section, record.Offset);
        string? op = model.Ops.FirstOrDefault(o => o.Slot == record.Type)?.Path;
        bool jump = expected.TryGetValue(record.Type, out var e) && e.Jump;
        return new SiteRecord("macro", file, record.Section, record.Offset, function?.Name ?? record.Section,
            record.Offset - (function?.Offset ?? 0), record.Length, jump ? "jmp" : "call", op, null, null);
    }

    private static SiteRecord RelocSite(string file, Site site, IReadOnlyList<ObjectFunction> functions)
    {
        var function = ObjectFunctions.At(functions, site.Section, site.Offset);
        string? reason = site.Kind switch
        {
            SiteKind.Call => null,
            SiteKind.Jmp => "tail-jump",
            SiteKind.Load when site.ViaGot => "got",
            SiteKind.Load when site.Feeds.Count == 1 && site.Feeds[0].Thunk => "retpoline",
            SiteKind.Load when site.Feeds.Count > 1 => "load-reused",
            SiteKind.Load => "load",
            SiteKind.Address => "address",
            _ => "other",
        };
        return new SiteRecord("reloc", file, site.Section, site.Offset, function?.Name ?? site.FunctionSymbol ?? site.Section,
            site.Offset - (function?.Offset ?? site.Offset - site.FunctionOffset), site.Length, Kind(site.Kind), site.Op, site.RelocType, reason, site.Feeds.Count,
            site.Op is null && site.Feeds.Count > 0 ? site.ReachedOps : null);
    }

    private static string Kind(SiteKind kind) => kind switch
    {
        SiteKind.Call => "call",
        SiteKind.Jmp => "jmp",
        SiteKind.Load => "load",
        SiteKind.Address => "address",
        _ => "other",
    };

    private static bool InPlace(SiteRecord site) => site.Approach == "macro" || site.Kind is "call" or "jmp";

    private static IEnumerable<FunctionCost> Functions(string file, IReadOnlyList<ObjectFunction> macro, IReadOnlyList<ObjectFunction> plain,
        List<SiteRecord> macroSites, List<SiteRecord> relocSites)
    {
        var names = macro.Select(f => f.Name).Concat(plain.Select(f => f.Name)).Distinct().Order(StringComparer.Ordinal);
        foreach (string name in names)
        {
            var m = macro.FirstOrDefault(f => f.Name == name);
            var p = plain.FirstOrDefault(f => f.Name == name);
            yield return new FunctionCost(file, name, m?.Size ?? 0, p?.Size ?? 0,
                m?.SaveInstructions ?? 0, p?.SaveInstructions ?? 0, m?.SaveBytes ?? 0, p?.SaveBytes ?? 0,
                macroSites.Count(s => s.Function == name), relocSites.Count(s => s.Function == name && InPlace(s)));
        }
    }

    private static ApproachCounts Count(List<SiteRecord> sites, IReadOnlyDictionary<int, ExpectedOp> expected, OpsModel model, bool macro)
    {
        var inPlace = sites.Where(InPlace).ToList();
        var nativeBySlot = model.Ops.ToDictionary(o => o.Path, o => expected.TryGetValue(o.Slot, out var e) ? e.NativeLength : null);
        int TooShortForNative(SiteRecord s) => s.Op is not null && nativeBySlot.TryGetValue(s.Op, out var n) && n is { } length && length > s.Length ? 1 : 0;
        return new ApproachCounts(
            inPlace.Count,
            inPlace.Count(s => s.Kind == "call"),
            inPlace.Count(s => s.Kind == "jmp"),
            macro ? inPlace.Count : sites.Count,
            macro ? 0 : sites.Count,
            sites.Count(s => s.Kind == "load"),
            sites.Count(s => s.Kind == "address"),
            sites.Count(s => s.Kind == "other"),
            sites.Count(s => s.Reason == "got"),
            inPlace.GroupBy(s => s.Length).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
            inPlace.Count(s => s.Length < AnnotationVerifier.DirectCallLength),
            inPlace.Sum(TooShortForNative));
    }

    /// <summary>Per op: macro records vs reloc in-place sites, matched per file and function.</summary>
    private static IReadOnlyList<OpVerdict> Verdicts(List<SiteRecord> macro, List<SiteRecord> reloc)
    {
        var m = macro.Where(s => s.Op is not null).GroupBy(s => (s.Op!, s.File, s.Function)).ToDictionary(g => g.Key, g => g.Count());
        var r = reloc.Where(s => s.Op is not null && InPlace(s)).GroupBy(s => (s.Op!, s.File, s.Function)).ToDictionary(g => g.Key, g => g.Count());
        var verdicts = new List<OpVerdict>();
        foreach (var op in m.Keys.Concat(r.Keys).Select(k => k.Item1).Distinct().Order(StringComparer.Ordinal))
        {
            var keys = m.Keys.Concat(r.Keys).Where(k => k.Item1 == op).Distinct().ToList();
            int misses = keys.Sum(k => Math.Max(0, m.GetValueOrDefault(k) - r.GetValueOrDefault(k)));
            int extra = keys.Sum(k => Math.Max(0, r.GetValueOrDefault(k) - m.GetValueOrDefault(k)));
            verdicts.Add(Verdict(op, keys.Sum(m.GetValueOrDefault), keys.Sum(r.GetValueOrDefault), misses, extra));
        }

        return verdicts;
    }

    private static OpVerdict Verdict(string op, int macro, int reloc, int misses, int extra) =>
        new(op, macro, reloc, misses, extra, (misses, extra) switch
        {
            (0, 0) => "both agree",
            (_, 0) => $"reloc misses {misses}",
            (0, _) => $"reloc finds extra {extra}",
            _ => $"reloc misses {misses}, finds extra {extra}",
        });

    private static IReadOnlyList<OpVerdict> Aggregate(IEnumerable<OpVerdict> verdicts) =>
        [.. verdicts.GroupBy(v => v.Op).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Verdict(g.Key, g.Sum(v => v.Macro), g.Sum(v => v.Reloc), g.Sum(v => v.Misses), g.Sum(v => v.Extra)))];

    /// <summary>Side-by-side numbers over builds where both styles built; reloc-only numbers over builds where the plain style built.</summary>
    private static DiffTotals Totals(IReadOnlyList<BuildResult> builds, IReadOnlyList<OpVerdict> ops)
    {
        var ok = builds.Where(Comparable).ToList();
        var plain = builds.Where(b => b.Error is null && b.PlainError is null).ToList();
        var lost = plain.SelectMany(b => b.Lost).ToList();
        var links = plain.Where(b => b.Link is { Error: null }).Select(b => b.Link!).ToList();
        var markers = builds.Select(b => b.Marker).Where(m => m is { Error: null }).Select(m => m!).ToList();
        bool markerStyle = builds.Any(b => b.Marker is not null);
        return new DiffTotals(
            builds.Count, builds.Count(b => b.Error is not null), builds.Count(b => b.MacroError is not null), builds.Count(b => b.PlainError is not null), ok.Count,
            ok.Sum(b => b.Macro.Sites), ok.Sum(b => b.Reloc.Sites), ok.Sum(b => b.Reloc.Calls), ok.Sum(b => b.Reloc.Jumps), ok.Sum(b => b.Reloc.References),
            lost.Count, lost.Count(s => s.Reason == "tail-jump"), lost.Count(s => s.Reason == "got"),
            lost.Count(s => s.Reason is "load" or "load-reused"), lost.Count(s => s.Reason == "address"), lost.Count(s => s.Reason == "retpoline"),
            ok.Sum(b => b.Macro.TooShortForCall), ok.Sum(b => b.Reloc.TooShortForCall),
            ok.Sum(b => b.Macro.TooShortForNative), ok.Sum(b => b.Reloc.TooShortForNative),
            ok.Sum(b => b.RegisterEnvironment.MacroBytes), ok.Sum(b => b.RegisterEnvironment.PlainBytes),
            ok.Sum(b => b.RegisterEnvironment.MacroSaveInstructions), ok.Sum(b => b.RegisterEnvironment.PlainSaveInstructions),
            ops.Count(o => o.Misses == 0 && o.Extra == 0), ops.Count(o => o.Misses > 0), ops.Count(o => o.Extra > 0),
            links.Count(l => l.ObjectReferences > 0 && l.WithEmitRelocs == l.ObjectReferences),
            links.Count(l => l.ObjectReferences > 0 && l.WithoutEmitRelocs == l.ObjectReferences),
            links.Count,
            builds.Count(b => b.Behaviour is not null),
            builds.Count(b => b.Behaviour?.Macro?.Verdict == Proving.ProveVerdicts.Proved),
            builds.Count(b => b.Behaviour?.Plain?.Verdict == Proving.ProveVerdicts.Proved),
            builds.Sum(b => b.Behaviour?.Macro?.Patched ?? 0),
            builds.Sum(b => b.Behaviour?.Plain?.Patched ?? 0),
            builds.Sum(b => b.Behaviour?.Plain?.LeftIndirectTotal ?? 0))
        {
            MarkerSites = markerStyle ? markers.Sum(m => m.Markers) : null,
            MarkerPaired = markerStyle ? markers.Sum(m => m.Paired) : null,
            MarkerUnpaired = markerStyle ? markers.Sum(m => m.Unpaired) : null,
            MarkerJumps = markerStyle ? markers.Sum(m => m.Counts.Jumps) : null,
            MarkerOnSite = markerStyle ? markers.Sum(m => m.Distances.GetValueOrDefault(0)) : null,
            MarkerMaxDistance = markerStyle ? markers.Select(m => m.MaxDistance).DefaultIfEmpty(0).Max() : null,
            MarkerBytes = markerStyle ? markers.Sum(m => m.CodeBytes) : null,
            MarkerSaveInstructions = markerStyle ? markers.Sum(m => m.SaveInstructions) : null,
            MarkerStyleFailed = markerStyle ? builds.Count(b => b.Marker is { Error: not null }) : null,
        };
    }

    /// <summary>Both styles built, so the build's numbers can be put side by side.</summary>
    public static bool Comparable(BuildResult build) => build.Error is null && build.MacroError is null && build.PlainError is null;

    /// <summary>
    /// Measurement 5: links the plain-style objects with a stub that defines the table and _start, once with and once
    /// without --emit-relocs, and scans both executables for the references the objects had.
    /// </summary>
    private static LinkResult Link(BuildKey key, IReadOnlyList<string> plainObjects, IReadOnlyList<string> corpus, string directory, int objectReferences)
    {
        string linkDir = Path.Combine(directory, "link");
        Directory.CreateDirectory(linkDir);
        var model = key.Input.Model;
        string symbol = model.TableSymbol ?? ScanOptions.DefaultSymbol;
        string stub = Path.Combine(linkDir, "stub.c");
        File.WriteAllText(stub, string.Create(CultureInfo.InvariantCulture,
            $"/* Generated by pvgen diff: defines the table and an entry point so the caller objects link. */\nchar {symbol}[{Math.Max(1, model.StructSize)}] __attribute__((aligned(64)));\nvoid _start(void) {{ for (;;) {{ }} }}\n"));
        string? codeModel = key.Input.Target.PointerSize == 8 && !key.Pic ? "kernel" : null;
        string? note = null;
        try
        {
            var objects = plainObjects.ToList();
            objects.Add(CompileLinkObject(key, stub, Path.Combine(linkDir, "stub.o"), codeModel is null ? [] : ["-mcmodel=" + codeModel]));
            string with = Path.Combine(linkDir, "with-emit-relocs");
            string without = Path.Combine(linkDir, "without-emit-relocs");
            string? error = LinkExecutable(key, objects, with, emitRelocs: true);
            if (error is not null && codeModel == "kernel")
            {
                // A normal executable cannot always hold -mcmodel=kernel code: rebuild the link objects with the small model.
                codeModel = "small";
                note = "-mcmodel=kernel did not link as an executable (" + error + "); link objects rebuilt with -mcmodel=small";
                objects = [.. corpus.Select(source => CompileLinkObject(key, source, Path.Combine(linkDir, Path.GetFileNameWithoutExtension(source) + ".o"),
                    ["-mcmodel=small"], key.Input.PlainHeader)),
                    CompileLinkObject(key, stub, Path.Combine(linkDir, "stub.o"), ["-mcmodel=small"])];
                error = LinkExecutable(key, objects, with, emitRelocs: true);
            }

            error ??= LinkExecutable(key, objects, without, emitRelocs: false);
            if (error is not null)
            {
                return new LinkResult(codeModel, note, error, objectReferences, 0, 0, []);
            }

            // Only relocations count here: whether they survive the link is the question, not whether the code can be decoded.
            var options = ScanOptions.ForModel(model) with { SkipObjectsWithoutSymbol = false, SiteDiscovery = SiteDiscovery.Relocations };
            var withScan = ObjectScanner.ScanFile(with, options)[0];
            var withoutScan = ObjectScanner.ScanFile(without, options)[0];
            var types = withScan.Sites.GroupBy(s => s.RelocType ?? "none").Select(g => new RelocTypeCount(g.Key, g.Count())).OrderBy(t => t.Type, StringComparer.Ordinal).ToList();
            return new LinkResult(codeModel, note, withScan.Error ?? withoutScan.Error, objectReferences, withScan.Sites.Count, withoutScan.Sites.Count, types);
        }
        catch (BuildFailed e)
        {
            return new LinkResult(codeModel, note, e.Message, objectReferences, 0, 0, []);
        }
    }

    private static string CompileLinkObject(BuildKey key, string source, string output, IReadOnlyList<string> extra, string? header = null)
    {
        var flags = header is null ? extra : [.. key.Input.CompileFlags, "-include", header, .. KernelErrors, .. extra];
        var result = CompilerDriver.Compile(key.Compiler, key.Flavour, [source], output, flags);
        return result.Succeeded ? output : throw new BuildFailed($"link object {Path.GetFileName(source)}:{result.Output}");
    }

    /// <summary>Links with the compiler driver as a static, non-PIE executable without libc; returns the error or null.</summary>
    private static string? LinkExecutable(BuildKey key, IReadOnlyList<string> objects, string output, bool emitRelocs)
    {
        var args = new List<string> { key.Input.Target.PointerSize == 8 ? "-m64" : "-m32", "-nostdlib", "-static", "-no-pie",
            "-Wl,--unresolved-symbols=ignore-all", "-Wl,--allow-multiple-definition", "-Wl,--build-id=none" };
        if (emitRelocs)
        {
            args.Add("-Wl,--emit-relocs");
        }

        args.AddRange(objects);
        args.AddRange(["-o", output]);
        var run = CompilerDriver.Run(key.Compiler.Path, args, null, 300);
        if (run.ExitCode == 0)
        {
            return null;
        }

        return "link failed:" + CompilerOutput.Lines(run.ExitCode, run.Stderr, [key.Compiler.Path, .. args]);
    }

    private static string Display(string path) => PathDisplay.Relative(path, Environment.CurrentDirectory);

    private sealed class BuildFailed(string message) : Exception(message);
}
