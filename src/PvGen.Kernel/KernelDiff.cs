using PvGen.Binary;
using PvGen.Checking.Annotations;
using PvGen.Checking.Toolchain;
using PvGen.Clang;
using PvGen.Comparison;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.Model.Kernel;

namespace PvGen.Kernel;

/// <summary>`pvgen diff --kernel-source`: what to build and where.</summary>
public sealed record KernelDiffRequest
{
    /// <summary>An unpacked kernel tree, or Debian's linux-source-X.Y.tar.xz.</summary>
    public required string Source { get; init; }

    /// <summary>The linux-headers-* flavour directory (or the .config file) whose configuration the objects are built with.</summary>
    public required string Build { get; init; }

    public IReadOnlyList<string> Objects { get; init; } = KernelDiff.DefaultObjects;

    /// <summary>Keep the objects as DIR/kernel/..., DIR/macro/..., DIR/plain/... under their tree paths.</summary>
    public string? KeepBuild { get; init; }

    /// <summary>The cache directory (default: see <see cref="KernelCache.Resolve"/>).</summary>
    public string? Cache { get; init; }

    /// <summary>CC for Kbuild (default: the compiler the configuration was made with, when installed, else gcc).</summary>
    public string? Compiler { get; init; }

    /// <summary>Trees built at the same time (each make runs one job so messages stay with their object).</summary>
    public int Jobs { get; init; } = Math.Max(1, Environment.ProcessorCount);

    public string? TemplateDirectory { get; init; }

    /// <summary>Paths in the report are relative to this directory when below it.</summary>
    public string BaseDirectory { get; init; } = Environment.CurrentDirectory;
}

/// <summary>Real kernel objects built three ways with Kbuild and diffed: the kernel's own macros, the macro drop-in, the plain drop-in.</summary>
public static class KernelDiff
{
    /// <summary>
    /// Heavy pv_ops users of Debian's 6.1 and 6.12 kernels (each 16 to 99 sites in 6.1): page-table code in mm/ and
    /// arch/x86/mm, the CPU, process and trap code of arch/x86/kernel (with the KVM guest), and the scheduler core.
    /// </summary>
    public static readonly string[] DefaultObjects =
    [
        "mm/memory.o", "mm/huge_memory.o", "mm/hugetlb.o", "mm/gup.o", "mm/madvise.o", "mm/mremap.o", "mm/khugepaged.o", "mm/mprotect.o",
        "arch/x86/mm/init_64.o", "arch/x86/mm/pat/set_memory.o", "arch/x86/mm/pgtable.o", "arch/x86/mm/tlb.o", "arch/x86/mm/fault.o",
        "arch/x86/kernel/cpu/common.o", "arch/x86/kernel/process.o", "arch/x86/kernel/process_64.o", "arch/x86/kernel/traps.o", "arch/x86/kernel/kvm.o",
        "kernel/sched/core.o", "kernel/sched/fair.o",
    ];

    public static readonly string[] Trees = ["kernel", "macro", "plain"];

