using PvGen.TestSupport;
using Xunit;

namespace PvGen.Project.Tests;

/// <summary>
/// What the pvgen process prints for inputs that are wrong in ways the runtime reports (a directory where a file is
/// expected, a file where a directory is needed): pvgen's words and exit 2, never a .NET resource key (the build strips
/// the runtime's texts) or a stack trace. The oracle for what the path is: the file system as the test made it.
/// </summary>
public sealed class UserMessageTests
{
    [Fact]
    public void A_directory_given_as_the_model_is_said_to_be_a_directory()
    {
        string dir = Repo.TempDir("messages");
        Directory.CreateDirectory(Path.Combine(dir, "model.json"));
        File.WriteAllText(Path.Combine(dir, "x.o"), "not an object");

        var run = Tool.Pvgen(["scan", "--model", "model.json", "x.o"], dir);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("model file 'model.json' cannot be read: it is a directory, not a file", run.Stderr, StringComparison.Ordinal);
        UserMessages.AssertOurs(run.Stderr, "scan --model DIR");
    }

    [Fact]
    public void Exporting_templates_below_a_file_names_the_file()
    {
        string dir = Repo.TempDir("messages");
        File.WriteAllText(Path.Combine(dir, "out"), "a file, not a directory\n");

        var run = Tool.Pvgen(["templates", "export", "out/templates"], dir);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"'{Path.Combine(dir, "out")}' is a file, not a directory", run.Stderr, StringComparison.Ordinal);
        UserMessages.AssertOurs(run.Stderr, "templates export below a file");
        Assert.Equal("a file, not a directory\n", File.ReadAllText(Path.Combine(dir, "out")));
    }

    [Theory]
    [InlineData("{ \"pointer_size\": \"eight\" }")]
    [InlineData("{ \"ops\": 5 }")]
    [InlineData("[1, 2]")]
    public void A_model_of_the_wrong_shape_is_a_located_error_in_words(string json)
    {
        string dir = Repo.TempDir("messages");
        File.WriteAllText(Path.Combine(dir, "m.json"), json);
        File.WriteAllText(Path.Combine(dir, "x.o"), "not an object");

        var run = Tool.Pvgen(["scan", "--model", "m.json", "x.o"], dir);

        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"^m\.json:1:\d+: error: not a valid model: [a-z]", run.Stderr);
        UserMessages.AssertOurs(run.Stderr, json);
    }

    /// <summary>
    /// Bad parse inputs are refused before libclang sees them: it answers an unknown -std with only "AstReadError", and a
    /// bad -D with a diagnostic located in a file with no name. The oracle for "unknown": clang -fsyntax-only rejects it too.
    /// </summary>
    [Theory]
    [InlineData("--std", "c99x", "pvgen: error: --std: 'c99x' is not a C standard clang knows (did you mean 'c99'?)", "-std=c99x")]
    [InlineData("-D", "1BAD=2", "pvgen: error: --define: '1BAD=2' does not define a macro: NAME or NAME=VALUE, NAME a C identifier", "-D1BAD=2")]
    public void Bad_parse_inputs_are_refused_in_words_before_libclang(string option, string value, string expected, string clangFlag)
    {
        string clang = Tool.Find("clang-19") ?? Tool.Find("clang") ?? "gcc";
        string dir = Repo.TempDir("messages");
        File.WriteAllText(Path.Combine(dir, "empty.c"), "int x;\n");
        var oracle = Tool.Run(clang, ["-fsyntax-only", clangFlag, "empty.c"], dir);
        Assert.True(oracle.ExitCode != 0 || oracle.Stderr.Length > 0, $"{clang} accepts {clangFlag}: the test's premise is wrong");

        var run = Tool.Pvgen(["parse", "--config", Examples.ConfigPath("toy"), option, value]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(expected + " [PVG0003]", run.Stderr.Split('\n')[0]);
        UserMessages.AssertOurs(run.Stderr, $"{option} {value}");
    }

    /// <summary>
    /// Models that are well-formed JSON but wrong are refused on read, at the value: the issue's list (no ops, a wrong
    /// slot, pointer_size 0, struct_size -1, arch sparc) and what the property test found (a parameter without a name,
    /// which generated wrappers gcc cannot compile; parameters that contradict the member's own spelled type, which
    /// generated wrappers that check then rejected). Each mutation is applied to the toy model pvgen parse writes.
    /// </summary>
    [Theory]
    [InlineData("ops", "[]", "a model holds at least one op")]
    [InlineData("\"slot\": 1,", "\"slot\": 2,", "op 'irq.restore_fl': slot 2 but offset 8 is slot 1")]
    [InlineData("\"pointer_size\": 8", "\"pointer_size\": 0", "target x86_64 has 8-byte pointers")]
    [InlineData("\"struct_size\": 64", "\"struct_size\": -1", "struct_size must be positive (got -1)")]
    [InlineData("\"arch\": \"x86_64\"", "\"arch\": \"sparc\"", "unknown target 'sparc'")]
    [InlineData("\"name\": \"ptep\"", "\"name\": \"\"", "op 'mmu.set_pte': parameter 0 is named '', not a C identifier of its own")]
    [InlineData("\"name\": \"flags\",", "\"name\": \"val\",", null)]
    [InlineData("\"member_type\": \"void (*)(pte_t *, pte_t)\"", "\"member_type\": \"void (*)(pte_t *)\"", "op 'mmu.set_pte': return type and parameters (void; pte_t *, pte_t) differ from its member type 'void (*)(pte_t *)'")]
    [InlineData("\"callee_save\": false", "\"callee_save\": true", "op 'irq.save_fl' is callee-save, but its member type 'unsigned long (*)(void)' is a function pointer")]
    public void A_wrong_model_is_refused_at_the_value(string from, string to, string? message)
    {
        string dir = Repo.TempDir("model-validation");
        Assert.Equal(0, Tool.Pvgen(["parse", "--config", Examples.ConfigPath("toy"), "--format", "json", "-o", Path.Combine(dir, "good.json")]).ExitCode);
        string good = File.ReadAllText(Path.Combine(dir, "good.json"));
        if (from == "ops")
        {
            var root = System.Text.Json.Nodes.JsonNode.Parse(good)!;
            root["ops"] = System.Text.Json.Nodes.JsonNode.Parse(to);
            File.WriteAllText(Path.Combine(dir, "m.json"), root.ToJsonString());
        }
        else
        {
            Assert.Contains(from, good, StringComparison.Ordinal);
            int at = good.IndexOf(from, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "m.json"), good[..at] + to + good[(at + from.Length)..]);
        }

        File.WriteAllText(Path.Combine(dir, "x.c"), "int x;\n");
        Assert.Equal(0, Tool.Run("gcc", ["-c", "x.c", "-o", "x.o"], dir).ExitCode);

        var run = Tool.Pvgen(["scan", "--model", "m.json", "x.o"], dir);

        UserMessages.AssertOurs(run.Stderr, to);
        if (message is null)
        {
            Assert.True(run.ExitCode == 0, $"a renamed parameter is still a valid model\n{run}");
            return;
        }

        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"^m\.json:\d+:\d+: error: ", run.Stderr);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The toy model as pvgen parse writes it, and the directory it was written to.</summary>
    private static (string Dir, string Model) ToyModel(string label)
    {
        string dir = Repo.TempDir(label);
        var parsed = Tool.Pvgen(["parse", "--config", Examples.ConfigPath("toy"), "--format", "json", "-o", Path.Combine(dir, "good.json")]);
        Assert.True(parsed.ExitCode == 0, parsed.ToString());
        return (dir, File.ReadAllText(Path.Combine(dir, "good.json")));
    }

    /// <summary>Line and column (1-based) of a character of a text: the test's own count, not pvgen's.</summary>
    private static string LineColumn(string text, int index) =>
        $"{text[..index].Count(c => c == '\n') + 1}:{index - (text.LastIndexOf('\n', Math.Max(index - 1, 0)) + 1) + 1}";

    /// <summary>
    /// mmu.flush_tlb_one is declared through the typedef toy_flush_fn, so its member type says nothing about its types and
    /// the model's validation cannot contradict them: generate used to write wrappers of the model's types, which check then
    /// rejected. Now generate refuses the model at the op's changed types, exit 2, nothing written. The oracle that the
    /// model is wrong: gcc rejects assigning the member to a pointer of the model's type and accepts the header's own.
    /// </summary>
    [Theory]
    [InlineData("params", "\"spelling\": \"unsigned long\",\n            \"canonical\": \"unsigned long\",\n            \"kind\": \"unsigned_integer\",\n            \"size\": 8", "\"spelling\": \"int\",\n            \"canonical\": \"int\",\n            \"kind\": \"signed_integer\",\n            \"size\": 4", "void (*p)(int)")]
    [InlineData("return_type", "\"spelling\": \"void\",\n        \"canonical\": \"void\",\n        \"kind\": \"void\",\n        \"size\": 0", "\"spelling\": \"long\",\n        \"canonical\": \"long\",\n        \"kind\": \"signed_integer\",\n        \"size\": 8", "long (*p)(unsigned long)")]
    public void A_model_that_retypes_an_op_declared_through_a_typedef_is_refused_at_its_types(string key, string from, string to, string modelPointer)
    {
        var (dir, good) = ToyModel("model-typedef");
        int op = good.IndexOf("\"path\": \"mmu.flush_tlb_one\"", StringComparison.Ordinal);
        Assert.True(op > 0, good);
        int field = good.IndexOf($"\"{key}\": ", op, StringComparison.Ordinal);
        int at = good.IndexOf(from, field, StringComparison.Ordinal);
        Assert.True(field > op && at > field, $"{key}: {from} not found after the op\n{good}");
        string bad = good[..at] + to + good[(at + from.Length)..];
        File.WriteAllText(Path.Combine(dir, "m.json"), bad);

        File.WriteAllText(Path.Combine(dir, "probe.c"), $"#include \"toy_ops.h\"\nvoid f(void) {{ {modelPointer}; p = toy_ops.mmu.flush_tlb_one; (void)p; }}\nvoid g(void) {{ void (*q)(unsigned long); q = toy_ops.mmu.flush_tlb_one; (void)q; }}\n");
        var oracle = Tool.Run("gcc", ["-fsyntax-only", "-Werror=incompatible-pointer-types", "-I", Repo.Example("toy"), "probe.c"], dir);
        Assert.True(oracle.ExitCode != 0 && oracle.Stderr.Contains("probe.c:2:", StringComparison.Ordinal), $"gcc accepts the model's type: the test's premise is wrong\n{oracle}");
        Assert.DoesNotContain("probe.c:3:", oracle.Stderr, StringComparison.Ordinal);

        var run = Tool.Pvgen(["generate", "m.json", "-o", "out"], dir);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"m.json:{LineColumn(bad, field + key.Length + 4)}: error: op 'mmu.flush_tlb_one': the model types it ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("its header declares it through 'toy_flush_fn' as void (unsigned long) [PVG0004]", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")), "generate refused the model but wrote out/");
        UserMessages.AssertOurs(run.Stderr, "a typedef-declared op retyped");

        // The same model unchanged generates (the header is read only to compare).
        File.WriteAllText(Path.Combine(dir, "m.json"), good);
        var control = Tool.Pvgen(["generate", "m.json", "-o", "out"], dir);
        Assert.True(control.ExitCode == 0, control.ToString());
    }

    /// <summary>
    /// Models that contradict their header where the model cannot contradict itself, as the property test found them: an
    /// op renamed to a member the struct does not have, and callee_save set on an op declared through a typedef. generate
    /// used to write wrappers that gcc then rejected in check; it now refuses the model at the value. The oracle: gcc
    /// rejects the access the wrappers would make (the member, or the callee-save struct's func field).
    /// </summary>
    [Theory]
    [InlineData("\"path\": \"read_tsc\"", "\"path\": \"read_tsc\"", "\"path\": \"pv_ops\"", "path", "toy_ops.pv_ops", "op 'pv_ops' is not a function-pointer member of struct toy_ops")]
    [InlineData("\"member_type\": \"toy_flush_fn\"", "\"callee_save\": false", "\"callee_save\": true", "callee_save", "toy_ops.mmu.flush_tlb_one.func", "op 'mmu.flush_tlb_one' is callee-save in the model, but its header declares it as 'toy_flush_fn'")]
    public void A_model_that_contradicts_its_header_is_refused_at_the_value(string op, string from, string to, string key, string access, string message)
    {
        var (dir, good) = ToyModel("model-header");
        int at = good.IndexOf(from, good.IndexOf(op, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.True(good.IndexOf(op, StringComparison.Ordinal) > 0 && at > 0, $"{op} ... {from} not in\n{good}");
        string bad = good[..at] + to + good[(at + from.Length)..];
        File.WriteAllText(Path.Combine(dir, "m.json"), bad);
        int value = bad.IndexOf($"\"{key}\": ", at, StringComparison.Ordinal) + key.Length + 4;

        File.WriteAllText(Path.Combine(dir, "probe.c"), $"#include \"toy_ops.h\"\nvoid *f(void) {{ return (void *){access}; }}\n");
        var oracle = Tool.Run("gcc", ["-fsyntax-only", "-I", Repo.Example("toy"), "probe.c"], dir);
        Assert.True(oracle.ExitCode != 0 && oracle.Stderr.Contains("probe.c:2:", StringComparison.Ordinal), $"gcc accepts {access}: the test's premise is wrong\n{oracle}");

        var run = Tool.Pvgen(["generate", "m.json", "-o", "out"], dir);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"m.json:{LineColumn(bad, value)}: error: {message}", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")), "generate refused the model but wrote out/");
        UserMessages.AssertOurs(run.Stderr, to);
    }

    /// <summary>
    /// A model whose header no longer parses with generate's options cannot be held to it: refused at its "file" key, with
    /// the header's own error after it (the oracle for that error: gcc rejects the header too).
    /// </summary>
    [Fact]
    public void A_model_whose_header_does_not_parse_is_refused_with_the_headers_error()
    {
        var (dir, good) = ToyModel("model-header-broken");
        string header = Examples.Header("toy");
        File.WriteAllText(Path.Combine(dir, "toy_ops.h"), File.ReadAllText(header) + "\nint broken broken;\n");
        string quoted = System.Text.Json.JsonSerializer.Serialize(header);
        int last = good.LastIndexOf($"\"file\": {quoted}", StringComparison.Ordinal);
        Assert.True(last > 0, good);
        string bad = good.Replace(quoted, "\"toy_ops.h\"", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir, "m.json"), bad);
        var gcc = Tool.Run("gcc", ["-fsyntax-only", "-x", "c", "toy_ops.h"], dir);
        Assert.True(gcc.ExitCode != 0, gcc.ToString());

        var run = Tool.Pvgen(["generate", "m.json", "-o", "out"], dir);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"m.json:{LineColumn(bad, bad.LastIndexOf("\"file\": \"toy_ops.h\"", StringComparison.Ordinal))}: error: the model's header 'toy_ops.h' does not parse", run.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^toy_ops\.h:\d+:\d+: error: ", run.Stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
        UserMessages.AssertOurs(run.Stderr, "a model whose header is broken");
    }

    /// <summary>A model naming a header that does not exist is refused at the model's "file" key of its location (the oracle: the test's own search of the text), not at 1:1.</summary>
    [Fact]
    public void A_model_whose_header_does_not_exist_is_refused_at_the_header_key()
    {
        var (dir, good) = ToyModel("model-no-header");
        string header = Examples.Header("toy");
        int last = good.LastIndexOf($"\"file\": {System.Text.Json.JsonSerializer.Serialize(header)}", StringComparison.Ordinal);
        Assert.True(last > 0, good);
        string bad = good[..last] + "\"file\": \"gone.h\"" + good[(last + header.Length + 10)..];
        File.WriteAllText(Path.Combine(dir, "m.json"), bad);
        Assert.Equal(last, bad.LastIndexOf("\"file\": \"gone.h\"", StringComparison.Ordinal));

        var run = Tool.Pvgen(["generate", "m.json", "-o", "out"], dir);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"m.json:{LineColumn(bad, last)}: error: the model's header 'gone.h' does not exist", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));
        UserMessages.AssertOurs(run.Stderr, "a model whose header is gone");
    }
}
