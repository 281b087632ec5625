using System.Text.Json;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Checking.Tests;

/// <summary>`pvgen check` end to end, as a maintainer runs it: generate, then check.</summary>
public sealed class CheckCommandTests
{
    [Theory]
    [MemberData(nameof(Examples.AllWithTargets), MemberType = typeof(Examples))]
    public void EveryExamplesOutputPassesWithEveryCompiler(string example, string target)
    {
        string dir = Generate(example, target);

        var run = Tool.Pvgen(["check", dir, "--format", "json"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var report = JsonDocument.Parse(run.Stdout);
        var builds = report.RootElement.GetProperty("builds").EnumerateArray().ToList();
        // Both styles, -O0 and -O2, for every compiler on this machine.
        Assert.Equal(Tool.Compilers().Count * 2 * 2, builds.Count);
        Assert.All(builds, b => Assert.True(b.GetProperty("compiled").GetBoolean()));
        Assert.All(report.RootElement.GetProperty("type_safety").EnumerateArray(),
            t => Assert.Equal(t.GetProperty("ops").GetInt32(), t.GetProperty("type_safe").GetInt32()));
    }

    [Fact]
    public void TamperedRecordTypeInAGeneratedHeaderFails()
    {
        string dir = Generate("toy", "x86_64");
        string header = Path.Combine(dir, "toy_ops_macro.h");
        // Make the restore_fl wrapper record slot 3 while it still calls slot 1.
        string text = File.ReadAllText(header);
        int at = text.IndexOf("_RECORD(1,", StringComparison.Ordinal);
        Assert.True(at > 0, "the record macro invocation for slot 1 is where the test expects it");
        File.WriteAllText(header, text[..at] + "_RECORD(3," + text[(at + "_RECORD(1,".Length)..]);

        var run = Tool.Pvgen(["check", dir, "--cc", "gcc"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"error: record type 3 \(irq\.irq_enable\) but the site calls irq\.restore_fl .*\[PVG0203\]", run.Stderr);
    }

    [Fact]
    public void SarifReportNamesTheRuleOfEachFinding()
    {
        string dir = Generate("toy", "x86_64");
        string header = Path.Combine(dir, "toy_ops_macro.h");
        File.WriteAllText(header, File.ReadAllText(header).Replace("_RECORD(1,", "_RECORD(3,", StringComparison.Ordinal));

        var run = Tool.Pvgen(["check", dir, "--cc", "gcc", "--opt", "O2", "--format", "sarif"]);

        Assert.Equal(1, run.ExitCode);
        using var sarif = JsonDocument.Parse(run.Stdout);
        var results = sarif.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray().ToList();
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.Equal("PVG0203", r.GetProperty("ruleId").GetString()));
    }

    [Fact]
    public void NotAGeneratedDirectoryIsBadInput()
    {
        var run = Tool.Pvgen(["check", Repo.TempDir("empty")]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no *.manifest.json", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ObjectModeWithoutAModelIsBadInput()
    {
        var run = Tool.Pvgen(["check", "--object", "/dev/null"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--object needs --model", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "ops": { "irq.save_fl": { "native": "9c5" } } }""", "PVG0312", "native bytes \"9c5\"")]
    [InlineData("""{ "ops": { "irq.save_fl": { "clobbers": ["rzz"] } } }""", "PVG0307", "unknown clobber register(s) 'rzz'")]
    public void ObjectModeRejectsABadConfigurationBeforeReadingAnything(string config, string id, string message)
    {
        string dir = Repo.TempDir("check-config");
        string model = Path.Combine(dir, "toy.pvgen.json");
        Assert.Equal(0, Tool.Pvgen(["parse", "--config", Repo.Example("toy", "pvgen.json"), "--format", "json", "-o", model]).ExitCode);
        string configPath = Path.Combine(dir, "pvgen.json");
        File.WriteAllText(configPath, config);

        var run = Tool.Pvgen(["check", "--object", dir, "--model", model, "--config", configPath]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"[{id}]", run.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("pvgen.json:1:12: error:", run.Stderr, StringComparison.Ordinal); // at the op's entry
        Assert.Empty(run.Stdout);
    }

    /// <summary>
    /// check --object: the table goes to -o FILE (not nowhere), and an object that cannot be read is exit 2, as the help
    /// says, with its file named. The oracle for "unreadable": readelf refuses the same truncated bytes.
    /// </summary>
    [Fact]
    public void ObjectModeWritesTheTableToOutputAndAnUnreadableObjectIsExit2()
    {
        string dir = Repo.TempDir("check-output");
        string model = Path.Combine(dir, "toy.pvgen.json");
        Assert.Equal(0, Tool.Pvgen(["parse", "--config", Repo.Example("toy", "pvgen.json"), "--format", "json", "-o", model]).ExitCode);
        string source = Path.Combine(dir, "m.c");
        File.WriteAllText(source, "int x;\n");
        string good = Path.Combine(dir, "m.o");
        Assert.Equal(0, Tool.Run("gcc", ["-c", "-o", good, source]).ExitCode);
        string bad = Path.Combine(dir, "bad.o");
        File.WriteAllBytes(bad, File.ReadAllBytes(good)[..100]);
        var oracle = Tool.Run("readelf", ["-SW", bad]);
        Assert.True(oracle.ExitCode != 0 || oracle.Stderr.Contains("Error", StringComparison.Ordinal), $"readelf reads {bad}: the test's premise is wrong");

        string table = Path.Combine(dir, "report.txt");
        var written = Tool.Pvgen(["check", "--object", good, "--model", model, "-o", table, "--format", "table"]);
        Assert.True(File.Exists(table), $"check -o {table} --format table wrote nothing:\n{written}");
        Assert.Contains("objects", File.ReadAllText(table), StringComparison.Ordinal);
        Assert.Empty(written.Stdout);

        var unreadable = Tool.Pvgen(["check", "--object", bad, "--model", model]);
        Assert.Equal(2, unreadable.ExitCode);
        Assert.Contains($"{bad}: error: truncated", unreadable.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// A generated header that does not compile: the compiler's own lines reach the user each on a line of its own under
    /// our located message (they were flattened with " | " and lost the "In function" and note lines). The oracle is
    /// gcc run by the test on the same exerciser: every line it prints is one of ours, indented.
    /// </summary>
    [Fact]
    public void A_compile_failure_shows_the_compilers_own_lines()
    {
        string dir = Generate("toy", "x86_64");
        string header = Path.Combine(dir, "toy_ops_macro.h");
        string text = File.ReadAllText(header);
        int at = text.IndexOf("static inline", StringComparison.Ordinal);
        File.WriteAllText(header, text[..at] + "static inline int pvgen_broken(void) { return undeclared_a + undeclared_b; }\n" + text[at..]);

        var run = Tool.Pvgen(["check", dir, "--cc", "gcc", "--opt", "O2"]);

        Assert.Equal(1, run.ExitCode);
        var oracle = Tool.Run("gcc", ["-std=gnu11", "-fsyntax-only", "-fdiagnostics-plain-output", "-fdiagnostics-color=never", "-m64", "-ffreestanding",
            "-DPVGEN_STYLE_MACRO", Path.Combine(dir, "toy_ops_exercise.c")], environment: new Dictionary<string, string> { ["LC_ALL"] = "C" });
        var gccLines = oracle.Stderr.Split('\n').Where(l => l.Trim().Length > 0).ToList();
        Assert.True(oracle.ExitCode != 0 && gccLines.Count >= 3, $"gcc compiles the broken header: the test's premise is wrong\n{oracle}");
        var ours = run.Stderr.Split('\n').ToList();
        int first = ours.FindIndex(l => l.Contains("gcc -O2 cannot compile the macro style [PVG0213]", StringComparison.Ordinal));
        Assert.True(first >= 0, run.ToString());
        Assert.EndsWith("toy_ops_exercise.c: error: gcc -O2 cannot compile the macro style [PVG0213]", ours[first], StringComparison.Ordinal);
        Assert.All(gccLines, l => Assert.Contains("  " + l, ours));
        Assert.DoesNotContain(" | ", run.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// A compiler that fails without printing anything used to give an empty message ("cannot compile the macro style: ").
    /// The message says the exit status and the command. The compiler here is a script that prints a gcc banner for
    /// --version and exits 3 in silence otherwise.
    /// </summary>
    [Fact]
    public void A_compiler_that_fails_in_silence_is_named_with_its_status_and_command()
    {
        string dir = Generate("toy", "x86_64");
        string fake = Path.Combine(Repo.TempDir("silent-cc"), "silentcc");
        File.WriteAllText(fake, "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'gcc (fake) 12.2.0'; exit 0; fi\nexit 3\n");
        Assert.Equal(0, Tool.Run("chmod", ["+x", fake]).ExitCode);

        var run = Tool.Pvgen(["check", dir, "--cc", fake, "--opt", "O2"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("silentcc -O2 cannot compile the macro style [PVG0213]\n  silentcc exited with status 3 and printed nothing: " + fake + " -std=gnu11 -O2", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("type-safety probe (silentcc): silentcc failed without an error message we can read [PVG0213]\n  silentcc exited with status 3", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("accepted", run.Stderr, StringComparison.Ordinal);
        UserMessages.AssertOurs(run.Stderr, "check with a silent compiler");
    }

    /// <summary>
    /// An object that only takes the table's address, checked with the toy model: no record and no call, so no check
    /// applied. It said "every record verified" (exit 0); it says nothing was verified, a warning and exit 1 (check --help:
    /// 0 all proved, 1 findings). The oracle that the object has no call through the table: objdump's disassembly.
    /// </summary>
    [Fact]
    public void An_object_where_nothing_applies_is_not_every_record_verified()
    {
        string dir = Repo.TempDir("check-nothing");
        string model = Path.Combine(dir, "toy.pvgen.json");
        Assert.Equal(0, Tool.Pvgen(["parse", "--config", Repo.Example("toy", "pvgen.json"), "--format", "json", "-o", model]).ExitCode);
        string source = Path.Combine(dir, "address.c");
        File.WriteAllText(source, "extern struct { void *slot[8]; } toy_ops;\nvoid *where(void) { return &toy_ops.slot[2]; }\n");
        string obj = Path.Combine(dir, "address.o");
        Assert.Equal(0, Tool.Run("gcc", ["-O2", "-fno-pie", "-mcmodel=kernel", "-c", "-o", obj, source]).ExitCode);
        var dump = Tool.Run("objdump", ["-dr", "-w", obj]);
        Assert.Contains("toy_ops", dump.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("call", dump.Stdout, StringComparison.Ordinal);

        var run = Tool.Pvgen(["check", "--object", obj, "--model", model]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"{obj}: warning: nothing verified: 1 object(s) hold no pv site record and no call or jmp through 'toy_ops'", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("[PVG0226]", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("every record verified", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("nothing verified", run.Stdout, StringComparison.Ordinal);

        var json = Tool.Pvgen(["check", "--object", obj, "--model", model, "--format", "json"]);
        Assert.Equal(1, json.ExitCode);
        using var report = JsonDocument.Parse(json.Stdout);
        Assert.Contains(report.RootElement.GetProperty("findings").EnumerateArray(), f => f.GetProperty("id").GetString() == "PVG0226");
    }

    [Fact]
    public void Records_generated_into_a_section_of_the_users_choosing_are_checked_there()
    {
        // generate.section moves the records out of .parainstructions; check reads them where the manifest says.
        string dir = Repo.TempDir("check-toy-section");
        var gen = Tool.Pvgen(["generate", "--config", Repo.Example("toy", "pvgen.json"), "--section", ".pv_sites", "-o", dir]);
        Assert.True(gen.ExitCode == 0, gen.ToString());

        var run = Tool.Pvgen(["check", dir, "--cc", "gcc", "--opt", "O2", "--format", "json"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var report = JsonDocument.Parse(run.Stdout);
        var macro = report.RootElement.GetProperty("builds").EnumerateArray().Single(b => b.GetProperty("style").GetString() == "macro");

        // Oracle: gcc builds the same exerciser, readelf counts the relocations of .pv_sites (one per record).
        string obj = Path.Combine(dir, "oracle.o");
        var cc = Tool.Run("gcc", ["-O2", "-c", "-DPVGEN_STYLE_MACRO", "-I", Repo.Example("toy"), "-I", dir, "-o", obj, Path.Combine(dir, "toy_ops_exercise.c")]);
        Assert.True(cc.ExitCode == 0, cc.ToString());
        var readelf = Tool.Run("readelf", ["-rW", obj]);
        var lines = readelf.Stdout.Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith("Relocation section '.rela.pv_sites'", StringComparison.Ordinal));
        Assert.True(start >= 0, readelf.Stdout);
        int relocations = lines.Skip(start + 2).TakeWhile(l => l.Trim().Length > 0).Count();
        Assert.True(relocations > 0);
        Assert.Equal(relocations, macro.GetProperty("records").GetInt32());
        Assert.DoesNotContain("Relocation section '.rela.parainstructions'", readelf.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Alt14_records_generated_into_a_section_of_the_users_choosing_are_checked_there()
    {
        // generate.section moves the 6.8+ .altinstructions entries too; check reads them where the manifest says.
        string dir = Repo.TempDir("check-toy-alt-section");
        var gen = Tool.Pvgen(["generate", "--config", Repo.Example("toy", "pvgen.json"), "--record-format", "alt14", "--section", ".pv_alt", "-o", dir]);
        Assert.True(gen.ExitCode == 0, gen.ToString());

        var run = Tool.Pvgen(["check", dir, "--cc", "gcc", "--opt", "O2", "--format", "json"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var report = JsonDocument.Parse(run.Stdout);
        var macro = report.RootElement.GetProperty("builds").EnumerateArray().Single(b => b.GetProperty("style").GetString() == "macro");
        Assert.Equal("alt14", macro.GetProperty("record_format").GetString());

        // Oracle: gcc builds the same exerciser; binutils' view of .pv_alt (objdump bytes, readelf relocations, AltOracle)
        // has one DIRECT_CALL entry per pv call site, the records check verified.
        string obj = Path.Combine(dir, "oracle.o");
        var cc = Tool.Run("gcc", ["-O2", "-c", "-DPVGEN_STYLE_MACRO", "-I", Repo.Example("toy"), "-I", dir, "-o", obj, Path.Combine(dir, "toy_ops_exercise.c")]);
        Assert.True(cc.ExitCode == 0, cc.ToString());
        int directCalls = AltOracle.Entries([obj], ".pv_alt").Count(e => e.DirectCall);
        Assert.True(directCalls > 0);
        Assert.Equal(directCalls, macro.GetProperty("records").GetInt32());
        var readelf = Tool.Run("readelf", ["-rW", obj]);
        Assert.DoesNotContain("Relocation section '.rela.altinstructions'", readelf.Stdout, StringComparison.Ordinal);
    }

    internal static string Generate(string example, string target)
    {
        string dir = Repo.TempDir($"check-{example}-{target}");
        var run = Tool.Pvgen(["generate", "--config", Repo.Example(example, "pvgen.json"), "--target", target, "-o", dir]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return dir;
    }
}