    public static DiffReport Run(KernelDiffRequest request, Action<KernelProgress>? progress, List<Diagnostic> diagnostics)
    {
        // Everything that can be checked before any work is: the objects' spelling, the configuration.
        CheckObjectPaths(request.Objects);
        var config = KbuildConfig.Load(request.Build);
        var cache = KernelCache.Resolve(request.Cache);
        var source = cache.Source(request.Source, progress);
        CheckObjectSources(source, request.Objects);
        string cc = request.Compiler ?? config.CompilerCommand ?? "gcc";
        var compiler = CompilerDriver.Discover([cc]).Single();
        string key = Processes.Sha256($"{source.Root}\n{config.Text}\n{cc}")[..12];
        string work = Path.Combine(cache.Root, "builds", $"linux-{source.Version}-{key}");
        using var held = KernelCache.Lock(work, progress);

        var changes = config.SigningChanges;
        foreach (string change in changes)
        {
            progress?.Invoke(new KernelProgress("note", change));
        }

        var trees = Trees.ToDictionary(t => t, t => new KbuildTree(t, t == "kernel" ? source.Root : Path.Combine(work, "trees", t), Path.Combine(work, "out", t)));
        int jobs = Math.Max(1, request.Jobs);
        Kbuild.Configure(trees["kernel"], config, cc, jobs, progress);

        // The import reads paravirt.h with the configured tree's generated headers: exactly the configuration the objects see.
        progress?.Invoke(new KernelProgress("import", "paravirt.h through libclang"));
        var importRequest = new ImportRequest
        {
            ParavirtHeader = source.ParavirtHeader,
            KernelTree = source.Root,
            KernelBuild = trees["kernel"].Output,
            BaseDirectory = source.Root,
        };
        var (imported, importDiagnostics) = KernelImporter.Run(importRequest, Processes.Which(cc));
        diagnostics.AddRange(importDiagnostics);
        if (imported is null)
        {
            throw new PvGenException(importDiagnostics.FirstOrDefault(d => d.Severity == Severity.Error)
                ?? new Diagnostic(DiagnosticIds.ImportUnmatched, Severity.Error, "the import of paravirt.h failed", null));
        }

        var import = imported.Import;
        string typesText = File.ReadAllText(source.TypesHeader);
        string typesRelative = Path.GetRelativePath(source.Root, source.TypesHeader);
        foreach (string style in DropIn.Styles)
        {
            Kbuild.LinkCopy(source.Root, trees[style].Source, progress);
            string text = DropIn.Render(new DropInRequest
            {
                Import = import,
                Style = style,
                Invocation = "pvgen diff --kernel-source KSRC --kernel-build OBJ",
                ParavirtDisplay = Path.GetRelativePath(source.Root, source.ParavirtHeader),
                TypesDisplay = typesRelative,
                TemplateDirectory = request.TemplateDirectory,
            }, typesText);
            Kbuild.Replace(Path.Combine(trees[style].Source, typesRelative), text);
        }

        Parallel.ForEach(DropIn.Styles, new ParallelOptions { MaxDegreeOfParallelism = jobs },
            style => Kbuild.Configure(trees[style], config, cc, Math.Max(1, jobs / 2), progress));
        Kbuild.SameConfiguration(trees.Values.ToList(), config, cc, jobs, progress);

        var built = new System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<KbuildObject>>();
        Parallel.ForEach(Trees, new ParallelOptions { MaxDegreeOfParallelism = jobs },
            tree => built[tree] = Kbuild.Build(trees[tree], request.Objects, cc, progress));

        progress?.Invoke(new KernelProgress("scan", $"{request.Objects.Count} objects x 3 builds"));
        var expected = ExpectedOps.From(import.Model, Config(imported));
        var pairs = request.Objects.Select((obj, i) => new ObjectPair(obj,
            built["macro"][i].Error is null ? built["macro"][i].Path : null, built["plain"][i].Error is null ? built["plain"][i].Path : null,
            built["macro"][i].Error, built["plain"][i].Error)).ToList();
        string opt = config.Value("CONFIG_CC_OPTIMIZE_FOR_SIZE") == "y" ? "Os" : "O2";
        var identity = new BuildIdentity($"kbuild-linux-{source.Version}", compiler.Family, compiler.Version, "x86_64", opt, false);
        var build = DiffRunner.Measure(identity, import.Model, expected, pairs);

        var objects = request.Objects.Select((obj, i) => Object(obj, built["kernel"][i], built["macro"][i], built["plain"][i], trees, import.Model)).ToList();
        var kernel = new KernelReport(
            source.Version,
            PathDisplay.Relative(source.Tarball ?? source.Root, request.BaseDirectory),
            PathDisplay.Relative(config.Path, request.BaseDirectory),
            changes,
            $"{cc} ({compiler.Version})",
            import.Recording == SiteRecording.ParaInstructions ? "parainstructions" : "altinstructions",
            objects,
            new KernelEquivalence(objects.Count, objects.Count(o => o.RecordsEqual), objects.Count(o => o.Identical), objects.Sum(o => o.KernelRecords),
                objects.Sum(o => o.MacroRecords), objects.Sum(o => o.MacroNewWarnings.Count), objects.Sum(o => o.PlainNewWarnings.Count)));
        if (request.KeepBuild is { } keep)
        {
            Keep(Path.GetFullPath(keep, request.BaseDirectory), trees, built, typesRelative);
        }

        return DiffRunner.Report(import.Model, request.Objects, [build], kernel);
    }

