using PvGen.Project;
using PvGen.Project.Options;
using PvGen.Project.Workflows;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Generation.Tests;

/// <summary>
/// The generation stamp: an unchanged run skips the parse and prints what a full run prints; a change to any file the run
/// read (the header, a file it includes, transitively, pvgen.json, a template override), to its options, to its outputs
/// or to the tool makes the next run a full one.
/// </summary>
/// <remarks>
/// Whether a run parsed is not taken from PvGen's word: pvgen runs as a process under the dynamic loader's trace
/// (LD_DEBUG=libs), and a run parsed when the loader initialised libclang.so, which only the parse loads. Whether it wrote
/// is taken from find(1): the inode, size and modification time of every file in the output and stamp directories. The
/// files recorded are checked against gcc's own dependency list. (Making a header unreadable proves nothing here: the
/// tests run as root, and a stamp must read every input to compare its hash anyway.)
/// </remarks>
public sealed class StampTests
{
    private const string Header = """
        #include "types.h"
        struct demo_ops {
            struct { void (*disable)(void); unsigned long (*save)(void); DEMO_EXTRA_OP } irq;
            struct { void (*write_cr3)(demo_word val); } mmu;
        };
        extern struct demo_ops demo_ops;
        """;

    /// <summary>A project whose header declares one op in a file it includes through another.</summary>
    private static string Project(string label)
    {
        string dir = Repo.TempDir(label);
        Directory.CreateDirectory(Path.Combine(dir, "more"));
        File.WriteAllText(Path.Combine(dir, "demo_ops.h"), Header);
        File.WriteAllText(Path.Combine(dir, "types.h"), "#include \"more/deep.h\"\ntypedef unsigned long demo_word;\n");
        File.WriteAllText(Path.Combine(dir, "more", "deep.h"), "#define DEMO_EXTRA_OP void (*extra)(void);\n");
        File.WriteAllText(Path.Combine(dir, "pvgen.json"), """{ "header": "demo_ops.h", "struct": "demo_ops", "target": "x86_64" }""");
        return dir;
    }

    private sealed record Outcome(ToolResult Result, bool Parsed)
    {
        public override string ToString() => $"parsed: {Parsed}\n{Result}";
    }

    /// <summary>`pvgen generate -o out ARGS` in <paramref name="dir"/>, with its stamps kept under <paramref name="cache"/>.</summary>
    private static Outcome Generate(string dir, string cache, params string[] args)
    {
        string trace = Repo.TempDir("stamp-ld");
        var result = Tool.Pvgen(["generate", "-o", "out", .. args], dir, new Dictionary<string, string>
        {
            ["XDG_CACHE_HOME"] = cache,
            ["LD_DEBUG"] = "libs",
            ["LD_DEBUG_OUTPUT"] = Path.Combine(trace, "ld"),
        });
        var lines = Directory.EnumerateFiles(trace).SelectMany(File.ReadLines).ToList();
        Assert.True(lines.Exists(l => l.Contains("calling init: ", StringComparison.Ordinal)), "the loader traced nothing: LD_DEBUG is not honoured here");
        bool parsed = lines.Exists(l => l.Contains("calling init: ", StringComparison.Ordinal) && l.EndsWith("/libclang.so", StringComparison.Ordinal));
        Directory.Delete(trace, recursive: true);
        return new Outcome(result, parsed);
    }

