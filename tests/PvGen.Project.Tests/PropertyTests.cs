using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PvGen.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace PvGen.Project.Tests;

/// <summary>
/// The property every verb owes its users, over inputs made by a seeded generator and run through the real CLI (the built
/// pvgen.dll, one process per run, as a user runs it): it succeeds with output that passes its own checker (generate, then
/// check with gcc), or it exits 2 with a located message of ours. Never a stack trace or a .NET resource key, never a run
/// past <see cref="TimeoutSeconds"/> (the process is killed and the case fails), never exit 0 with output check rejects.
/// Families: generated headers (nesting, anonymous members, data members, variadic and unprototyped ops, duplicate names,
/// syntax errors, tables of hundreds to thousands of ops), pvgen.json op and generate settings, model JSON mutations (model
/// validation), and directory trees with symlink cycles, FIFOs, dangling links and hard links (the directory walk, whose
/// object count is checked against the files the test made). A failing case prints its family, index and inputs;
/// PVGEN_PROPERTY_CASE=family:index reruns one, PVGEN_PROPERTY_SCALE=N runs N times as many.
/// </summary>
public sealed partial class PropertyTests(ITestOutputHelper output)
{
    private const int Seed = 162026;
    private const int TimeoutSeconds = 240;

    private static readonly string[] ToyOps = ["irq.save_fl", "irq.restore_fl", "irq.irq_disable", "irq.irq_enable", "mmu.write_cr3", "mmu.set_pte", "mmu.flush_tlb_one", "read_tsc"];

    // A diagnostic in the gcc form with our id: "where: error: message [PVG0123]".
    [GeneratedRegex(@"^(?<where>[^\n]+?): error: (?<message>[^\n]+) \[PVG\d{4}\]", RegexOptions.Multiline)]
    private static partial Regex ErrorLine();

    [GeneratedRegex(@": error: [^\n]*\[(PVG\d{4})\]")]
    private static partial Regex ErrorId();

    [GeneratedRegex(@":\d+:\d+$")]
    private static partial Regex LineColumn();

    private sealed record Case(string Family, int Index, string Directory, Random Random)
    {
        public override string ToString() => $"{Family}:{Index}";
    }

    private sealed class CaseFailed(string message) : Exception(message);

    [Fact]
    public void Every_verb_succeeds_with_output_its_checker_accepts_or_refuses_in_words()
    {
        int scale = int.TryParse(Environment.GetEnvironmentVariable("PVGEN_PROPERTY_SCALE"), out int s) && s > 0 ? s : 1;
        string? only = Environment.GetEnvironmentVariable("PVGEN_PROPERTY_CASE");
        var families = new (string Name, int Count, Action<Case> Body)[]
        {
            ("header", 70 * scale, HeaderCase),
            ("config", 60 * scale, ConfigCase),
            ("model", 60 * scale, ModelCase),
            ("directory", 30 * scale, DirectoryCase),
        };
        var cases = families.SelectMany(f => Enumerable.Range(0, f.Count).Select(i => (f.Name, Index: i, f.Body)))
            .Where(c => only is null || only == $"{c.Name}:{c.Index}")
            .ToList();
        Assert.NotEmpty(cases);

        var failures = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, c =>
        {
            var @case = new Case(c.Name, c.Index, Repo.TempDir($"property-{c.Name}-{c.Index}"), new Random(CaseSeed(c.Name, c.Index)));
            try
            {
                c.Body(@case);
                Directory.Delete(@case.Directory, recursive: true);
            }
            catch (CaseFailed e)
            {
                failures.Add($"case {@case} (PVGEN_PROPERTY_CASE={@case}; inputs kept in {@case.Directory}):\n{e.Message}");
            }
        });

