using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PvGen.TestSupport;

namespace PvGen.Proving.Tests;

/// <summary>
/// `pvgen prove` as a user runs it, on every bundled example for both targets with every installed compiler at -O0 and
/// -O2: both styles in every record format behave the same patched and unpatched. The programs are kept and checked
/// with binutils: every record the linker gathered was walked, and the bytes a patched site holds decode (objdump) to a
/// direct call of the hypervisor's implementation (nm).
/// </summary>
public sealed partial class ExampleProofTests
{
    public static IEnumerable<object[]> Names() => Examples.Names.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_style_and_record_format_behaves_the_same_patched(string example)
    {
        string dir = Repo.TempDir("prove-" + example);
        string json = Path.Combine(dir, "prove.json");
        string keep = Path.Combine(dir, "build");
        var run = Tool.Pvgen(["prove", "--config", Repo.Example(example, "pvgen.json"), "--target", "x86_64,i386", "--format", "json", "-o", json, "--keep-build", keep, "--jobs", "2"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var report = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        var builds = report.GetProperty("builds").EnumerateArray().ToList();
        Assert.Equal(2 * Tool.Compilers().Count * 2 * 2 * 3, builds.Count); // targets x compilers x -O0,-O2 x styles x formats
        Assert.All(builds, b => Assert.Equal("proved", b.GetProperty("verdict").GetString()));

        foreach (var build in builds.Where(b => b.GetProperty("style").GetString() == "macro"))
        {
            // Every wrapper the exerciser calls is recorded in macro style, so every build patches and runs patched sites.
            Assert.True(build.GetProperty("patched").GetInt32() > 0 && build.GetProperty("sites_executed").GetInt32() > 0, build.GetProperty("id").GetString());
            Assert.Equal(0, build.GetProperty("refused").GetInt32());
        }

        foreach (var build in builds.Where(b => b.GetProperty("opt").GetString() == "O2" && b.GetProperty("compiler").GetString() == "gcc"))
        {
            string target = build.GetProperty("target").GetString()!;
            string exe = Path.Combine(keep, target, "builds", build.GetProperty("id").GetString()!, "prove.elf");
            CheckWithBinutils(exe, target, build.GetProperty("format").GetString()!, build.GetProperty("records").GetInt32());
        }
    }

    /// <summary>The bundled corpus's lost sites are where the diff says they are, and they still behave (through the table).</summary>
    [Fact]
    public void The_corpus_sites_the_reloc_approach_loses_run_through_the_table()
    {
        string json = Path.Combine(Repo.TempDir("prove-corpus"), "prove.json");
        var run = Tool.Pvgen(["prove", "--config", Repo.Example("linux-5.10-x86_64", "pvgen.json"), "--cc", "gcc", "--opt", "O2", "--style", "plain", "--format", "json", "-o", json]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var builds = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("builds").EnumerateArray().ToDictionary(b => b.GetProperty("format").GetString()!);
        IEnumerable<JsonElement> Indirect(string format) => builds[format].GetProperty("sites").EnumerateArray().Where(s => s.GetProperty("state").GetString() == "indirect");

        // loaded_once.c: a pointer loaded once and called through a register, in every format, and it ran.
        foreach (string format in new[] { "para16", "para6", "alt14" })
        {
            var loads = Indirect(format).Where(s => s.GetProperty("reason").GetString() == "load").ToList();
            Assert.Contains(loads, s => s.GetProperty("function").GetString()!.StartsWith("kick_all+", StringComparison.Ordinal) && s.GetProperty("executions").GetInt32() > 0);
            Assert.Contains(loads, s => s.GetProperty("function").GetString()!.StartsWith("delay_n+", StringComparison.Ordinal) && s.GetProperty("executions").GetInt32() > 0);
        }

        // tail_calls.c: a .parainstructions record cannot say jump, alt14 (PvGen's e9 replacement) can.
        Assert.Contains(Indirect("para16"), s => s.GetProperty("function").GetString() == "arch_safe_halt+0x0" && s.GetProperty("reason").GetString() == "tail-jump");
        Assert.Contains(builds["alt14"].GetProperty("sites").EnumerateArray(), s => s.GetProperty("function").GetString() == "arch_safe_halt+0x0"
            && s.GetProperty("state").GetString() == "patched-jmp" && s.GetProperty("executions").GetInt32() == 1);
    }

    /// <summary>
    /// The header input of the other verbs, without a pvgen.json: `pvgen prove HEADER --struct NAME --corpus FILE`. The
    /// corpus's own calls are patched and run in every format, and its one tail jump is what only alt14 can patch.
    /// </summary>
    [Fact]
    public void A_header_and_a_corpus_of_one_s_own_prove_without_a_config()
    {
        string dir = Repo.TempDir("prove-header");
        string corpus = Path.Combine(dir, "calls.c");
        File.WriteAllText(corpus, """
            unsigned long flags_roundtrip(void) { unsigned long f = pv_irq_save_fl(); pv_irq_irq_disable(); pv_irq_restore_fl(f); return f; }
            void switch_to(unsigned long cr3) { pv_mmu_write_cr3(cr3); pv_mmu_flush_tlb_one(cr3 + 4096); }
            unsigned long long tsc_twice(void) { return pv_read_tsc() + pv_read_tsc(); }
            """);
        string json = Path.Combine(dir, "prove.json");
        string keep = Path.Combine(dir, "build");
        var run = Tool.Pvgen(["prove", Repo.Example("toy", "toy_ops.h"), "--struct", "toy_ops", "--corpus", corpus, "--target", "x86_64", "--cc", "gcc", "--opt", "O2",
            "--format", "json", "-o", json, "--keep-build", keep]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var builds = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("builds").EnumerateArray().ToList();
        Assert.Equal(2 * 3, builds.Count); // styles x formats
        foreach (var build in builds)
        {
            string id = build.GetProperty("id").GetString()!;
            Assert.True(build.GetProperty("verdict").GetString() == "proved", id);
            var mine = build.GetProperty("sites").EnumerateArray()
                .Where(s => s.GetProperty("function").GetString() is { } f && (f.StartsWith("flags_roundtrip+", StringComparison.Ordinal) || f.StartsWith("switch_to+", StringComparison.Ordinal) || f.StartsWith("tsc_twice+", StringComparison.Ordinal)))
                .ToList();
            Assert.True(mine.Count == 7, $"{id}: {mine.Count} corpus sites"); // gcc -O2: 3 + 2 + 2 references through the table
            Assert.All(mine, s => Assert.Equal(1, s.GetProperty("executions").GetInt32()));
            bool tailJumpStaysIndirect = build.GetProperty("style").GetString() == "plain" && build.GetProperty("format").GetString() != "alt14";
            Assert.Equal(tailJumpStaysIndirect ? 6 : 7, mine.Count(s => s.GetProperty("state").GetString()!.StartsWith("patched-", StringComparison.Ordinal)));
            CheckWithBinutils(Path.Combine(keep, "x86_64", "builds", id, "prove.elf"), "x86_64", build.GetProperty("format").GetString()!, build.GetProperty("records").GetInt32());
        }
    }

    internal static void CheckWithBinutils(string exe, string target, string format, int records)
    {
        bool alt = format == "alt14";
        string section = alt ? ".altinstructions" : ".parainstructions";
        var relocations = Tool.Run("readelf", ["-rW", exe]).Stdout;
        var table = Regex.Match(relocations, $@"Relocation section '\.rela?{Regex.Escape(section)}' at offset \S+ contains (\d+) entr");
        Assert.True(records == 0 || table.Success, $"{exe}: no relocations for {section}");
        int entries = table.Success ? int.Parse(table.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        Assert.Equal(records * (alt ? 2 : 1), entries);

        var symbols = Symbols(exe);
        string start = alt ? "__alt_instructions" : "__parainstructions";
        var headers = Regex.Match(Tool.Run("readelf", ["-SW", exe]).Stdout, $@"\] {Regex.Escape(section)}\s+PROGBITS\s+([0-9a-f]+) [0-9a-f]+ ([0-9a-f]+)");
        Assert.True(headers.Success, $"{exe}: no {section} section");
        Assert.Equal(ulong.Parse(headers.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), symbols[start]);
        Assert.Equal(symbols[start] + ulong.Parse(headers.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), symbols[start + "_end"]);

        // Run the program again and decode what it patched, with objdump, against nm's addresses.
        var output = Tool.Run(exe, []);
        Assert.Equal(0, output.ExitCode);
        var byAddress = symbols.GroupBy(s => s.Value).ToDictionary(g => g.Key, g => g.Select(s => s.Key).ToList());
        int decoded = 0;
        foreach (Match m in PatchLine().Matches(output.Stdout))
        {
            if (m.Groups["action"].Value is not ("call" or "jmp"))
            {
                continue;
            }

            ulong site = ulong.Parse(m.Groups["site"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            string bin = Path.Combine(Path.GetDirectoryName(exe)!, "patched.bin");
            File.WriteAllBytes(bin, Convert.FromHexString(m.Groups["bytes"].Value));
            var dump = Tool.Run("objdump", ["-D", "-b", "binary", "-m", target == "x86_64" ? "i386:x86-64" : "i386", $"--adjust-vma=0x{site:x}", bin]).Stdout;
            var first = DirectBranch().Match(dump);
            Assert.True(first.Success, $"{exe}: patched bytes at 0x{site:x} do not decode to a direct call or jump:\n{dump}");
            Assert.Equal(m.Groups["action"].Value, first.Groups["mnemonic"].Value);
            ulong destination = ulong.Parse(first.Groups["target"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            Assert.True(byAddress.TryGetValue(destination, out var names) && names.Any(n => n.StartsWith("pvgen_H_", StringComparison.Ordinal) || n.StartsWith("pvgen_N_", StringComparison.Ordinal)),
                $"{exe}: the site at 0x{site:x} calls 0x{destination:x}, which is no hypervisor implementation");
            Assert.All(dump.Split('\n').Skip(dump.Split('\n').ToList().FindIndex(l => DirectBranch().IsMatch(l)) + 1).Where(l => Regex.IsMatch(l, @"^\s+[0-9a-f]+:\t")),
                l => Assert.Contains("nop", l, StringComparison.Ordinal));
            decoded++;
        }

        Assert.True(records == 0 || decoded > 0, $"{exe}: no patched call decoded");
    }

    private static Dictionary<string, ulong> Symbols(string exe)
    {
        var symbols = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (string line in Tool.Run("nm", [exe]).Stdout.Split('\n'))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 3)
            {
                symbols.TryAdd(parts[2], ulong.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }

        return symbols;
    }

    [GeneratedRegex(@"(?m)^P [0-9a-f]+ (?<site>[0-9a-f]+) [0-9a-f]+ [0-9a-f]+ (?<action>\S+) [0-9a-f]+ (?<bytes>[0-9a-f]*)$")]
    private static partial Regex PatchLine();

    [GeneratedRegex(@"\t(?<mnemonic>call|jmp)\S*\s+0x(?<target>[0-9a-f]+)")]
    private static partial Regex DirectBranch();
}
