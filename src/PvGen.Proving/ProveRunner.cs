using System.Collections.Concurrent;
using System.Diagnostics;
using PvGen.Binary;
using PvGen.Binary.Annotating;
using PvGen.Checking.Toolchain;
using PvGen.Model;
using PvGen.Model.IO;
using PvGen.X86.Records;

namespace PvGen.Proving;

/// <summary>One program of the matrix.</summary>
public sealed record ProveKey(PreparedTarget Target, Compiler Compiler, string Optimization, string Style, ProveFormat Format, bool Pic = false)
{
    public string Id => $"{Compiler.Family}-{Target.Target.Arch}-{Optimization}{(Pic ? "-pic" : string.Empty)}-{Style}-{Format.Name}";
}

/// <summary>
/// The prove stage: prepares every target, builds one program per compiler x target x optimisation x style x record
/// format (objects shared where they can be), runs each and compares its two runs.
/// </summary>
public static class ProveRunner
{
    public static ProveReport Run(ProveRequest request, List<Diagnostic> diagnostics, Action<ProveBuild>? onBuildDone = null)
    {
        var prepared = new List<PreparedTarget>();
        foreach (var target in request.Targets)
        {
            prepared.Add(PreparedTarget.Prepare(target, request.Corpus, request.Formats, request.Styles, request.TemplateDirectory,
                Path.Combine(request.WorkDirectory, target.Model.Target.Arch), diagnostics, request.Exerciser));
        }

        var keys = (from target in prepared
                    from compiler in request.Compilers
                    from opt in request.Optimizations
                    from style in request.Styles
                    from pic in request.Pic ?? [false]
                    from format in target.Formats
                    select new ProveKey(target, compiler, opt, style, format, pic)).ToList();
        var builds = new ProveBuild[keys.Count];
        var cache = new ConcurrentDictionary<string, Lazy<IReadOnlyList<string>>>();
        Parallel.For(0, keys.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, request.Jobs) }, i =>
        {
            builds[i] = Build(keys[i], request, cache);
            onBuildDone?.Invoke(builds[i]);
        });

        var model = request.Targets[0].Model;
        return new ProveReport(ProveReport.SchemaId, model.Struct, model.TableSymbol ?? string.Join(",", ScanOptions.ForModel(model).Symbols.Keys),
            [.. request.Corpus.Select(c => PathDisplay.Relative(c, Environment.CurrentDirectory))], builds,
            [.. prepared.SelectMany(p => p.Skipped).Distinct()], Totals(builds));
    }

    private static ProveTotals Totals(IReadOnlyList<ProveBuild> builds)
    {
        var indirect = builds.SelectMany(b => b.LeftIndirect).ToList();
        return new ProveTotals(builds.Count, builds.Count(b => b.Verdict == ProveVerdicts.Proved), builds.Count(b => b.Verdict == ProveVerdicts.Differs),
            builds.Count(b => b.Verdict is ProveVerdicts.BuildFailed or ProveVerdicts.WorkloadFailed),
            builds.Sum(b => b.Records), builds.Sum(b => b.Patched), builds.Sum(b => b.Refused), builds.Sum(b => b.SitesExecuted), builds.Sum(b => b.PatchedNotReached),
            indirect.Count, indirect.GroupBy(s => s.Reason ?? "other").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()));
    }

    /// <summary>Builds, runs and analyses one program; a build problem becomes the build's verdict, never an exception.</summary>
    public static ProveBuild Build(ProveKey key, ProveRequest request, ConcurrentDictionary<string, Lazy<IReadOnlyList<string>>> cache)
    {
        string directory = Path.Combine(key.Target.Directory, "builds", key.Id);
        Directory.CreateDirectory(directory);
        if (key.Style == ProveStyles.Macro && key.Target.MacroErrors.TryGetValue(key.Format.Name, out string? cannot))
        {
            return ProveAnalysis.Failed(key, ProveVerdicts.BuildFailed, cannot);
        }

        try
        {
            var harness = Cached(cache, $"harness {key.Target.Target.Arch} {key.Format.Name} {key.Compiler.Path} {key.Optimization}",
                () => CompileHarness(key, Path.Combine(key.Target.Directory, "objects", $"harness-{key.Format.Name}-{key.Compiler.Family}-{key.Optimization}")));
            string workloadKey = key.Style == ProveStyles.Macro ? $"macro-{key.Format.Name}" : key.Style;
            string model = key.Pic ? "-pic" : string.Empty;
            var workload = Cached(cache, $"workload {key.Target.Target.Arch} {workloadKey} {key.Compiler.Path} {key.Optimization} {key.Pic}",
                () => CompileWorkload(key, request.Corpus, Path.Combine(key.Target.Directory, "objects", $"{workloadKey}-{key.Compiler.Family}-{key.Optimization}{model}")));
            var unpatchable = new List<(string Object, UnpatchableSite Site)>();
            IReadOnlyList<string> linked = workload;
            int? markers = null;
            if (key.Style is ProveStyles.Plain or ProveStyles.Marker)
            {
                linked = Annotate(key, workload, directory, unpatchable, request.AnnotationFault, out markers);
            }

            string exe = Path.Combine(directory, "prove.elf");
            Link(key, [.. harness, .. linked], exe);
            var (exit, output, timedOut) = Execute(exe, request.TimeoutSeconds);
            return ProveAnalysis.Analyse(key, exe, harness, unpatchable, output, exit, timedOut) with { Markers = markers };
        }
        catch (BuildFailure e)
        {
            return ProveAnalysis.Failed(key, ProveVerdicts.BuildFailed, e.Message);
        }
    }

    private static IReadOnlyList<string> Cached(ConcurrentDictionary<string, Lazy<IReadOnlyList<string>>> cache, string key, Func<IReadOnlyList<string>> build)
    {
        var lazy = cache.GetOrAdd(key, _ => new Lazy<IReadOnlyList<string>>(build, LazyThreadSafetyMode.ExecutionAndPublication));
        return lazy.Value;
    }

    /// <summary>The flags every object of the program is built with besides the target's: user space, the kernel's ABI.</summary>
    public static IReadOnlyList<string> AbiFlags(Target target) => target.PointerSize == 8
        ? ["-mcmodel=small", "-mno-red-zone", "-mgeneral-regs-only"]
        : ["-freg-struct-return", "-mgeneral-regs-only"];

    private static IReadOnlyList<string> CompileHarness(ProveKey key, string directory)
    {
        string harness = key.Target.HarnessDirectory(key.Format);
        var objects = new List<string>();
        foreach (string source in PreparedTarget.HarnessSources)
        {
            objects.Add(Compile(key with { Pic = false }, Path.Combine(harness, source), Path.Combine(directory, Path.ChangeExtension(source, ".o")), ["-I" + harness]));
        }

        return objects;
    }

    private static IReadOnlyList<string> CompileWorkload(ProveKey key, IReadOnlyList<string> corpus, string directory)
    {
        string header = key.Target.Header(key.Style, key.Format);
        var objects = new List<string>();
        if (key.Target.WithExerciser)
        {
            objects.Add(Compile(key, key.Target.Exerciser(key.Style, key.Format), Path.Combine(directory, "exercise.o"), ["-DPVGEN_STYLE_" + key.Style.ToUpperInvariant()]));
        }

        foreach (string source in corpus)
        {
            objects.Add(Compile(key, source, Path.Combine(directory, Path.GetFileNameWithoutExtension(source) + ".o"), ["-include", header]));
        }

        return objects;
    }

    private static string Compile(ProveKey key, string source, string output, IReadOnlyList<string> extra)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var flavour = new BuildFlavour(key.Target.Target, key.Optimization, key.Pic);
        var result = CompilerDriver.Compile(key.Compiler, flavour, [source], output, [.. key.Target.Input.CompileFlags, .. AbiFlags(key.Target.Target), .. extra]);
        if (!result.Succeeded)
        {
            throw new BuildFailure($"{key.Compiler.Name} -{key.Optimization} failed on {Path.GetFileName(source)}:{result.Output}");
        }

        return output;
    }

    private static IReadOnlyList<string> Annotate(ProveKey key, IReadOnlyList<string> objects, string directory, List<(string, UnpatchableSite)> unpatchable,
        Func<string, AnnotationPlan, AnnotationPlan>? fault, out int? markers)
    {
        var options = AnnotateOptions(key.Target, key.Format.Format, key.Style);
        var annotated = new List<string>();
        markers = null;
        foreach (string path in objects)
        {
            var result = ObjectAnnotator.Annotate(path, options);
            if (result.Error is not null)
            {
                throw new BuildFailure($"pvgen annotate {Path.GetFileName(path)}: {result.Error}");
            }

            if (fault is not null && fault(Path.GetFileName(path), result.Plan) is { } changed && !ReferenceEquals(changed, result.Plan))
            {
                result = result with { Plan = changed, Output = ObjectAnnotator.Write(File.ReadAllBytes(path), changed.Records, key.Format.Format,
                    slot => options.ClobberMask(key.Target.Target.PointerSize, slot)) };
            }

            string output = Path.Combine(directory, Path.GetFileNameWithoutExtension(path) + ".annotated.o");
            AtomicFile.WriteIfChanged(output, result.Output!);
            annotated.Add(output);
            unpatchable.AddRange(result.Plan.Unpatchable.Select(u => (Path.GetFileName(path), u)));
            if (result.Plan.Markers is int found)
            {
                markers = (markers ?? 0) + found;
            }
        }

        return annotated;
    }

    /// <summary>
    /// What `pvgen annotate` is given for a target: the model, the ops configured as jumps and the callee-save ops; for the
    /// marker style, the sites its markers pair with rather than every reference.
    /// </summary>
    public static AnnotateOptions AnnotateOptions(PreparedTarget target, RecordFormat format, string style = ProveStyles.Plain)
    {
        var jumps = target.Expected.Values.Where(e => e.Jump).Select(e => e.Slot).ToHashSet();
        return new AnnotateOptions(ScanOptions.ForModel(target.Input.Model), format, jumps)
        {
            CalleeSaveSlots = target.Input.Model.Ops.Where(o => o.CalleeSave).Select(o => o.Slot).ToHashSet(),
            Sites = style == ProveStyles.Marker ? AnnotateSites.Markers : AnnotateSites.References,
        };
    }

    private static void Link(ProveKey key, IReadOnlyList<string> objects, string output)
    {
        string script = Path.Combine(key.Target.HarnessDirectory(key.Format), PreparedTarget.LinkerScript);
        var args = new List<string> { key.Target.Target.PointerSize == 8 ? "-m64" : "-m32", "-nostdlib", "-static", "-no-pie",
            "-Wl,--emit-relocs", "-Wl,--build-id=none", "-Wl,-T," + script };
        args.AddRange(objects);
        args.AddRange(["-o", output]);
        var run = CompilerDriver.Run(key.Compiler.Path, args, null, 300);
        if (run.ExitCode != 0)
        {
            throw new BuildFailure("link failed:" + CompilerOutput.Lines(run.ExitCode, run.Stderr, [key.Compiler.Path, .. args]));
        }
    }

    private static (int Exit, string Output, bool TimedOut) Execute(string exe, int timeoutSeconds)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new BuildFailure($"cannot start {exe}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return (-1, stdout.Result, true);
        }

        process.WaitForExit();
        _ = stderr.Result;
        return (process.ExitCode, stdout.Result, false);
    }

    private sealed class BuildFailure(string message) : Exception(message);
}
