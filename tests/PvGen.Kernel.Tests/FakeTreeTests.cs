using System.Text.Json;
using PvGen.Clang;
using PvGen.Comparison.Tests;
using PvGen.Generation;
using PvGen.Model;
using PvGen.TestSupport;

namespace PvGen.Kernel.Tests;

/// <summary>The miniature kernel of FakeTree/ (our own headers, of the kernel's shape): import, drop-ins, bad input. Runs anywhere gcc does.</summary>
public sealed class FakeTreeTests
{
    public static string Tree => Path.Combine(Repo.Root, "tests", "PvGen.Kernel.Tests", "FakeTree");

    private static string Asm(string tree, string file) => Path.Combine(tree, "arch", "x86", "include", "asm", file);

    internal static ImportRequest Request(string tree) => new() { ParavirtHeader = Asm(tree, "paravirt.h"), KernelTree = tree, BaseDirectory = tree };

    /// <summary>A copy of the tree (small) whose headers a test may change.</summary>
    internal static string Copy(string label)
    {
        string copy = Repo.TempDir(label);
        foreach (string file in Directory.EnumerateFiles(Tree, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(Tree, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return copy;
    }

    /// <summary>callers.c compiled by gcc the way the kernel compiles, against the tree's headers.</summary>
    internal static string CompileCallers(string tree, string output, params string[] extra)
    {
        var run = Tool.Run("gcc", ["-O2", "-std=gnu11", "-nostdinc", "-ffreestanding", "-fno-pie", "-mcmodel=kernel", "-mno-red-zone",
            "-fno-asynchronous-unwind-tables", "-fno-strict-aliasing", "-Wall", "-Werror", "-I", Path.Combine(tree, "arch", "x86", "include"), .. extra,
            "-c", Path.Combine(tree, "callers.c"), "-o", output]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return output;
    }

    [Fact]
    public void Import_reads_each_wrapper_its_op_site_signature_native_and_condition()
    {
        var result = ParavirtReader.Read(Request(Tree));
        Assert.True(result.Succeeded, string.Join('\n', result.Diagnostics));
        var import = result.Import!;

        Assert.Equal(PvGen.Model.Kernel.SiteRecording.ParaInstructions, import.Recording);
        Assert.Equal(
            [("slow_down_io", "cpu.io_delay"), ("read_cr0", "cpu.read_cr0"), ("write_cr0", "cpu.write_cr0"), ("arch_local_save_flags", "irq.save_fl"),
             ("set_pte", "mmu.set_pte"), ("pte_val", "mmu.pte_val"), ("plain_io_delay", "cpu.io_delay")],
            import.Calls.Select(c => (c.Wrapper, c.Op)));
        Assert.Equal(["irq.irq_disable"], import.UncalledOps);

        var flags = import.Calls.Single(c => c.Op == "irq.save_fl");
        Assert.True(flags.CalleeSave);
        Assert.Equal(("PVOP_ALT_CALLEE0", "unsigned long", "pushf; pop %rax;", "ALT_NOT(FEATURE_HYPERVISOR)"), (flags.Family, flags.ReturnType, flags.NativeAsm, flags.Condition));
        Assert.Equal(["rax"], flags.Clobbers);

        // The struct goes by its word, as the kernel's wrappers pass it; the callee-save op's signature is the site's.
        Assert.Equal(["pte_t *", "pteval_t"], import.Calls.Single(c => c.Op == "mmu.set_pte").ArgumentTypes);
        Assert.Equal("pteval_t (pteval_t)", KernelImporter.SiteSignature(import.Calls.Single(c => c.Op == "mmu.pte_val")));
        Assert.Equal("void (pte_t *ptep, pte_t pte)", import.Wrappers.Single(w => w.Name == "set_pte").Signature);

        // An ordinary C call through the table is a site without a family, typed as the op is declared.
        var direct = import.Calls.Single(c => c.Wrapper == "plain_io_delay");
        Assert.Null(direct.Family);

        Assert.Equal(["PVOP_CALL0", "PVOP_VCALL0", "PVOP_VCALL1", "PVOP_VCALL2", "PVOP_ALT_CALLEE0", "PVOP_ALT_CALLEE1"], import.Families.Select(f => f.Name));
        Assert.Contains("FAKE_SITE", import.Section.Macros);
        Assert.DoesNotContain("ALTERNATIVE", import.Section.Macros);
    }

    [Fact]
    public void The_condition_is_the_value_gcc_records_in_altinstructions()
    {
        var import = ParavirtReader.Read(Request(Tree)).Import!;
        string obj = CompileCallers(Tree, Path.Combine(Repo.TempDir("fake-cond"), "callers.o"));

        // Each entry: .long site - ., .long replacement - ., .short flags, .byte, .byte (12 bytes): the flags at byte 8.
        var bytes = HexDump(obj, ".altinstructions");
        Assert.Equal(0, bytes.Count % 12);
        var recorded = Enumerable.Range(0, bytes.Count / 12).Select(i => (long)(bytes[i * 12 + 8] | (bytes[i * 12 + 9] << 8))).Distinct().ToList();
        Assert.Equal(recorded, import.Calls.Where(c => c.ConditionValue is not null).Select(c => c.ConditionValue!.Value).Distinct().ToList());
    }

    [Fact]
    public void Natives_assemble_to_the_bytes_gcc_puts_in_altinstr_replacement()
    {
        var (imported, diagnostics) = KernelImporter.Run(Request(Tree));
        Assert.True(imported is not null, string.Join('\n', diagnostics));
        string obj = CompileCallers(Tree, Path.Combine(Repo.TempDir("fake-native"), "callers.o"));
        string replacement = string.Join(' ', HexDump(obj, ".altinstr_replacement").Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal("9c 58", imported!.Natives["irq.save_fl"]);
        Assert.Equal("48 89 f8", imported.Natives["mmu.pte_val"]);
        foreach (var native in imported.Natives.Values)
        {
            Assert.Contains(native, replacement, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Macro_drop_in_builds_the_same_object_as_the_kernels_own_macros()
    {
        string copy = Copy("fake-macro");
        var import = ParavirtReader.Read(Request(copy)).Import!;
        File.WriteAllText(Asm(copy, "paravirt_types.h"), Render(import, "macro", File.ReadAllText(Asm(copy, "paravirt_types.h"))));
        string dir = Repo.TempDir("fake-macro-objects");
        string kernel = CompileCallers(Tree, Path.Combine(dir, "kernel.o"));
        string macro = CompileCallers(copy, Path.Combine(dir, "macro.o"));

        // The oracle is binutils: the same code and the same records, relocation for relocation.
        Assert.Equal(Disassembly(kernel), Disassembly(macro));
        foreach (string section in new[] { ".parainstructions", ".altinstructions", ".altinstr_replacement" })
        {
            Assert.Equal(HexDump(kernel, section), HexDump(macro, section));
        }

        var kernelRelocations = Binutils.Relocations(kernel);
        var macroRelocations = Binutils.Relocations(macro);
        Assert.Equal(kernelRelocations.Keys.Order(), macroRelocations.Keys.Order());
        foreach (string section in kernelRelocations.Keys)
        {
            Assert.Equal(kernelRelocations[section], macroRelocations[section]);
        }

        Assert.Equal(8, kernelRelocations[".rela.parainstructions"].Count);
        var (identical, _, differences) = ObjectComparison.Compare(kernel, macro);
        Assert.True(identical, string.Join('\n', differences));
    }

    [Fact]
    public void Plain_drop_in_makes_ordinary_typed_calls_through_the_table()
    {
        string copy = Copy("fake-plain");
        var import = ParavirtReader.Read(Request(copy)).Import!;
        File.WriteAllText(Asm(copy, "paravirt_types.h"), Render(import, "plain", File.ReadAllText(Asm(copy, "paravirt_types.h"))));
        string obj = CompileCallers(copy, Path.Combine(Repo.TempDir("fake-plain-objects"), "plain.o"));

        Assert.False(Binutils.Relocations(obj).ContainsKey(".rela.parainstructions"));
        var calls = Binutils.Disassemble(obj).Where(i => i.RelocTarget?.StartsWith("pv_ops", StringComparison.Ordinal) == true).ToList();
        // Every wrapper call is a call (a tail call at the end of a function) through its op's slot: pv_ops + slot * 8 - 4, PC-relative.
        Assert.All(calls, c => Assert.Contains(c.Mnemonic, new[] { "call", "jmp" }));
        var slots = import.Model.Ops.ToDictionary(o => o.Path, o => o.Slot);
        var expected = new[] { "cpu.io_delay", "cpu.read_cr0", "cpu.write_cr0", "irq.save_fl", "mmu.set_pte", "mmu.pte_val" }.Select(op => slots[op]).Order().ToList();
        Assert.Equal(expected, calls.Select(c => (int)((Addend(c.RelocTarget!) + 4) / 8)).Distinct().Order().ToList());
        Assert.Equal(9, calls.Count);
    }

    /// <summary>The addend of an objdump relocation target: "pv_ops+0x2c" is 0x2c, "pv_ops-0x4" is -4.</summary>
    internal static long Addend(string target)
    {
        int sign = target.IndexOfAny(['+', '-']);
        return sign < 0 ? 0 : (target[sign] == '-' ? -1 : 1) * Convert.ToInt64(target[(sign + 1)..], 16);
    }

    [Fact]
    public void Plain_families_type_check_what_the_macros_cast_to_a_word()
    {
        string copy = Copy("fake-typed");
        var import = ParavirtReader.Read(Request(copy)).Import!;
        string original = File.ReadAllText(Asm(copy, "paravirt_types.h"));
        File.AppendAllText(Path.Combine(copy, "callers.c"), "\nvoid wrong(void) { PVOP_VCALL1(cpu.write_cr0, (void *)0); }\n");

        // The kernel's macro casts the pointer to unsigned long and says nothing; the plain family is a typed call.
        CompileCallers(copy, Path.Combine(copy, "kernel.o"));
        File.WriteAllText(Asm(copy, "paravirt_types.h"), Render(import, "plain", original));
        var run = Tool.Run("gcc", ["-O2", "-std=gnu11", "-nostdinc", "-ffreestanding", "-fno-pie", "-mcmodel=kernel", "-fno-strict-aliasing", "-Wall", "-Werror",
            "-I", Path.Combine(copy, "arch", "x86", "include"), "-c", Path.Combine(copy, "callers.c"), "-o", Path.Combine(copy, "plain.o")]);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("makes integer from pointer", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_override_replaces_one_drop_in_template()
    {
        string overrides = Repo.TempDir("fake-templates");
        Directory.CreateDirectory(Path.Combine(overrides, "kernel", "partials"));
        File.WriteAllText(Path.Combine(overrides, "kernel", "partials", "banner.sbn-c"), "/* maintainer's banner for {{ style }} */\n");
        var import = ParavirtReader.Read(Request(Tree)).Import!;
        string text = DropIn.Render(new DropInRequest
        {
            Import = import, Style = "macro", Invocation = "test", ParavirtDisplay = "paravirt.h", TypesDisplay = "paravirt_types.h", TemplateDirectory = overrides,
        }, File.ReadAllText(Asm(Tree, "paravirt_types.h")));
        Assert.Contains("/* maintainer's banner for macro */", text, StringComparison.Ordinal);
        Assert.Contains("#define PVOP_ALT_CALLEE1(rettype, op, arg1, alt, cond)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_header_is_an_error_not_an_empty_import()
    {
        var result = ParavirtReader.Read(Request(Tree) with { ParavirtHeader = Path.Combine(Tree, "no-such.h") });
        Assert.False(result.Succeeded);
        Assert.Equal(DiagnosticIds.FileNotFound, Assert.Single(result.Diagnostics).Id);
    }

    [Fact]
    public void A_wrapper_that_does_not_compile_is_a_located_clang_error()
    {
        string copy = Copy("fake-broken");
        string header = Asm(copy, "paravirt.h");
        File.WriteAllText(header, File.ReadAllText(header).Replace("PVOP_VCALL1(cpu.write_cr0, x);", "PVOP_VCALL1(cpu.write_cr0, x) + ;", StringComparison.Ordinal));
        var result = ParavirtReader.Read(Request(copy));
        Assert.False(result.Succeeded);
        var error = result.Diagnostics.First(d => d.Severity == Severity.Error);
        Assert.Equal(DiagnosticIds.ClangError, error.Id);
        Assert.EndsWith("paravirt.h", error.Location!.File, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllLines(header).ToList().FindIndex(l => l.Contains("+ ;", StringComparison.Ordinal)) + 1, error.Location.Line);
    }

    [Fact]
    public void A_family_whose_parameters_do_not_match_its_name_is_refused()
    {
        string copy = Copy("fake-family");
        string types = Asm(copy, "paravirt_types.h");
        File.WriteAllText(types, File.ReadAllText(types).Replace("#define PVOP_VCALL1(op, arg1)", "#define PVOP_VCALL1(op, value)", StringComparison.Ordinal)
            .Replace("\"D\" ((unsigned long)(arg1)) \\\n\t\t\t: \"memory\", \"cc\", \"rax\", \"r8\", \"r9\", \"r10\", \"r11\"); })\n\n#define PVOP_VCALL2",
                "\"D\" ((unsigned long)(value)) \\\n\t\t\t: \"memory\", \"cc\", \"rax\", \"r8\", \"r9\", \"r10\", \"r11\"); })\n\n#define PVOP_VCALL2", StringComparison.Ordinal));
        var result = ParavirtReader.Read(Request(copy));
        Assert.False(result.Succeeded);
        Assert.Contains(result.Diagnostics, d => d.Id == DiagnosticIds.ImportUnmatched && d.Message.Contains("PVOP_VCALL1(op, value)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_header_that_calls_no_op_is_an_error()
    {
        string copy = Copy("fake-empty");
        File.WriteAllText(Asm(copy, "paravirt.h"), "#include <asm/paravirt_types.h>\nstatic inline int nothing(void) { return 0; }\n");
        var result = ParavirtReader.Read(Request(copy));
        Assert.False(result.Succeeded);
        Assert.Contains(result.Diagnostics, d => d.Id == DiagnosticIds.ImportUnmatched && d.Message.Contains("calls no op", StringComparison.Ordinal));
    }

    [Fact]
    public void Cli_import_writes_a_pvgen_json_that_parse_reads_with_every_callee_save_signature()
    {
        string dir = Repo.TempDir("fake-cli");
        var run = Tool.Pvgen(["import", "arch/x86/include/asm/paravirt.h", "--kernel-tree", Tree, "-o", "pv.json", "--drop-in", "dropin"], dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "pv.json")));
        var ops = json.RootElement.GetProperty("ops");
        var flags = ops.GetProperty("irq.save_fl");
        Assert.Equal("arch_local_save_flags", flags.GetProperty("wrapper").GetString());
        Assert.True(flags.GetProperty("callee_save").GetBoolean());
        Assert.Equal("unsigned long (void)", flags.GetProperty("signature").GetString());
        Assert.Equal("9c 58", flags.GetProperty("native").GetString());
        Assert.Equal("ALT_NOT(FEATURE_HYPERVISOR)", flags.GetProperty("condition").GetString());
        Assert.Equal(["irq.irq_disable"], json.RootElement.GetProperty("import").GetProperty("uncalled_ops").EnumerateArray().Select(e => e.GetString()));
        Assert.True(File.Exists(Path.Combine(dir, "dropin", "macro", "arch", "x86", "include", "asm", "paravirt_types.h")));
        Assert.True(File.Exists(Path.Combine(dir, "dropin", "plain", "arch", "x86", "include", "asm", "paravirt_types.h")));

        var parse = Tool.Pvgen(["parse", "--config", "pv.json", "--format", "json"], dir);
        Assert.True(parse.ExitCode == 0, parse.ToString());
        using var model = JsonDocument.Parse(parse.Stdout);
        var calleeSave = model.RootElement.GetProperty("ops").EnumerateArray().Where(o => o.GetProperty("callee_save").GetBoolean()).ToList();
        Assert.Equal(["irq.save_fl", "mmu.pte_val"], calleeSave.Where(o => o.GetProperty("signature_known").GetBoolean()).Select(o => o.GetProperty("path").GetString()));
        Assert.Equal(["irq.irq_disable"], calleeSave.Where(o => !o.GetProperty("signature_known").GetBoolean()).Select(o => o.GetProperty("path").GetString()));
    }

    [Fact]
    public void Cli_import_of_a_missing_header_exits_2_without_output()
    {
        string dir = Repo.TempDir("fake-cli-bad");
        var run = Tool.Pvgen(["import", "no/such/paravirt.h", "--kernel-tree", Tree, "-o", "pv.json"], dir);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("[PVG0001]", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "pv.json")));
    }

    internal static string Render(PvGen.Model.Kernel.ParavirtImport import, string style, string typesText) => DropIn.Render(new DropInRequest
    {
        Import = import, Style = style, Invocation = "test", ParavirtDisplay = "arch/x86/include/asm/paravirt.h", TypesDisplay = "arch/x86/include/asm/paravirt_types.h",
    }, typesText);

    /// <summary>objdump -d of .text without addresses' file name line, for comparing two objects.</summary>
    internal static string Disassembly(string obj)
    {
        var run = Tool.Run("objdump", ["-d", "-j", ".text", obj]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return string.Join('\n', run.Stdout.Split('\n').Where(l => !l.Contains("file format", StringComparison.Ordinal)));
    }

    /// <summary>The bytes of a section, from objdump -s (empty when the object has no such section).</summary>
    internal static List<byte> HexDump(string obj, string section)
    {
        var run = Tool.Run("objdump", ["-s", "-j", section, obj]);
        var bytes = new List<byte>();
        foreach (string line in run.Stdout.Split('\n'))
        {
            if (line.Length < 8 || line[0] != ' ' || !Uri.IsHexDigit(line[1]))
            {
                continue;
            }

            // " 0000 9c58.... text": the hex words after the offset, before the two-space text column.
            string hex = line[1..].Split(' ', 2)[1];
            int text = hex.IndexOf("  ", StringComparison.Ordinal);
            foreach (string word in (text >= 0 ? hex[..text] : hex).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                for (int i = 0; i + 1 < word.Length; i += 2)
                {
                    bytes.Add(Convert.ToByte(word.Substring(i, 2), 16));
                }
            }
        }

        return bytes;
    }
}