        lock (outcomes)
        {
            output.WriteLine($"{cases.Count} cases, {runs} pvgen runs in {clock.Elapsed.TotalSeconds:F0} s");
            foreach (var (key, count) in outcomes.OrderBy(o => o.Key, StringComparer.Ordinal))
            {
                output.WriteLine($"  {key}: {count}");
            }
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count} cases broke the property:\n\n" + string.Join("\n\n", failures.Take(5)));
    }

    private readonly Dictionary<string, int> outcomes = [];
    private int runs;

    /// <summary>
    /// The same number for a case in every process (FNV-1a over seed, family and index), so PVGEN_PROPERTY_CASE reruns the
    /// case that failed; HashCode.Combine, used before, is randomized per process and made every run other cases.
    /// </summary>
    private static int CaseSeed(string family, int index)
    {
        uint hash = 2166136261;
        foreach (char ch in FormattableString.Invariant($"{Seed}:{family}:{index}"))
        {
            hash = (hash ^ ch) * 16777619;
        }

        return (int)(hash & int.MaxValue);
    }

    /// <summary>One pvgen run, held to the property; returns it for the next step.</summary>
    private ToolResult Pvgen(Case c, string[] args, params int[] allowed)
    {
        ToolResult run;
        try
        {
            run = Tool.Pvgen(args, c.Directory, timeoutSeconds: TimeoutSeconds);
        }
        catch (TimeoutException)
        {
            throw Failed(c, $"pvgen {string.Join(' ', args)} did not finish in {TimeoutSeconds} s (killed)");
        }

        lock (outcomes)
        {
            runs++;
            string key = $"{c.Family} {args[0]} exit {run.ExitCode}";
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
            if (run.ExitCode == 2 && ErrorId().Match(run.Stderr) is { Success: true } first)
            {
                // Which error refused the input: the figures say what each family exercises.
                string refused = $"{key} {first.Groups[1].Value}";
                outcomes[refused] = outcomes.GetValueOrDefault(refused) + 1;
            }
        }

        if (UserMessages.Foreign(run.Stdout + "\n" + run.Stderr) is { } foreign)
        {
            throw Failed(c, $"pvgen {string.Join(' ', args)}: '{foreign}' is not a message of ours\n{run}");
        }

        if (!allowed.Contains(run.ExitCode))
        {
            throw Failed(c, $"pvgen {string.Join(' ', args)}: exit {run.ExitCode}, expected one of {string.Join(", ", allowed)}\n{run}");
        }

        if (run.ExitCode == 2 && !Located(run.Stderr))
        {
            throw Failed(c, $"pvgen {string.Join(' ', args)}: exit 2 without a located error of ours\n{run}");
        }

        return run;
    }

    /// <summary>An error of ours that says where: FILE:LINE:COL, a file or object path, the option at fault, or the input named in quotes.</summary>
    private static bool Located(string stderr) => ErrorLine().Matches(stderr).Any(m =>
    {
        string where = m.Groups["where"].Value;
        string message = m.Groups["message"].Value;
        return LineColumn().IsMatch(where) || (where != "pvgen" && (where.Contains('/') || where.Contains('.')))
            || (where == "pvgen" && (message.StartsWith("--", StringComparison.Ordinal) || message.Contains('\'')));
    });

    /// <summary>generate, then (when it succeeded) check of what it wrote: check must accept it.</summary>
    private void GenerateThenCheck(Case c, params string[] generate)
    {
        var generated = Pvgen(c, ["generate", .. generate, "-o", "out"], 0, 2);
        if (generated.ExitCode == 2)
        {
            if (Directory.Exists(Path.Combine(c.Directory, "out")))
            {
                throw Failed(c, "generate refused its input but wrote out/\n" + generated);
            }

            return;
        }

        var checkedRun = Pvgen(c, ["check", "out", "--cc", "gcc", "--opt", "O2"], 0, 1, 2);
        if (checkedRun.ExitCode != 0)
        {
            throw Failed(c, $"generate exited 0 but check rejects its output (exit {checkedRun.ExitCode})\ngenerate: {generated}\ncheck: {checkedRun}");
        }
    }

    private static CaseFailed Failed(Case c, string message)
    {
        var inputs = new StringBuilder();
        foreach (string file in new[] { "h.h", "pvgen.json", "m.json", "tree.txt" }.Select(f => Path.Combine(c.Directory, f)).Where(File.Exists))
        {
            string text = File.ReadAllText(file);
            inputs.Append(FormattableString.Invariant($"--- {Path.GetFileName(file)} ---\n{(text.Length > 3000 ? text[..3000] + "\n..." : text)}\n"));
        }

        return new CaseFailed(message + "\n" + inputs);
    }

    // ---- family: generated headers ----

    private static readonly string[] Returns = ["void", "void", "int", "unsigned long", "long long", "u8", "box_t", "void *", "_Bool", "ulong_t", "const char *"];
    private static readonly string[] Parameters = ["int", "unsigned long", "long long", "u8", "box_t", "box_t *", "void *", "ulong_t", "const char *", "unsigned short"];

    private void HeaderCase(Case c)
    {
        var r = c.Random;
        var text = new StringBuilder("typedef unsigned long ulong_t;\ntypedef unsigned char u8;\ntypedef struct { unsigned long v; } box_t;\ntypedef void (*hook_fn)(unsigned long);\n");
        int names = 0;
        string last = "m0";
        string Name()
        {
            // Now and then a name used twice in its struct: clang's error, located.
            if (r.Next(60) == 0)
            {
                return last;
            }

            last = $"m{++names}";
            return last;
        }

        string Op()
        {
            int roll = r.Next(100);
            string name = Name();
            if (roll < 2)
            {
                return $"\tint (*{name})(int, ...);\n";
            }

            if (roll < 4)
            {
                return $"\tvoid (*{name})();\n";
            }

            if (roll < 8)
            {
                return $"\thook_fn {name};\n";
            }

            int count = r.Next(r.Next(10) == 0 ? 9 : 5);
            string args = count == 0 ? "void" : string.Join(", ", Enumerable.Range(0, count).Select(i => $"{Parameters[r.Next(Parameters.Length)]} a{i}"));
            return $"\t{Returns[r.Next(Returns.Length)]} (*{name})({args});\n";
        }

        string Members(int depth)
        {
            var body = new StringBuilder();
            int count = 1 + r.Next(6);
            for (int i = 0; i < count; i++)
            {
                int roll = r.Next(100);
                if (roll < 12 && depth < 3)
                {
                    body.Append(FormattableString.Invariant($"\tstruct {{\n{Members(depth + 1)}\t}} {Name()};\n"));
                }
                else if (roll < 17 && depth < 3)
                {
                    body.Append(FormattableString.Invariant($"\tstruct {{\n{Members(depth + 1)}\t}};\n"));
                }
                else if (roll < 19)
                {
                    body.Append(FormattableString.Invariant($"\tunion {{ unsigned long {Name()}; void *{Name()}; }};\n"));
                }
                else if (roll < 24)
                {
                    body.Append(r.Next(3) switch
                    {
                        0 => $"\tlong {Name()};\n",
                        1 => $"\tunsigned char {Name()}[{1 + r.Next(24)}];\n",
                        _ => $"\tunsigned int {Name()} : {1 + r.Next(31)};\n",
                    });
                }
                else if (roll < 25)
                {
                    // A missing semicolon before another member: an error for every compiler.
                    body.Append("\tvoid (*broken)(void)\n\tint after;\n");
                }
                else if (roll < 26 && i == count - 1)
                {
                    // A missing semicolon before '}': gcc and clang only warn, but check compiles under -Werror.
                    body.Append(FormattableString.Invariant($"\tvoid (*{Name()})(void)\n"));
                }
                else
                {
                    body.Append(Op());
                }
            }

            return body.ToString();
        }

        string members;
        if (r.Next(25) == 0)
        {
            // A big flat table: the size at which Scriban's string limit once cut the output.
            var big = new StringBuilder();
            int ops = 300 + r.Next(1700);
            for (int i = 0; i < ops; i++)
            {
                big.Append(FormattableString.Invariant($"\tvoid (*op{i})(unsigned long a0);\n"));
            }

            members = big.ToString();
        }
        else
        {
            members = Members(0);
        }

        text.Append(FormattableString.Invariant($"struct ops {{\n{members}}};\nextern struct ops pv_table;\n"));
        File.WriteAllText(Path.Combine(c.Directory, "h.h"), text.ToString());
        string target = r.Next(3) == 0 ? "i386" : "x86_64";
        File.WriteAllText(Path.Combine(c.Directory, "pvgen.json"), $$"""{ "header": "h.h", "struct": "ops", "symbol": "pv_table", "target": "{{target}}" }""" + "\n");
        GenerateThenCheck(c, "--config", "pvgen.json");
    }

    // ---- family: pvgen.json settings over the toy header ----

    // Each setting: values a user may well write, then values that must be refused (picked one time in six).
    private static readonly (string Key, string[] Good, string[] Bad, int OneIn)[] OpKeys =
    [
        ("native", ["\"9c 58\"", "\"fa\"", "\"0f 22 df\"", "\"9c,58\"", "\"90\""], ["\"zz\"", "\"\"", "\"90 90 90 90 90 90 90 90 90 90\"", "7"], 2),
        ("clobbers", ["\"any\"", "[\"any\"]", "[\"rax\"]", "[\"rax\", \"rcx\"]", "\"rax\"", "[]"], ["[\"rzz\"]", "null", "[\"\"]"], 2),
        ("jump", ["false", "true"], ["1"], 6),
        ("skip", ["true", "false"], ["\"yes\""], 8),
        ("name", ["\"pv_custom_OP\""], ["\"1bad\"", "\"pv_irq_save_fl\"", "\"\""], 8),
        ("signature", ["\"void (void)\""], ["\"int (\""], 16),
        ("natve", [], ["\"fa\""], 40),
    ];

    private static readonly (string Key, string[] Good, string[] Bad)[] GenerateKeys =
    [
        ("record_format", ["\"para16\"", "\"para8\"", "\"alt14\"", "\"vmi24\""], ["\"nonsense\"", "\"para6\""]),
        // Sections of the user's choosing for the para and alt families (check reads them where the manifest says).
        ("section", ["\".pv_sites\"", "\".pv_alt\""], ["\"\"", "\".a b\"", "\"\\\"q\\\"\""]),
        ("call_form", ["\"rip\"", "\"abs\""], ["\"weird\""]),
        ("clobber_era", ["\"2.6.25\"", "\"2.6.20\""], ["\"1999\""]),
        ("prefix", ["\"pv_\"", "\"hv_\""], ["\"9\""]),
    ];

    // Half the cases carry one wrong value somewhere; the rest only values that should work.
    private static string Pick(Random r, string[] good, string[] bad, ref bool wrong)
    {
        if (good.Length == 0 || (!wrong && bad.Length > 0 && r.Next(8) == 0))
        {
            wrong = true;
            return bad[r.Next(bad.Length)];
        }

        return good[r.Next(good.Length)];
    }

    private void ConfigCase(Case c)
    {
        var r = c.Random;
        File.Copy(Repo.Example("toy", "toy_ops.h"), Path.Combine(c.Directory, "toy_ops.h"));
        var entries = new List<string>();
        bool wrong = r.Next(2) == 0; // a case without wrong values never picks one
        foreach (string op in ToyOps.Where(_ => r.Next(3) == 0).Append(r.Next(20) == 0 ? "irq.save_flags" : ToyOps[r.Next(ToyOps.Length)]).Distinct())
        {
            var fields = new List<string>();
            foreach (var k in OpKeys.Where(k => r.Next(k.OneIn) == 0 && (k.Good.Length > 0 || !wrong)))
            {
                fields.Add($"\"{k.Key}\": {Pick(r, k.Good, k.Bad, ref wrong).Replace("OP", op.Replace('.', '_'), StringComparison.Ordinal)}");
            }

            entries.Add($"    \"{op}\": {{ {string.Join(", ", fields)} }}");
        }

        var generate = new List<string>();
        foreach (var k in GenerateKeys.Where(k => r.Next(3) == 0 && (k.Good.Length > 0 || !wrong)))
        {
            generate.Add($"\"{k.Key}\": {Pick(r, k.Good, k.Bad, ref wrong)}");
        }

        string target = r.Next(3) == 0 ? "i386" : "x86_64";
        File.WriteAllText(Path.Combine(c.Directory, "pvgen.json"),
            $"{{\n  \"header\": \"toy_ops.h\",\n  \"struct\": \"toy_ops\",\n  \"symbol\": \"toy_ops\",\n  \"target\": \"{target}\",\n  \"generate\": {{ {string.Join(", ", generate)} }},\n  \"ops\": {{\n{string.Join(",\n", entries)}\n  }}\n}}\n");
        GenerateThenCheck(c, "--config", "pvgen.json");
    }

    // ---- family: model JSON mutations ----

    private static readonly Lazy<(string Model, byte[] Object)> ToyModel = new(() =>
    {
        string dir = Repo.TempDir("property-toy");
        File.Copy(Repo.Example("toy", "toy_ops.h"), Path.Combine(dir, "toy_ops.h"));
        File.Copy(Repo.Example("toy", "pvgen.json"), Path.Combine(dir, "pvgen.json"));
        var parsed = Tool.Pvgen(["parse", "--config", "pvgen.json", "--format", "json", "-o", "m.json"], dir);
        Assert.True(parsed.ExitCode == 0, parsed.ToString());
        File.WriteAllText(Path.Combine(dir, "calls.c"), "#include \"toy_ops.h\"\nvoid f(void) { toy_ops.irq.irq_disable(); toy_ops.mmu.write_cr3(1); }\n");
        var compiled = Tool.Run("gcc", ["-O2", "-fno-pie", "-mcmodel=kernel", "-ffreestanding", "-c", "calls.c", "-o", "calls.o"], dir);
        Assert.True(compiled.ExitCode == 0, compiled.ToString());
        return (File.ReadAllText(Path.Combine(dir, "m.json")), File.ReadAllBytes(Path.Combine(dir, "calls.o")));
    });

    private static readonly JsonNode?[] Numbers = [0, -1, 1, 3, 4, 8, 255, 256, 65536, int.MaxValue, int.MinValue, 1e20, 0.5];
    private static readonly JsonNode?[] Texts = ["", "sparc", "i386", "x86_64", "toy_ops", "pv_ops", "irq.save_fl", new string('x', 300)];

    private void ModelCase(Case c)
    {
        var r = c.Random;
        var (modelText, obj) = ToyModel.Value;
        File.Copy(Repo.Example("toy", "toy_ops.h"), Path.Combine(c.Directory, "toy_ops.h"));
        File.WriteAllBytes(Path.Combine(c.Directory, "calls.o"), obj);
        var root = JsonNode.Parse(modelText)!;
        int mutations = 1 + r.Next(3);
        for (int i = 0; i < mutations; i++)
        {
            Mutate(root, r);
        }

        File.WriteAllText(Path.Combine(c.Directory, "m.json"), root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Pvgen(c, ["scan", "--model", "m.json", "calls.o"], 0, 2);
        Pvgen(c, ["check", "--object", "calls.o", "--model", "m.json"], 0, 1, 2);

        // A model that retypes an op declared through a typedef (nothing inside the model contradicts it) is refused by
        // generate against the header; every mutation is held to the same property.
        GenerateThenCheck(c, "m.json");
    }

    /// <summary>One change somewhere in the document: a value replaced (number, text, flag, null), a key removed or added, an op copied.</summary>
    private static void Mutate(JsonNode root, Random r)
    {
        var nodes = new List<JsonNode>();
        void Walk(JsonNode? node)
        {
            if (node is null)
            {
                return;
            }

            nodes.Add(node);
            switch (node)
            {
                case JsonObject o:
                    foreach (var (_, v) in o.ToList())
                    {
                        Walk(v);
                    }

                    break;
                case JsonArray a:
                    foreach (var v in a.ToList())
                    {
                        Walk(v);
                    }

                    break;
            }
        }

        Walk(root);
        var node = nodes[r.Next(nodes.Count)];
        var parent = node.Parent;
        if (parent is null)
        {
            return;
        }

        JsonNode? Replacement() => node switch
        {
            JsonValue v when v.TryGetValue(out string? _) => r.Next(4) == 0 ? null : Texts[r.Next(Texts.Length)]?.DeepClone(),
            JsonValue v when v.TryGetValue(out bool b) => r.Next(4) == 0 ? null : JsonValue.Create(!b),
            JsonValue => r.Next(6) == 0 ? null : Numbers[r.Next(Numbers.Length)]?.DeepClone(),
            JsonArray when r.Next(2) == 0 => new JsonArray(),
            _ => r.Next(2) == 0 ? null : JsonValue.Create(r.Next(3)),
        };

        switch (parent)
        {
            case JsonObject o:
                string key = o.First(kv => ReferenceEquals(kv.Value, node)).Key;
                switch (r.Next(6))
                {
                    case 0:
                        o.Remove(key);
                        break;
                    case 1:
                        o["extra_" + key] = 1;
                        break;
                    default:
                        o[key] = Replacement();
                        break;
                }

                break;
            case JsonArray a:
                int index = a.IndexOf(node);
                switch (r.Next(4))
                {
                    case 0:
                        a.RemoveAt(index);
                        break;
                    case 1:
                        a.Add(node.DeepClone());
                        break;
                    default:
                        a[index] = Replacement();
                        break;
                }

                break;
        }
    }

    // ---- family: directory trees for the walk ----

    private void DirectoryCase(Case c)
    {
        var r = c.Random;
        var (modelText, obj) = ToyModel.Value;
        File.WriteAllText(Path.Combine(c.Directory, "m.json"), modelText);
        string tree = Path.Combine(c.Directory, "tree");
        var dirs = new List<string> { tree };
        Directory.CreateDirectory(tree);
        var log = new StringBuilder();
        int objects = 0;
        var files = new List<string>();
        int steps = 4 + r.Next(14);
        for (int i = 0; i < steps; i++)
        {
            string at = dirs[r.Next(dirs.Count)];
            string name = Path.Combine(at, $"e{i}");
            switch (r.Next(9))
            {
                case 0 or 1:
                    Directory.CreateDirectory(name);
                    dirs.Add(name);
                    log.Append(FormattableString.Invariant($"dir {name}\n"));
                    break;
                case 2 or 3:
                    string path = name + (r.Next(2) == 0 ? ".o" : ".ko");
                    File.WriteAllBytes(path, obj);
                    files.Add(path);
                    objects++;
                    log.Append(FormattableString.Invariant($"object {path}\n"));
                    break;
                case 4:
                    // A link to a directory above (or itself): a cycle the walk must not follow forever.
                    string up = dirs[r.Next(dirs.Count)];
                    File.CreateSymbolicLink(name, r.Next(2) == 0 ? up : Path.GetRelativePath(at, up));
                    log.Append(FormattableString.Invariant($"link {name} -> {up}\n"));
                    break;
                case 5:
                    File.CreateSymbolicLink(name + ".ko", Path.Combine(at, "missing.ko"));
                    log.Append(FormattableString.Invariant($"dangling {name}.ko\n"));
                    break;
                case 6:
                    Assert.Equal(0, Tool.Run("mkfifo", [name + ".ko"]).ExitCode);
                    log.Append(FormattableString.Invariant($"fifo {name}.ko\n"));
                    break;
                case 7 when files.Count > 0:
                    // A hard link or a symlink to an object: the same file, read once.
                    string existing = files[r.Next(files.Count)];
                    if (r.Next(2) == 0)
                    {
                        Assert.Equal(0, Tool.Run("ln", [existing, name + ".o"]).ExitCode);
                    }
                    else
                    {
                        File.CreateSymbolicLink(name + ".o", existing);
                    }

                    log.Append(FormattableString.Invariant($"same file {name}.o = {existing}\n"));
                    break;
                default:
                    File.WriteAllText(name + ".txt", "not an object\n");
                    break;
            }
        }

        File.WriteAllText(Path.Combine(c.Directory, "tree.txt"), log.ToString());
        var run = Pvgen(c, ["scan", "tree", "--model", "m.json", "--format", "json"], 0, 2);
        if (objects == 0)
        {
            if (run.ExitCode != 2)
            {
                throw Failed(c, "a tree with no object file did not say so (exit 2)\n" + run);
            }

            return;
        }

        if (run.ExitCode != 0)
        {
            throw Failed(c, $"a tree with {objects} objects was refused\n{run}");
        }

        using var report = JsonDocument.Parse(run.Stdout);
        int scanned = report.RootElement.GetProperty("files").GetArrayLength();
        if (scanned != objects)
        {
            throw Failed(c, $"the tree holds {objects} distinct object files, the scan read {scanned}\n{run}");
        }
    }
}