    /// <summary>Objects are tree paths, e.g. mm/memory.o, each named once.</summary>
    private static void CheckObjectPaths(IReadOnlyList<string> objects)
    {
        if (objects.Count == 0)
        {
            throw KernelTrees.Unusable("no objects to build");
        }

        foreach (string obj in objects.Where(o => !o.EndsWith(".o", StringComparison.Ordinal) || o.Length < 3 || Path.IsPathRooted(o) || o.Split('/').Contains("..")))
        {
            throw KernelTrees.Unusable($"'{obj}' is not an object path inside the tree (such as mm/memory.o)");
        }

        if (objects.GroupBy(o => o, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw KernelTrees.Unusable($"'{twice.Key}' is named twice");
        }
    }

    /// <summary>Each object is built from a C or assembler source of the tree.</summary>
    private static void CheckObjectSources(KernelSource source, IReadOnlyList<string> objects)
    {
        foreach (string obj in objects)
        {
            string stem = Path.Combine(source.Root, obj[..^2]);
            if (!File.Exists(stem + ".c") && !File.Exists(stem + ".S"))
            {
                throw KernelTrees.Unusable($"'{obj}': the tree has no {obj[..^2]}.c or .S to build it from");
            }
        }
    }

    /// <summary>The per-op settings the measurements read (native length for the room to patch, jump ops), from the import.</summary>
    private static OpsConfig Config(KernelImport imported)
    {
        var ops = new Dictionary<string, OpConfig>(StringComparer.Ordinal);
        foreach (var op in imported.Import.Model.Ops)
        {
            bool jump = imported.Import.CallsOf(op.Path).Any(c => c.Jump);
            if (imported.Natives.TryGetValue(op.Path, out string? native) || jump)
            {
                ops[op.Path] = new OpConfig { Native = native is null ? null : PerTarget<string>.Every(native), Jump = jump ? true : null };
            }
        }

        return new OpsConfig(null, ops);
    }

    private static KernelObjectResult Object(string obj, KbuildObject kernel, KbuildObject macro, KbuildObject plain, IReadOnlyDictionary<string, KbuildTree> trees, OpsModel model)
    {
        var kernelWarnings = kernel.Warnings(trees["kernel"]);
        var macroNew = NewWarnings(macro.Warnings(trees["macro"]), kernelWarnings);
        var plainNew = NewWarnings(plain.Warnings(trees["plain"]), kernelWarnings);
        if (kernel.Error is not null || macro.Error is not null)
        {
            return new KernelObjectResult(obj, kernel.Error, macro.Error, plain.Error, 0, 0, false, false, [], [], kernelWarnings, macroNew, plainNew);
        }

        var options = ScanOptions.ForModel(model);
        var kernelScan = ObjectScanner.ScanFile(kernel.Path, options)[0];
        var macroScan = ObjectScanner.ScanFile(macro.Path, options)[0];
        var differences = new List<string>();
        foreach (var scanned in new[] { kernelScan, macroScan }.Where(s => s.Error is not null))
        {
            differences.Add($"{scanned.Path}: {scanned.Error}");
        }

        static (string, long, int, int, int?) Key(Annotation a) => (a.Section, a.Offset, a.Type, a.Length, a.Clobbers);
        var kernelRecords = kernelScan.Annotations.Select(Key).ToList();
        var macroRecords = macroScan.Annotations.Select(Key).ToList();
        bool recordsEqual = differences.Count == 0 && kernelRecords.SequenceEqual(macroRecords);
        if (!recordsEqual && differences.Count == 0)
        {
            int at = kernelRecords.Zip(macroRecords).TakeWhile(p => p.First == p.Second).Count();
            differences.Add($"records: {kernelRecords.Count} in the kernel's build, {macroRecords.Count} in the macro drop-in's; first difference at record {at}");
        }

        var (identical, sections, sectionDifferences) = ObjectComparison.Compare(kernel.Path, macro.Path);
        differences.AddRange(sectionDifferences);
        return new KernelObjectResult(obj, null, null, plain.Error, kernelRecords.Count, macroRecords.Count, recordsEqual, identical, sections,
            differences.Take(8).ToList(), kernelWarnings, macroNew, plainNew);
    }

    /// <summary>Warnings of a drop-in build the kernel's own build of the same object does not print (as a multiset).</summary>
    private static IReadOnlyList<string> NewWarnings(IReadOnlyList<string> dropIn, IReadOnlyList<string> kernel)
    {
        var remaining = kernel.GroupBy(w => w, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var added = new List<string>();
        foreach (string warning in dropIn)
        {
            if (remaining.TryGetValue(warning, out int left) && left > 0)
            {
                remaining[warning] = left - 1;
            }
            else
            {
                added.Add(warning);
            }
        }

        return added;
    }

    /// <summary>DIR/kernel/..., DIR/macro/..., DIR/plain/...: every object under its tree path, with its Kbuild messages, and each drop-in header.</summary>
    private static void Keep(string directory, IReadOnlyDictionary<string, KbuildTree> trees, IReadOnlyDictionary<string, IReadOnlyList<KbuildObject>> built, string typesRelative)
    {
        foreach (var (name, objects) in built)
        {
            foreach (var obj in objects.Where(o => File.Exists(o.Path)))
            {
                string target = Path.Combine(directory, name, obj.Object);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(obj.Path, target, overwrite: true);
                File.WriteAllLines(target + ".log", obj.Messages);
            }

            if (name != "kernel")
            {
                string header = Path.Combine(directory, name, typesRelative);
                Directory.CreateDirectory(Path.GetDirectoryName(header)!);
                File.Copy(Path.Combine(trees[name].Source, typesRelative), header, overwrite: true);
            }
        }
    }
}
