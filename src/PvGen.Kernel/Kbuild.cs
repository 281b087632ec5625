using PvGen.Model.IO;

namespace PvGen.Kernel;

/// <summary>A distribution's kernel configuration (the .config of a linux-headers-* flavour directory).</summary>
/// <param name="CompilerCommand">The compiler named by CONFIG_CC_VERSION_TEXT ("gcc-12"), when it is installed.</param>
public sealed record KbuildConfig(string Path, string Text, string? CompilerCommand)
{
    /// <summary>Settings that need files a distribution keeps outside its source package (its signing certificates).</summary>
    public static readonly string[] SigningSettings = ["SYSTEM_TRUSTED_KEYS", "SYSTEM_REVOCATION_KEYS", "MODULE_SIG_KEY"];

    public static KbuildConfig Load(string buildTreeOrFile)
    {
        string file = Directory.Exists(buildTreeOrFile) ? System.IO.Path.Combine(buildTreeOrFile, ".config") : buildTreeOrFile;
        if (!File.Exists(file))
        {
            throw KernelTrees.Unusable($"no kernel configuration at '{file}' (give the linux-headers-* flavour directory that holds .config)");
        }

        string text = File.ReadAllText(file);
        var config = new KbuildConfig(System.IO.Path.GetFullPath(file), text, null);
        if (config.Value("CONFIG_X86_64") != "y")
        {
            throw KernelTrees.Unusable($"'{file}' does not configure an x86-64 kernel (CONFIG_X86_64 is not y)");
        }

        if (config.Value("CONFIG_PARAVIRT") != "y")
        {
            throw KernelTrees.Unusable($"'{file}' does not enable CONFIG_PARAVIRT: such a kernel has no pv call sites");
        }

        string? compiler = config.Value("CONFIG_CC_VERSION_TEXT")?.Trim('"').Split(' ')[0];
        return config with { CompilerCommand = compiler is { Length: > 0 } && Processes.Which(compiler) is not null ? compiler : null };
    }