    /// <summary>Every file and directory under the given roots as find(1) sees it: path, type, inode, size, modification time.</summary>
    private static string Snapshot(params string[] roots)
    {
        var found = Tool.Run("find", [.. roots, "-printf", "%p %y %i %s %T@\n"]);
        Assert.True(found.ExitCode == 0, found.ToString());
        return string.Join('\n', found.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    /// <summary>A run that parses (the change is seen), then an unchanged run that does not.</summary>
    private static Outcome FullThenNoop(string dir, string cache, string what, params string[] args)
    {
        var full = Generate(dir, cache, args);
        Assert.True(full.Result.ExitCode == 0, $"{what}: {full}");
        Assert.True(full.Parsed, $"{what}: the run after the change did not parse\n{full}");
        var again = Generate(dir, cache, args);
        Assert.True(again.Result.ExitCode == 0, $"{what}: {again}");
        Assert.False(again.Parsed, $"{what}: the unchanged run after the full one parsed again\n{again}");
        return full;
    }

    private static void Edit(string path, string from, string to)
    {
        string text = File.ReadAllText(path);
        Assert.Contains(from, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    [Fact]
    public void An_unchanged_run_neither_parses_nor_writes_and_prints_what_a_full_run_prints()
    {
        string dir = Project("stamp-noop");
        string cache = Repo.TempDir("stamp-cache");
        string outDir = Path.Combine(dir, "out");

        var first = Generate(dir, cache);
        Assert.True(first.Result.ExitCode == 0 && first.Parsed, first.ToString());
        string before = Snapshot(outDir, cache);
        Assert.Contains(".json", before, StringComparison.Ordinal); // the stamp is there to be left alone

        var noop = Generate(dir, cache);
        Assert.False(noop.Parsed, noop.ToString());
        Assert.Equal(before, Snapshot(outDir, cache));

        // The same files without a stamp: a full run, whose words the no-op must repeat.
        var full = Generate(dir, Repo.TempDir("stamp-cache-none"));
        Assert.True(full.Parsed, full.ToString());
        Assert.Equal(before, Snapshot(outDir, cache));
        Assert.Equal((full.Result.ExitCode, full.Result.Stdout, full.Result.Stderr), (noop.Result.ExitCode, noop.Result.Stdout, noop.Result.Stderr));
        Assert.Contains("4 wrappers", noop.Result.Stdout, StringComparison.Ordinal);

        var noopCheck = Generate(dir, cache, "--check");
        var fullCheck = Generate(dir, Repo.TempDir("stamp-cache-none"), "--check");
        Assert.False(noopCheck.Parsed, noopCheck.ToString());
        Assert.True(fullCheck.Parsed, fullCheck.ToString());
        Assert.Equal((fullCheck.Result.ExitCode, fullCheck.Result.Stdout, fullCheck.Result.Stderr), (noopCheck.Result.ExitCode, noopCheck.Result.Stdout, noopCheck.Result.Stderr));
        Assert.Equal(before, Snapshot(outDir, cache));
    }

    [Fact]
    public void The_stamp_records_every_file_gcc_says_the_header_includes()
    {
        string dir = Project("stamp-inclusions");
        GenerateWorkflow.Run(Settings.For(Verbs.Generate, OptionValues.Of(), dir), Path.Combine(dir, "out"), checkOnly: false);
        var stamp = GenerationStamp.Load(Path.Combine(dir, "out"));
        Assert.NotNull(stamp);

        // gcc's dependency list of the same header, as make would use it.
        var deps = Tool.Run("gcc", ["-M", "-nostdinc", "-x", "c", "demo_ops.h"], dir);
        Assert.True(deps.ExitCode == 0, deps.ToString());
        var fromGcc = deps.Stdout.Replace("\\\n", " ", StringComparison.Ordinal).Split(':', 2)[1]
            .Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(f => Path.GetFullPath(f, dir)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, fromGcc.Count);
        var recorded = stamp.Inputs.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        Assert.All(fromGcc, f => Assert.Contains(f, recorded));
        Assert.Contains(Path.Combine(dir, "pvgen.json"), recorded);
        Assert.All(stamp.Inputs.Where(f => fromGcc.Contains(f.Path)), f => Assert.Equal(new FileInfo(f.Path).Length, f.Size));
        Assert.Equal(stamp.Facts.Files.Order(StringComparer.Ordinal), stamp.Outputs.Select(f => f.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Each_input_forces_a_full_run()
    {
        string dir = Project("stamp-inputs");
        string cache = Repo.TempDir("stamp-cache");
        string macro = Path.Combine(dir, "out", "demo_ops_macro.h");
        FullThenNoop(dir, cache, "first run");

        Edit(Path.Combine(dir, "demo_ops.h"), "extern struct", "/* edited */ extern struct");
        FullThenNoop(dir, cache, "the header");

        // Two levels down, same size, other bytes: the hash, not the size, tells; the op renamed there reaches the output.
        Assert.DoesNotContain("extr2", File.ReadAllText(macro), StringComparison.Ordinal);
        Edit(Path.Combine(dir, "more", "deep.h"), "(*extra)", "(*extr2)");
        FullThenNoop(dir, cache, "a file the header includes through another");
        Assert.Contains("extr2", File.ReadAllText(macro), StringComparison.Ordinal);

        Edit(Path.Combine(dir, "pvgen.json"), "\"target\"", " \"target\"");
        FullThenNoop(dir, cache, "pvgen.json");

        FullThenNoop(dir, cache, "an option", "--prefix", "px_");
        Assert.Contains("px_", File.ReadAllText(macro), StringComparison.Ordinal);
        FullThenNoop(dir, cache, "the option dropped again");

        // An input gone is a full run that fails where a parse fails, not a no-op on what the stamp remembers.
        string before = Snapshot(Path.Combine(dir, "out"));
        File.Delete(Path.Combine(dir, "more", "deep.h"));
        var missing = Generate(dir, cache);
        Assert.NotEqual(0, missing.Result.ExitCode);
        Assert.True(missing.Parsed, missing.ToString());
        Assert.Contains("deep.h", missing.Result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(Path.Combine(dir, "out")));
    }

    [Fact]
    public void Template_overrides_force_a_full_run()
    {
        string dir = Project("stamp-templates");
        string cache = Repo.TempDir("stamp-cache");
        Assert.Equal(0, Tool.Pvgen(["templates", "export", "mine"], dir).ExitCode);
        FullThenNoop(dir, cache, "first run", "--templates", "mine");

        string partial = Directory.EnumerateFiles(Path.Combine(dir, "mine"), "*.sbn-c", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        File.AppendAllText(partial, " ");
        FullThenNoop(dir, cache, "an edited override", "--templates", "mine");

        File.WriteAllText(Path.Combine(dir, "mine", "unused.sbn-c"), "{{ 1 }}");
        FullThenNoop(dir, cache, "a new file in the override directory", "--templates", "mine");
    }

    [Fact]
    public void Edited_or_deleted_outputs_and_another_tool_invalidate_the_stamp()
    {
        string dir = Project("stamp-outputs");
        string outDir = Path.Combine(dir, "out");
        GenerateResult Run() => GenerateWorkflow.Run(Settings.For(Verbs.Generate, OptionValues.Of(), dir), outDir, checkOnly: false);
        Assert.False(Run().FromStamp);
        Assert.True(Run().FromStamp);
        string macro = Directory.GetFiles(outDir, "*_macro.h").Single();
        string original = File.ReadAllText(macro);

        File.AppendAllText(macro, "/* hand edit */\n");
        var repaired = Run();
        Assert.False(repaired.FromStamp);
        Assert.Contains(Path.GetFileName(macro), repaired.Written);
        Assert.Equal(original, File.ReadAllText(macro));

        File.Delete(macro);
        Assert.False(Run().FromStamp);
        Assert.Equal(original, File.ReadAllText(macro));

        var settings = Settings.For(Verbs.Generate, OptionValues.Of(), dir);
        string command = GenerateWorkflow.StampCommand(settings, outDir);
        var stamp = GenerationStamp.Load(outDir)!;
        Assert.True(stamp.Holds(ToolIdentity.Current, command, outDir));
        Assert.False(stamp.Holds(ToolIdentity.Current + " another build", command, outDir));
        Assert.False(stamp.Holds(ToolIdentity.Current, command + " ", outDir));
    }
}
