using System.Globalization;
using PvGen.Clang;
using PvGen.Comparison.Tests;
using PvGen.Model.Kernel;
using PvGen.TestSupport;

namespace PvGen.Kernel.Tests;

/// <summary>
/// The import of Debian 12's real paravirt.h (6.1 and 6.12 headers), checked against gcc: every wrapper is compiled
/// into a probe function with the kernel's flags, objdump says which slot of pv_ops it calls, and gcc itself confirms
/// that the op the import names sits at that offset. The natives are checked against gcc's .altinstr_replacement.
/// </summary>
public sealed class DebianImportTests
{
    public static TheoryData<string> Kernels => ["6.1", "6.12"];

    private static (string Headers, string Build) Trees(string kernel)
    {
        if (kernel == "6.1" && DebianKernels.Instance is { } debian)
        {
            return (debian.Source, debian.BuildAmd64);
        }

        var sources = KernelSources.Instance;
        Skip.If(sources is null, kernel == "6.1" ? DebianKernels.Reason : KernelSources.Reason);
        return (sources![kernel].Headers, sources[kernel].Build);
    }

    private static KernelImport Import(string kernel)
    {
        var (headers, build) = Trees(kernel);
        var (import, diagnostics) = KernelImporter.Run(new ImportRequest
        {
            ParavirtHeader = Path.Combine(headers, "arch", "x86", "include", "asm", "paravirt.h"),
            KernelTree = headers,
            KernelBuild = build,
        });
        Assert.True(import is not null, string.Join('\n', diagnostics));
        return import!;
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Every_op_paravirt_h_calls_is_matched_to_the_slot_gcc_calls(string kernel)
    {
        var import = Import(kernel).Import;
        var (headers, build) = Trees(kernel);
        Assert.Equal(kernel == "6.1" ? SiteRecording.ParaInstructions : SiteRecording.AltInstructions, import.Recording);
        Assert.True(import.Wrappers.Count >= 80, $"{import.Wrappers.Count} wrappers");

        // 1. gcc compiles every wrapper into a probe function; objdump gives the pv_ops offsets each one calls through.
        string dir = Repo.TempDir($"import-probe-{kernel}");
        var probe = new System.Text.StringBuilder("#include <asm/paravirt.h>\n");
        foreach (var wrapper in import.Wrappers)
        {
            probe.AppendLine(Probe(wrapper));
        }

        string obj = Compile(headers, build, dir, "probe", probe.ToString());
        var called = Binutils.Disassemble(obj)
            .Where(i => i.Mnemonic is "call" or "jmp" && i.RelocTarget?.StartsWith("pv_ops", StringComparison.Ordinal) == true)
            .GroupBy(i => i.Function)
            .ToDictionary(g => g.Key, g => g.Select(i => Addend(i.RelocTarget!) + 4).Distinct().Order().ToList());
        foreach (var wrapper in import.Wrappers)
        {
            Assert.True(called.ContainsKey($"probe_{wrapper.Name}"), $"gcc's probe of {wrapper.Name} calls no pv op");
            Assert.Equal(wrapper.Ops.Count, called[$"probe_{wrapper.Name}"].Count);
        }

        // 2. gcc confirms that each op the import names is at the offset its wrapper calls.
        var asserts = new System.Text.StringBuilder("#include <asm/paravirt.h>\n");
        foreach (var wrapper in import.Wrappers)
        {
            long offset = called[$"probe_{wrapper.Name}"].Single();
            asserts.AppendLine(CultureInfo.InvariantCulture,
                $"_Static_assert(__builtin_offsetof(struct paravirt_patch_template, {wrapper.Ops.Single()}) == {offset}, \"{wrapper.Name}\");");
        }

        Compile(headers, build, dir, "offsets", asserts.ToString());

        // 3. Every op of the table is either called (and matched above) or listed as never called.
        var calledOps = import.Calls.Select(c => c.Op).ToHashSet();
        Assert.Equal(import.Model.Ops.Select(o => o.Path).Where(p => !calledOps.Contains(p)), import.UncalledOps);
        Assert.Equal(import.Model.Ops.Count, calledOps.Count + import.UncalledOps.Count);
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Native_alternatives_are_the_bytes_gcc_assembles_at_each_site(string kernel)
    {
        var imported = Import(kernel);
        var (headers, build) = Trees(kernel);
        string dir = Repo.TempDir($"import-native-{kernel}");
        Assert.True(imported.Natives.Count >= 15, $"{imported.Natives.Count} natives");
        foreach (var (op, bytes) in imported.Natives)
        {
            var wrapper = imported.Import.Wrappers.First(w => w.Ops.Contains(op));
            string obj = Compile(headers, build, dir, "native_" + wrapper.Name, "#include <asm/paravirt.h>\n" + Probe(wrapper));
            string replacement = string.Join(' ', FakeTreeTests.HexDump(obj, ".altinstr_replacement").Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
            Assert.True(replacement.Contains(bytes, StringComparison.Ordinal), $"{op} ({wrapper.Name}): native {bytes} not in .altinstr_replacement {replacement}");
        }

        Assert.Equal("9c 58", imported.Natives["irq.save_fl"]);
        Assert.Equal("fa", imported.Natives["irq.irq_disable"]);
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Callee_save_signatures_are_the_types_the_wrappers_pass(string kernel)
    {
        var import = Import(kernel).Import;
        var calleeSave = import.Calls.Where(c => c.CalleeSave).ToList();
        Assert.All(import.Model.Ops.Where(o => o.CalleeSave), o => Assert.Contains(calleeSave, c => c.Op == o.Path));
        Assert.Equal("unsigned long (void)", KernelImporter.SiteSignature(calleeSave.Single(c => c.Op == "irq.save_fl")));
        Assert.Equal("pteval_t (pteval_t)", KernelImporter.SiteSignature(calleeSave.Single(c => c.Op == "mmu.pte_val")));
        Assert.Equal("bool (long)", KernelImporter.SiteSignature(calleeSave.Single(c => c.Op == "lock.vcpu_is_preempted")));
        Assert.All(calleeSave, c => Assert.Equal(["rax"], c.Clobbers));
    }

    /// <summary>A noinline function with the wrapper's own signature that calls it once.</summary>
    private static string Probe(PvWrapper wrapper)
    {
        string signature = wrapper.Signature;
        int open = signature.IndexOf('(', StringComparison.Ordinal);
        string result = signature[..open].Trim();
        string parameters = signature[(open + 1)..signature.LastIndexOf(')')];
        var names = parameters == "void" ? [] : SplitTopLevel(parameters).Select(p => p.Split([' ', '*']).Last()).ToList();
        string call = $"{wrapper.Name}({string.Join(", ", names)})";
        return $"__attribute__((__noinline__)) {result} probe_{wrapper.Name}({parameters}) {{ {(result == "void" ? call : "return " + call)}; }}";
    }

    private static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
            if (text[i] == ',' && depth == 0)
            {
                parts.Add(text[start..i].Trim());
                start = i + 1;
            }
        }

        parts.Add(text[start..].Trim());
        return parts;
    }

    /// <summary>gcc with the kernel's include flags and ABI (what Kbuild passes that matters for these headers).</summary>
    private static string Compile(string headers, string build, string dir, string name, string source)
    {
        string file = Path.Combine(dir, name + ".c");
        File.WriteAllText(file, source);
        var flags = new PvGen.Model.CompileEnvironment(PvGen.Model.Target.X86_64, headers, build, [], [], []).Flags();
        string obj = Path.Combine(dir, name + ".o");
        var run = Tool.Run("gcc", ["-O2", "-std=gnu11", "-mno-red-zone", "-fno-strict-aliasing", "-fno-asynchronous-unwind-tables", "-fno-stack-protector",
            "-w", .. flags, "-c", file, "-o", obj]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return obj;
    }

    private static long Addend(string target)
    {
        int sign = target.IndexOfAny(['+', '-']);
        return sign < 0 ? 0 : (target[sign] == '-' ? -1 : 1) * Convert.ToInt64(target[(sign + 1)..], 16);
    }
}