    /// <summary>Options this configuration sets to y that <paramref name="result"/> (the .config after olddefconfig) does not.</summary>
    public IReadOnlyList<string> Dropped(string result)
    {
        var kept = result.Split('\n').Where(l => l.EndsWith("=y", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        return [.. Text.Split('\n').Where(l => l.StartsWith("CONFIG_", StringComparison.Ordinal) && l.EndsWith("=y", StringComparison.Ordinal) && !kept.Contains(l)).Select(l => l[..^2])];
    }

    /// <summary>The value of NAME=VALUE, or null when the option is unset.</summary>
    public string? Value(string name)
    {
        foreach (string line in Text.Split('\n'))
        {
            if (line.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return line[(name.Length + 1)..];
            }
        }

        return null;
    }

    /// <summary>What emptying the signing settings changes, one sentence per setting (the run says them).</summary>
    public IReadOnlyList<string> SigningChanges => [.. SigningSettings.Select(s => Value("CONFIG_" + s) switch
    {
        null => $"CONFIG_{s} set to \"\" with scripts/config (it was not set)",
        "\"\"" => $"CONFIG_{s} set to \"\" with scripts/config (it was already empty)",
        var v => $"CONFIG_{s} emptied with scripts/config (it named {v}, a file of the distribution's build that its source package does not have)",
    })];
}

/// <summary>One Kbuild tree: a source directory and its out-of-tree build directory (make O=).</summary>
/// <param name="Name">kernel (the kernel's own macros), macro or plain (a drop-in).</param>
public sealed record KbuildTree(string Name, string Source, string Output);

/// <summary>What Kbuild made of one object.</summary>
/// <param name="Object">Tree-relative, e.g. mm/memory.o.</param>
/// <param name="Rebuilt">Compiled in this run (else the object and its messages are the previous run's).</param>
/// <param name="Messages">The compiler's and objtool's output for this object (warnings, notes, errors).</param>
/// <param name="Error">Why the object is missing, or null.</param>
public sealed record KbuildObject(string Object, string Path, bool Rebuilt, IReadOnlyList<string> Messages, string? Error)
{
    /// <summary>The warning and error lines, with the tree's absolute paths taken out, so two trees can be compared.</summary>
    public IReadOnlyList<string> Warnings(KbuildTree tree) =>
        [.. Messages.Where(m => m.Contains("warning:", StringComparison.Ordinal) || m.Contains("error:", StringComparison.Ordinal))
            .Select(m => m.Replace(tree.Source.TrimEnd('/') + "/", string.Empty, StringComparison.Ordinal)
                .Replace(tree.Output.TrimEnd('/') + "/", string.Empty, StringComparison.Ordinal).Replace("./", string.Empty, StringComparison.Ordinal).Trim())];
}

/// <summary>Drives the kernel's own build system: configure once per tree, then build single objects (objtool runs as in a real build).</summary>
public static class Kbuild
{
    /// <summary>A hard-link copy of <paramref name="source"/> (cp -al), made once; files replaced later (the drop-in) get their own inode.</summary>
    public static void LinkCopy(string source, string destination, Action<KernelProgress>? progress)
    {
        string marker = Path.Combine(destination, ".pvgen-link-copy");
        if (File.Exists(marker) && File.ReadAllText(marker) == source + "\n")
        {
            return;
        }

        progress?.Invoke(new KernelProgress("copy", $"hard-link copy of {source} for {Path.GetFileName(destination)}"));
        if (Directory.Exists(destination))
        {
            Directory.Delete(destination, recursive: true);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        string cp = Processes.Which("cp") ?? throw KernelTrees.Unusable("cp is not installed");
        var run = Processes.Run(cp, ["-al", source, destination]);
        if (run.ExitCode != 0)
        {
            throw KernelTrees.Unusable($"cp -al {source} {destination} failed (the cache must be on the same file system as the source): {run.Tail(3)}");
        }

        File.WriteAllText(marker, source + "\n");
    }

    /// <summary>
    /// Writes a file of the tree without touching the original it may be hard-linked to (write to a new inode, then
    /// rename), and only when the content changes, so make rebuilds only what depends on a real change.
    /// </summary>
    public static bool Replace(string path, string content) => AtomicFile.WriteIfChanged(path, content);

    /// <summary>
    /// The distribution's configuration, with its signing settings emptied, run through olddefconfig and prepare
    /// (which builds objtool). Skipped when the tree was configured from the same input before.
    /// </summary>
    /// <returns>False when the tree was already configured (nothing ran).</returns>
    public static bool Configure(KbuildTree tree, KbuildConfig config, string compiler, int jobs, Action<KernelProgress>? progress)
    {
        Directory.CreateDirectory(tree.Output);
        string stamp = Path.Combine(tree.Output, ".pvgen-configured");
        string identity = Processes.Sha256($"{tree.Source}\n{compiler}\n{config.Text}");
        if (File.Exists(stamp) && File.ReadAllText(stamp) == identity && File.Exists(Path.Combine(tree.Output, "include", "generated", "autoconf.h")))
        {
            return false;
        }

        File.Delete(stamp);
        string dotConfig = Path.Combine(tree.Output, ".config");
        if (Processes.Run("test", ["-c", "/dev/null"]).ExitCode != 0)
        {
            // Kconfig probes the compiler with "-x c /dev/null": a regular file there makes its probes fail at random.
            throw KernelTrees.Unusable("/dev/null is not a character device on this machine (something replaced it with a file): Kconfig's compiler probes read it; recreate it with 'mknod -m 666 /dev/null c 1 3'");
        }

        // Kconfig probes the compiler (cc-option, the stack-protector test); a probe that cannot run (a machine out of
        // processes, /dev/null not a device) silently turns an option off, and the trees would then differ. An option the
        // distribution enables that olddefconfig drops may be such a failure: run it again until two runs agree.
        IReadOnlyList<string> dropped = [];
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            File.WriteAllText(dotConfig, config.Text);
            var args = new List<string> { "--file", dotConfig };
            foreach (string setting in KbuildConfig.SigningSettings)
            {
                args.AddRange(["--set-str", setting, string.Empty]);
            }

            var edited = Processes.Run(Path.Combine(tree.Source, "scripts", "config"), args, tree.Source);
            if (edited.ExitCode != 0)
            {
                throw Failed(tree, "scripts/config", edited);
            }

            progress?.Invoke(new KernelProgress("configure", $"{tree.Name}: make olddefconfig" + (attempt > 1 ? $" (again: it dropped {string.Join(", ", dropped)})" : string.Empty)));
            var olddefconfig = Make(tree, compiler, 1, ["olddefconfig"], null);
            if (olddefconfig.ExitCode != 0)
            {
                throw Failed(tree, "make olddefconfig", olddefconfig);
            }

            // The same options dropped twice is the compiler's answer (6.12's BTF options need pahole), not a failed probe.
            var now = config.Dropped(File.ReadAllText(dotConfig));
            bool stable = now.SequenceEqual(dropped);
            dropped = now;
            if (dropped.Count == 0 || stable)
            {
                break;
            }
        }

        if (dropped.Count > 0)
        {
            progress?.Invoke(new KernelProgress("note", $"{tree.Name}: olddefconfig turns off {string.Join(", ", dropped)} of the distribution's configuration with {compiler}"));
        }

        progress?.Invoke(new KernelProgress("prepare", $"{tree.Name}: make prepare (builds objtool)"));
        var prepare = Make(tree, compiler, jobs, ["prepare"], null);
        if (prepare.ExitCode != 0)
        {
            throw Failed(tree, "make prepare", prepare);
        }

        File.WriteAllText(stamp, identity);
        return true;
    }

    /// <summary>
    /// The trees must build with one configuration, or the three builds would not be comparable. A tree whose .config
    /// differs from the one that kept most of the distribution's options (a compiler probe failed while it was
    /// configured, maybe in an earlier run) is configured again, twice at most; then the difference is an error.
    /// </summary>
    public static void SameConfiguration(IReadOnlyList<KbuildTree> trees, KbuildConfig config, string compiler, int jobs, Action<KernelProgress>? progress)
    {
        for (int attempt = 0; ; attempt++)
        {
            var texts = trees.ToDictionary(t => t, t => File.ReadAllText(Path.Combine(t.Output, ".config")));
            var reference = trees.OrderBy(t => config.Dropped(texts[t]).Count).First();
            var differing = trees.Where(t => texts[t] != texts[reference]).ToList();
            if (differing.Count == 0)
            {
                return;
            }

            var lines = texts[reference].Split('\n');
            var other = texts[differing[0]].Split('\n');
            var differ = lines.Except(other).Concat(other.Except(lines)).Where(l => l.Contains("CONFIG_", StringComparison.Ordinal)).Take(6).ToList();
            if (attempt == 2)
            {
                throw PvGen.Model.PvGenException.Error(PvGen.Model.DiagnosticIds.KbuildFailed,
                    $"Kconfig configures the {reference.Name} and {differing[0].Name} trees differently ({string.Join(", ", differ)}) however often it runs: a compiler probe of olddefconfig fails");
            }

            foreach (var tree in differing)
            {
                progress?.Invoke(new KernelProgress("note", $"{tree.Name}: its configuration differs from the {reference.Name} tree's ({string.Join(", ", differ)}); configuring it again"));
                File.Delete(Path.Combine(tree.Output, ".pvgen-configured"));
                Configure(tree, config, compiler, jobs, progress);
            }
        }
    }

    /// <summary>
    /// Builds the objects in one make run (-k, one job so that every message follows the Kbuild line of its object).
    /// Messages are kept next to each object (OBJ.pvgen.log), so an object make did not need to rebuild keeps its own.
    /// </summary>
    public static IReadOnlyList<KbuildObject> Build(KbuildTree tree, IReadOnlyList<string> objects, string compiler, Action<KernelProgress>? progress)
    {
        var before = objects.ToDictionary(o => o, o => File.Exists(Path.Combine(tree.Output, o)) ? File.GetLastWriteTimeUtc(Path.Combine(tree.Output, o)) : DateTime.MinValue);
        var messages = objects.ToDictionary(o => o, _ => new List<string>());
        var wanted = objects.ToHashSet(StringComparer.Ordinal);
        string? current = null;
        int done = 0;
        progress?.Invoke(new KernelProgress("build", $"{tree.Name}: {objects.Count} objects", 0, objects.Count));
        var run = Make(tree, compiler, 1, ["-k", .. objects], line =>
        {
            if (QuietLine(line) is { } target)
            {
                current = wanted.Contains(target.Object) ? target.Object : null;
                if (current is not null && target.Tag == "CC")
                {
                    progress?.Invoke(new KernelProgress("build", $"{tree.Name}: {current}", Interlocked.Increment(ref done), objects.Count));
                }
            }
            else if (current is not null && !line.StartsWith("make", StringComparison.Ordinal))
            {
                messages[current].Add(line);
            }
        });

        var results = new List<KbuildObject>();
        foreach (string obj in objects)
        {
            string path = Path.Combine(tree.Output, obj);
            string log = path + ".pvgen.log";
            bool exists = File.Exists(path);
            bool rebuilt = exists && File.GetLastWriteTimeUtc(path) != before[obj];
            if (rebuilt)
            {
                AtomicFile.WriteIfChanged(log, string.Join('\n', messages[obj]) + "\n");
            }

            var kept = rebuilt ? messages[obj] : File.Exists(log) ? [.. File.ReadAllLines(log).Where(l => l.Length > 0)] : messages[obj];
            string? error = exists ? null
                : $"{tree.Name}: Kbuild did not produce {obj} (make exit {run.ExitCode}):"
                  + Indented(messages[obj].Count > 0 ? messages[obj] : run.Tail(4).Split('\n'));
            results.Add(new KbuildObject(obj, path, rebuilt, kept, error));
        }

        progress?.Invoke(new KernelProgress("build", $"{tree.Name}: done", objects.Count, objects.Count));
        return results;
    }

    /// <summary>make's own lines, each on its own line under our message (as the compilers' are), never an empty message.</summary>
    private static string Indented(IEnumerable<string> lines)
    {
        var kept = lines.Where(l => l.Trim().Length > 0).ToList();
        return kept.Count == 0 ? "\n  make printed nothing about it" : string.Concat(kept.Take(30).Select(l => "\n  " + l));
    }

    /// <summary>"  CC      mm/memory.o" (Kbuild's quiet command line: two spaces, a tag, spaces, the target), else null.</summary>
    internal static (string Tag, string Object)? QuietLine(string line)
    {
        if (line.Length < 4 || line[0] != ' ' || line[1] != ' ' || !char.IsAsciiLetterUpper(line[2]))
        {
            return null;
        }

        int end = 2;
        while (end < line.Length && (char.IsAsciiLetterUpper(line[end]) || char.IsAsciiDigit(line[end]) || line[end] is '_' or '-'))
        {
            end++;
        }

        if (end == line.Length || line[end] != ' ')
        {
            return null;
        }

        string target = line[end..].Trim();
        return target.Length == 0 || target.Contains(' ', StringComparison.Ordinal) ? null : (line[2..end], target);
    }

    private static ProcessOutput Make(KbuildTree tree, string compiler, int jobs, IReadOnlyList<string> targets, Action<string>? onLine)
    {
        string make = Processes.Which("make") ?? throw KernelTrees.Unusable("make is not installed (apt-get install make flex bison bc libelf-dev libssl-dev)");
        var args = new List<string> { "-C", tree.Source, $"O={tree.Output}", $"CC={compiler}", $"-j{Math.Max(1, jobs)}", "--no-print-directory" };
        args.AddRange(targets);
        return Processes.Run(make, args, tree.Source, onLine);
    }

    private static PvGen.Model.PvGenException Failed(KbuildTree tree, string what, ProcessOutput run) =>
        PvGen.Model.PvGenException.Error(PvGen.Model.DiagnosticIds.KbuildFailed, $"{tree.Name}: {what} failed (exit {run.ExitCode}) in {tree.Output}:\n{run.Tail()}");
}
