using System.Text.Json;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Generation.Tests;

/// <summary>pvgen generate, model and templates as a user runs them: real process, real files, mtimes.</summary>
public sealed class CliTests
{
    private static readonly DateTime Old = new(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>A private copy of the toy example, so tests can edit its header.</summary>
    private static string ToyCopy(string label)
    {
        string dir = Repo.TempDir(label);
        File.Copy(Repo.Example("toy", "toy_ops.h"), Path.Combine(dir, "toy_ops.h"));
        File.Copy(Repo.Example("toy", "pvgen.json"), Path.Combine(dir, "pvgen.json"));
        return dir;
    }

    private static ToolResult Generate(string dir, params string[] extra) =>
        Tool.Pvgen(["generate", "--config", "pvgen.json", "-o", "out", .. extra], dir);

    /// <summary>Backdates every output so a rewrite is visible whatever the file system's mtime granularity.</summary>
    private static Dictionary<string, DateTime> Backdate(string outDir)
    {
        foreach (string file in Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, Old);
        }

        return Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(outDir, f), File.GetLastWriteTimeUtc);
    }

    private static List<string> Rewritten(string outDir) =>
        [.. Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Where(f => File.GetLastWriteTimeUtc(f) != Old)
            .Select(f => Path.GetRelativePath(outDir, f)).Order(StringComparer.Ordinal)];

    private static void Edit(string path, string from, string to)
    {
        string text = File.ReadAllText(path);
        Assert.Contains(from, text, StringComparison.Ordinal);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    [Fact]
    public void Regeneration_rewrites_only_changed_files_and_reports_the_change()
    {
        string dir = ToyCopy("regen");
        var first = Generate(dir);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("first generation", first.Stdout, StringComparison.Ordinal);
        string outDir = Path.Combine(dir, "out");

        // Nothing changed: nothing written.
        Backdate(outDir);
        var again = Generate(dir);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("0 file(s) written", again.Stdout, StringComparison.Ordinal);
        Assert.Contains("no op changes", again.Stdout, StringComparison.Ordinal);
        Assert.Empty(Rewritten(outDir));

        // A signature change: the wrappers and the exerciser change, the manifest (no types in it) does not.
        Edit(Path.Combine(dir, "toy_ops.h"), "void (*write_cr3)(unsigned long val);", "void (*write_cr3)(unsigned int val);");
        var signature = Generate(dir);
        Assert.True(signature.ExitCode == 0, signature.ToString());
        Assert.Contains("signature  mmu.write_cr3: void (unsigned long) -> void (unsigned int)", signature.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("ABI break", signature.Stdout, StringComparison.Ordinal);
        Assert.Equal([".pvgen/model.json", "toy_ops_exercise.c", "toy_ops_macro.h", "toy_ops_plain.h"], Rewritten(outDir));

        // A new op in the middle renumbers every later one: an ABI break.
        Backdate(outDir);
        Edit(Path.Combine(dir, "toy_ops.h"), "\tvoid (*irq_enable)(void);\n", "\tvoid (*irq_enable)(void);\n\tvoid (*halt)(void);\n");
        var renumbered = Generate(dir);
        Assert.True(renumbered.ExitCode == 0, renumbered.ToString());
        Assert.Contains("added      irq.halt: slot 4", renumbered.Stdout, StringComparison.Ordinal);
        Assert.Contains("renumbered mmu.write_cr3: slot 4 -> 5 (offset 0x20 -> 0x28) [ABI break]", renumbered.Stdout, StringComparison.Ordinal);
        Assert.Contains("PVG0310", renumbered.Stderr, StringComparison.Ordinal);
        Assert.Contains("toy_ops.manifest.json", Rewritten(outDir));
    }

    [Fact]
    public void Check_passes_on_fresh_outputs_and_fails_on_stale_ones_without_writing()
    {
        string dir = ToyCopy("check");
        Assert.Equal(0, Generate(dir).ExitCode);
        var fresh = Generate(dir, "--check");
        Assert.True(fresh.ExitCode == 0, fresh.ToString());
        Assert.Contains("up to date", fresh.Stdout, StringComparison.Ordinal);

        string outDir = Path.Combine(dir, "out");
        Backdate(outDir);
        string before = File.ReadAllText(Path.Combine(outDir, "toy_ops_macro.h"));
        Edit(Path.Combine(dir, "toy_ops.h"), "u64 (*read_tsc)(void);", "u64 (*read_tsc)(int cpu);");
        var stale = Generate(dir, "--check");
        Assert.True(stale.ExitCode == 1, stale.ToString());
        Assert.Contains("toy_ops_macro.h is stale", stale.Stderr, StringComparison.Ordinal);
        Assert.Contains("PVG0308", stale.Stderr, StringComparison.Ordinal);
        Assert.Empty(Rewritten(outDir));
        Assert.Equal(before, File.ReadAllText(Path.Combine(outDir, "toy_ops_macro.h")));
    }

    [Fact]
    public void An_overridden_partial_replaces_the_default_and_the_rest_still_come_from_the_tool()
    {
        string dir = ToyCopy("override");
        var export = Tool.Pvgen(["templates", "export", "exported"], dir);
        Assert.True(export.ExitCode == 0, export.ToString());
        Assert.True(File.Exists(Path.Combine(dir, "exported", "macro", "header.sbn-c")));
        Assert.True(File.Exists(Path.Combine(dir, "exported", "templates.manifest.json")));

        string mine = Path.Combine(dir, "mine", "partials");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "op_comment.sbn-c"), "/* op {{ op.path }} lives in slot {{ op.slot }} (maintainer's comment) */\n");
        var run = Generate(dir, "--templates", "mine");
        Assert.True(run.ExitCode == 0, run.ToString());
        string macro = File.ReadAllText(Path.Combine(dir, "out", "toy_ops_macro.h"));
        Assert.Contains("/* op irq.save_fl lives in slot 0 (maintainer's comment) */", macro, StringComparison.Ordinal);
        Assert.Contains("_PV_RECORD(0, 0x1ff)", macro, StringComparison.Ordinal);
        Assert.Contains("--templates ../mine", macro, StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_of_a_default_that_changed_since_export_warns()
    {
        string dir = ToyCopy("outdated");
        Assert.Equal(0, Tool.Pvgen(["templates", "export", "mine"], dir).ExitCode);
        string manifest = Path.Combine(dir, "mine", "templates.manifest.json");
        var doc = JsonDocument.Parse(File.ReadAllText(manifest));
        string hash = doc.RootElement.GetProperty("templates").GetProperty("partials/op_comment.sbn-c").GetString()!;
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace(hash, new string('0', 64), StringComparison.Ordinal));
        var run = Generate(dir, "--templates", "mine");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("PVG0309", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("partials/op_comment.sbn-c", run.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// A misnamed override file (one letter off) used to be ignored in silence while the default was used: it is a
    /// warning naming the file with the template it probably meant. A maintainer's own partial, included by an override,
    /// is used and so is not warned about.
    /// </summary>
    [Fact]
    public void A_misnamed_override_warns_with_the_nearest_template_name()
    {
        string dir = ToyCopy("misnamed");
        string mine = Path.Combine(dir, "mine", "partials");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "op_coment.sbn-c"), "/* never used */\n");
        File.WriteAllText(Path.Combine(mine, "signature.sbn-c"), DefaultText("partials/signature.sbn-c") + "{{~ include 'my_note.sbn-c' ~}}");
        File.WriteAllText(Path.Combine(dir, "mine", "my_note.sbn-c"), "");

        var run = Generate(dir, "--templates", "mine");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("mine/partials/op_coment.sbn-c:1:1: warning: 'partials/op_coment.sbn-c' in the template directory overrides no template", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("(did you mean 'partials/op_comment.sbn-c'?) [PVG0315]", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("my_note", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("never used", File.ReadAllText(Path.Combine(dir, "out", "toy_ops_macro.h")), StringComparison.Ordinal);
    }

    private static string DefaultText(string name) => File.ReadAllText(Path.Combine(Repo.Root, "templates", name));

    [Fact]
    public void A_template_typo_is_an_error_at_its_position_and_nothing_is_written()
    {
        string dir = ToyCopy("typo");
        string mine = Path.Combine(dir, "mine", "partials");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "op_comment.sbn-c"), "/* {{ op.path }}\n   {{ op.nmae }} */\n");
        var run = Generate(dir, "--templates", "mine");
        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"mine/partials/op_comment\.sbn-c:2:\d+: error: .*nmae", run.Stderr);
        Assert.Contains("nmae", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("PVG0301", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")), "a failed generation must not write anything");

        // Over existing outputs: they stay exactly as they were.
        Assert.Equal(0, Generate(dir).ExitCode);
        Backdate(Path.Combine(dir, "out"));
        Assert.Equal(2, Generate(dir, "--templates", "mine").ExitCode);
        Assert.Empty(Rewritten(Path.Combine(dir, "out")));
    }

    [Fact]
    public void A_syntax_error_in_a_template_is_reported_with_its_position()
    {
        string dir = ToyCopy("syntax");
        Directory.CreateDirectory(Path.Combine(dir, "mine", "partials"));
        File.WriteAllText(Path.Combine(dir, "mine", "partials", "signature.sbn-c"), "static inline {{ if op.wrapper }} broken\n");
        var run = Generate(dir, "--templates", "mine");
        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"mine/partials/signature\.sbn-c:1:\d+: error: ", run.Stderr);
        Assert.Contains("PVG0301", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_dumps_the_template_model_and_generate_accepts_model_json()
    {
        string dir = ToyCopy("model");
        var model = Tool.Pvgen(["model", "--config", "pvgen.json"], dir);
        Assert.True(model.ExitCode == 0, model.ToString());
        using var doc = JsonDocument.Parse(model.Stdout);
        var op = doc.RootElement.GetProperty("ops")[0];
        Assert.Equal("pv_irq_save_fl", op.GetProperty("wrapper").GetString());
        Assert.Equal("asm", op.GetProperty("macro").GetProperty("kind").GetString());

        Assert.Equal(0, Tool.Pvgen(["parse", "--config", "pvgen.json", "--format", "json", "-o", "toy.model.json"], dir).ExitCode);
        var fromJson = Tool.Pvgen(["generate", "toy.model.json", "--config", "pvgen.json", "-o", "out"], dir);
        Assert.True(fromJson.ExitCode == 0, fromJson.ToString());
        Assert.Equal(0, Tool.Pvgen(["generate", "--config", "pvgen.json", "-o", "out2"], dir).ExitCode);
        static string Body(string text) => string.Join('\n', text.Split('\n').Where(l => !l.Contains("pvgen generate", StringComparison.Ordinal)));
        Assert.Equal(Body(File.ReadAllText(Path.Combine(dir, "out2", "toy_ops_macro.h"))), Body(File.ReadAllText(Path.Combine(dir, "out", "toy_ops_macro.h"))));
    }

    [Fact]
    public void A_callee_save_op_without_signature_is_skipped_with_a_warning_naming_the_key()
    {
        string dir = Repo.TempDir("callee");
        File.WriteAllText(Path.Combine(dir, "ops.h"), """
            struct paravirt_callee_save { void *func; };
            struct ops {
            	void (*plain)(unsigned long x);
            	struct paravirt_callee_save save_fl;
            };
            extern struct ops ops;
            """);
        var run = Tool.Pvgen(["generate", "ops.h", "--struct", "ops", "-o", "out"], dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("PVG0303", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("\"save_fl\": { \"signature\"", run.Stderr, StringComparison.Ordinal);
        string plain = File.ReadAllText(Path.Combine(dir, "out", "ops_plain.h"));
        Assert.Contains("pv_plain(", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("pv_save_fl(", plain, StringComparison.Ordinal);
        Assert.Contains("\"skipped\": [\n    \"save_fl\"\n  ]", File.ReadAllText(Path.Combine(dir, "out", "ops.manifest.json")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"struct\": \"toy_ops\", \"header\": \"toy_ops.h\", \"generate\": { \"record_layot\": \"packed\" } }", "error: unknown key 'generate.record_layot' (did you mean 'record_format'?)", "PVG0002")]
    [InlineData("{ \"struct\": \"toy_ops\", \"header\": \"toy_ops.h\", \"generate\": { \"call_form\": \"near\" } }", "error: 'generate.call_form' is 'near'; use one of: rip, abs", "PVG0002")]
    [InlineData("{ \"struct\": \"toy_ops\", \"header\": \"toy_ops.h\", \"ops\": { \"irq.save_fl\": { \"clobbers\": [\"rbx\"] } } }", "unknown clobber register(s) 'rbx'", "PVG0307")]
    [InlineData("{ \"struct\": \"toy_ops\", \"header\": \"toy_ops.h\", \"ops\": { \"irq.save_fl\": { \"name\": \"pv_mmu_write_cr3\" } } }", "would both get the wrapper name", "PVG0306")]
    public void Bad_generate_settings_are_errors_and_write_nothing(string config, string message, string id)
    {
        string dir = ToyCopy("badcfg");
        File.WriteAllText(Path.Combine(dir, "pvgen.json"), config);
        var run = Generate(dir);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
        Assert.Contains(id, run.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"pvgen\.json:1:\d+: error: ", run.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public void Record_layout_and_call_form_are_selectable()
    {
        string dir = ToyCopy("layout");
        File.WriteAllText(Path.Combine(dir, "pvgen.json"),
            "{ \"struct\": \"toy_ops\", \"header\": \"toy_ops.h\", \"generate\": { \"record_layout\": \"packed\", \"call_form\": \"abs\", \"section\": \".pv_sites\" } }");
        Assert.Equal(0, Generate(dir).ExitCode);
        string outDir = Path.Combine(dir, "out");
        string obj = Path.Combine(outDir, "e.o");
        var compiled = CCompile.Object("gcc", "x86_64", Path.Combine(outDir, "toy_ops_exercise.c"), obj, ["-I", dir]);
        Assert.True(compiled.ExitCode == 0, compiled.ToString());
        Assert.Equal(8, CCompile.RelocationCount(obj, ".pv_sites"));
        Assert.Equal(8 * 6, CCompile.SectionSize(obj, ".pv_sites"));
        var dump = Tool.Run("objdump", ["-d", "-w", obj]);
        Assert.Equal(8, dump.Stdout.Split('\n').Count(l => l.Contains("\tff 14 25 ", StringComparison.Ordinal)));
    }

    [Fact]
    public void An_output_directory_that_cannot_be_written_is_an_error()
    {
        string dir = ToyCopy("unwritable");
        File.WriteAllText(Path.Combine(dir, "blocker"), "a file where a directory is needed");
        var run = Tool.Pvgen(["generate", "--config", "pvgen.json", "-o", "blocker/out"], dir);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("PVG0005", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("cannot write", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_naming_a_missing_op_is_an_error_with_the_closest_names_also_for_model_json()
    {
        string dir = ToyCopy("missing-op");
        Assert.Equal(0, Tool.Pvgen(["parse", "--config", "pvgen.json", "--format", "json", "-o", "toy.model.json"], dir).ExitCode);
        File.WriteAllText(Path.Combine(dir, "pvgen.json"), "{ \"struct\": \"toy_ops\", \"ops\": { \"irq.save_flags\": { \"native\": \"9c 58\" } } }");
        var run = Tool.Pvgen(["generate", "toy.model.json", "--config", "pvgen.json", "-o", "out"], dir);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("PVG0110", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("did you mean 'irq.save_fl'", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    [Fact]
    public void The_pv_helpers_render_for_template_authors_and_a_wrong_call_is_located()
    {
        // The helpers are Scriban functions written out (no reflection, for NativeAOT); the expected offsets are the toy
        // header's layout on x86-64 (8-byte pointers, struct toy_irq_ops of four first, then struct toy_mmu_ops).
        string dir = ToyCopy("helpers");
        string mine = Path.Combine(dir, "mine", "partials");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "op_comment.sbn-c"),
            """/* {{ pv.hex op.offset }} {{ pv.upper op.path }} "{{ pv.c_string op.path + "\t\"" }}" {{ pv.comment op.path + " */" }} */""" + "\n");
        var run = Generate(dir, "--templates", "mine");
        Assert.True(run.ExitCode == 0, run.ToString());
        string macro = File.ReadAllText(Path.Combine(dir, "out", "toy_ops_macro.h"));
        // c_string escapes the tab and the quote for a C literal; comment breaks the "*/" that would end the comment.
        Assert.Contains("""/* 0x0 IRQ_SAVE_FL "irq.save_fl\t\"" irq.save_fl * / */""", macro, StringComparison.Ordinal);
        Assert.Contains("""/* 0x18 IRQ_IRQ_ENABLE "irq.irq_enable\t\"" irq.irq_enable * / */""", macro, StringComparison.Ordinal);
        Assert.Contains("""/* 0x20 MMU_WRITE_CR3 "mmu.write_cr3\t\"" mmu.write_cr3 * / */""", macro, StringComparison.Ordinal);

        // A helper called without its argument, and with one it cannot convert: a template error at the call, nothing written.
        foreach (string call in new[] { "{{ pv.hex }}", "{{ pv.hex \"zz\" }}" })
        {
            File.WriteAllText(Path.Combine(mine, "op_comment.sbn-c"), $"/* ok */\n/* {call} */\n");
            var wrong = Tool.Pvgen(["generate", "--config", "pvgen.json", "-o", "wrong", "--templates", "mine"], dir);
            Assert.True(wrong.ExitCode == 2, wrong.ToString());
            Assert.Matches(@"mine/partials/op_comment\.sbn-c:2:\d+: error: ", wrong.Stderr);
            Assert.Contains("PVG0301", wrong.Stderr, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(dir, "wrong")), call);
        }
    }

    /// <summary>The toy's pvgen.json with one op entry replaced (the rest of the file as shipped).</summary>
    private static string ToyWithOp(string label, string op, string entry)
    {
        string dir = ToyCopy(label);
        string config = Path.Combine(dir, "pvgen.json");
        var lines = File.ReadAllLines(config).ToList();
        int at = lines.FindIndex(l => l.TrimStart().StartsWith($"\"{op}\":", StringComparison.Ordinal));
        Assert.True(at > 0, $"the toy config has an entry for {op}");
        lines[at] = $"    \"{op}\": {entry},";
        File.WriteAllLines(config, lines);
        return dir;
    }

    /// <summary>
    /// "jump": true on an op that returns a value used to generate a jmp followed by a return of a register nobody set,
    /// and check passed it. It is a located config error now; on a void op it still generates the jmp. The oracle for
    /// "returns a value" is the header's own declaration.
    /// </summary>
    [Fact]
    public void Jump_on_an_op_that_returns_a_value_is_a_located_config_error()
    {
        Assert.Contains("unsigned long (*save_fl)(void);", File.ReadAllText(Repo.Example("toy", "toy_ops.h")), StringComparison.Ordinal);
        string dir = ToyWithOp("jump-value", "irq.save_fl", """{ "native": "9c 58", "jump": true }""");

        var run = Generate(dir);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("pvgen.json:7:5: error: 'irq.save_fl': \"jump\": true, but op 'irq.save_fl' returns unsigned long", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("must return void [PVG0002]", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")), "nothing is written");

        string voidOp = ToyWithOp("jump-void", "irq.irq_disable", """{ "native": "fa", "jump": true }""");
        var fine = Generate(voidOp);
        Assert.True(fine.ExitCode == 0, fine.ToString());
        Assert.Contains("jmp *", File.ReadAllText(Path.Combine(voidOp, "out", "toy_ops_macro.h")), StringComparison.Ordinal);
    }

    /// <summary>
    /// "signature" is read only for callee-save ops (a paravirt_callee_save member has no prototype); on a prototyped op it
    /// was ignored in silence, so the wrappers had the header's type, not the one the user wrote. It is a located error.
    /// </summary>
    [Fact]
    public void A_signature_on_an_op_that_is_not_callee_save_is_a_located_error()
    {
        string dir = ToyWithOp("signature", "irq.irq_disable", """{ "native": "fa", "signature": "void (int)" }""");

        var run = Generate(dir);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("pvgen.json:9:5: error: 'irq.irq_disable': \"signature\" is only for callee-save ops", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("its type is void (void), from the header; remove \"signature\" [PVG0111]", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
    }

    /// <summary>
    /// "clobbers": "any" (one string, as the docs write it) is the era's CLBR_ANY, exactly as ["any"]: the same bytes in
    /// every header. The oracle for the mask: x86-64's CLBR_ANY is (1 &lt;&lt; 9) - 1 = 0x1ff in the kernel's paravirt_types.h,
    /// and the toy's default for save_fl (an ordinary op) is the same, so ["rax"] must differ.
    /// </summary>
    [Fact]
    public void Clobbers_any_as_one_string_is_clbr_any()
    {
        string text = ToyWithOp("any-text", "irq.save_fl", """{ "native": "9c 58", "clobbers": "any" }""");
        string array = ToyWithOp("any-array", "irq.save_fl", """{ "native": "9c 58", "clobbers": ["any"] }""");
        string rax = ToyWithOp("any-rax", "irq.save_fl", """{ "native": "9c 58", "clobbers": ["rax"] }""");
        foreach (string dir in new[] { text, array, rax })
        {
            var run = Generate(dir);
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        string Header(string dir) => File.ReadAllText(Path.Combine(dir, "out", "toy_ops_macro.h"));
        Assert.Equal(Header(array), Header(text));
        Assert.Contains("/* irq.save_fl: slot 0, offset 0x0, clobbers 0x1ff.", Header(text), StringComparison.Ordinal);
        Assert.DoesNotContain("/* irq.save_fl: slot 0, offset 0x0, clobbers 0x1ff.", Header(rax), StringComparison.Ordinal);
        var check = Tool.Pvgen(["check", Path.Combine(text, "out"), "--cc", "gcc", "--opt", "O2"]);
        Assert.True(check.ExitCode == 0, check.ToString());
    }

    /// <summary>
    /// An empty or quoted section name used to generate headers whose .pushsection does not assemble: a located error,
    /// nothing written. The oracle: gcc and its assembler reject each name in the directive as the templates emit it.
    /// </summary>
    [Theory]
    [InlineData("\"\"", "'generate.section' is empty")]
    [InlineData("\"\\\".para\\\"\"", "'generate.section': '\".para\"' is not a section name the assembler accepts")]
    [InlineData("\"two words\"", "'generate.section': 'two words' is not a section name the assembler accepts")]
    public void A_bad_section_name_is_a_located_error(string json, string message)
    {
        string dir = ToyCopy("section");
        string config = Path.Combine(dir, "pvgen.json");
        string text = File.ReadAllText(config).TrimEnd();
        File.WriteAllText(config, text[..^1].TrimEnd() + ",\n  \"generate\": { \"section\": " + json + " }\n}\n");

        var run = Generate(dir);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("pvgen.json:14:28: error: " + message, run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));

        // The name where the record templates put it: verbatim inside the inline asm's C string.
        string name = JsonDocument.Parse(json).RootElement.GetString()!;
        bool Assembles(string section)
        {
            string probe = Path.Combine(dir, "probe.c");
            File.WriteAllText(probe, "asm(\".pushsection " + section + ",\\\"a\\\"\\n\\t.byte 1\\n\\t.popsection\\n\");\n");
            return Tool.Run("gcc", ["-c", probe, "-o", Path.Combine(dir, "probe.o")]).ExitCode == 0;
        }

        Assert.True(Assembles(".pv_sites"), "the probe compiles with a good name");
        Assert.False(Assembles(name), $"gcc accepts the section name '{name}': the test's premise is wrong");
        Assert.Contains(".pushsection {{ settings.section }},", File.ReadAllText(Path.Combine(Repo.Root, "templates", "records", "para16.sbn-c")), StringComparison.Ordinal);
    }
}
