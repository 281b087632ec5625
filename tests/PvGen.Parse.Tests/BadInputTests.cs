using PvGen.Model;
using PvGen.Model.Config;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Parse.Tests;

/// <summary>Each kind of bad input gets its own stable id, a location, and (through the CLI) exit 2 with nothing written.</summary>
public sealed class BadInputTests
{
    [Fact]
    public void ClangErrorsAreReportedWithTheirLocationAndStopTheParse()
    {
        var result = Parsing.Source("struct ops {\n  void (*a)(void)\n  int oops oops;\n};\n", "ops");

        Assert.Null(result.Model);
        var error = Assert.Single(result.Diagnostics, d => d.Severity == Severity.Error && d.Id == DiagnosticIds.ClangError);
        Assert.Equal("ops.h", error.Location!.File);
        Assert.Equal(2, error.Location.Line);
        Assert.Matches(@"^ops\.h:2:\d+: error: .+ \[PVG0101\]$", error.ToString());
    }

    /// <summary>
    /// Headers that gcc 12 and clang 19 only warn about, but reject under the warnings check compiles them with (-Werror):
    /// the parse refuses them at clang's own location, so generate cannot write output that check must reject. The oracle:
    /// both compilers, -fsyntax-only, accept each header without those flags and reject it with them, and clang names the
    /// line and column the parse reports.
    /// </summary>
    [Theory]
    [InlineData("struct ops {\n  void (*a)(void);\n  int (*b)(int x)\n};\n")] // no ';' before '}'
    [InlineData("struct ops {\n  void (*a)(void);\n  int (*b)(struct later *p);\n};\n")] // a struct declared in a parameter list
    [InlineData("struct ops {\n  void (*a)(void);\n  void (*d)(void) __attribute__((pvgen_unheard_of));\n};\n")] // an attribute neither compiler knows
    public void WarningsThatTheCheckCompilersRejectAreErrors(string header)
    {
        var result = Parsing.Source(header, "ops");

        string dir = Repo.TempDir("werror-oracle");
        File.WriteAllText(Path.Combine(dir, "ops.h"), header);
        string? clangLocation = null;
        foreach (string compiler in Tool.Compilers())
        {
            var lenient = Tool.Run(compiler, ["-fsyntax-only", "-x", "c", "ops.h"], dir);
            Assert.True(lenient.ExitCode == 0 && lenient.Stderr.Contains("warning", StringComparison.Ordinal), $"{compiler} does not merely warn: the test's premise is wrong\n{lenient}");
            var strict = Tool.Run(compiler, ["-fsyntax-only", .. CompileEnvironment.CheckWarnings, "-x", "c", "ops.h"], dir);
            Assert.True(strict.ExitCode != 0, $"{compiler} accepts the header under check's warnings: the test's premise is wrong\n{strict}");
            if (compiler.Contains("clang", StringComparison.Ordinal))
            {
                clangLocation = System.Text.RegularExpressions.Regex.Match(strict.Stderr, @"ops\.h:(\d+:\d+): error").Groups[1].Value;
            }
        }

        Assert.Null(result.Model);
        var error = Assert.Single(result.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal(DiagnosticIds.ClangWarning, error.Id);
        Assert.Equal("ops.h", error.Location!.File);
        if (clangLocation is not null)
        {
            Assert.Equal(clangLocation, $"{error.Location.Line}:{error.Location.Column}");
        }
    }

    [Fact]
    public void UnknownStructNamesTheClosestOnes()
    {
        var result = Parsing.Source("struct paravirt_ops { void (*a)(void); };\nstruct pv_cpu_ops { void (*b)(void); };\n", "paravirt_op");

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticIds.UnknownStruct, error.Id);
        Assert.Contains("did you mean 'paravirt_ops'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StructWithoutFunctionPointersIsAnError()
    {
        var result = Parsing.Source("struct ops { int a; long b; };\n", "ops");

        Assert.Null(result.Model);
        Assert.Contains(result.Diagnostics, d => d.Id == DiagnosticIds.NoFunctionPointers && d.Location!.Line == 1);
    }

    [Fact]
    public void VariadicOpIsAnErrorAtItsDeclaration()
    {
        var result = Parsing.Source("struct ops {\n  void (*ok)(void);\n  int (*printk)(const char *fmt, ...);\n};\n", "ops");

        Assert.Null(result.Model);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal((DiagnosticIds.VariadicOp, 3), (error.Id, error.Location!.Line));
    }

    [Fact]
    public void ArrayBitfieldAndUnionDataMembersAreWarnedAboutAndKeptAsData()
    {
        var result = Parsing.Source("""
            struct ops {
                char name[8];
                unsigned flags : 3;
                union { int i; long l; } u;
                void (*op)(void);
            };
            """, "ops");

        Assert.True(result.Succeeded, string.Join("\n", result.Diagnostics));
        Assert.Equal(["name", "flags", "u"], result.Model!.Data.Select(d => d.Path));
        Assert.Equal(
            [DiagnosticIds.ArrayMember, DiagnosticIds.BitfieldMember, DiagnosticIds.UnionMember],
            result.Diagnostics.Where(d => d.Severity == Severity.Warning).Select(d => d.Id));
        Assert.Equal(24, result.Model.Ops[0].Offset); // char[8], a bit-field word padded to 8, an 8-byte union
    }

    [Fact]
    public void ArraysAndUnionsOfFunctionPointersAreErrors()
    {
        var result = Parsing.Source("""
            struct ops {
                void (*hooks[4])(void);
                union { void (*a)(void); void (*b)(int); } either;
            };
            """, "ops");

        Assert.Null(result.Model);
        Assert.Equal(
            [DiagnosticIds.ArrayMember, DiagnosticIds.UnionMember],
            result.Diagnostics.Where(d => d.Severity == Severity.Error).Select(d => d.Id));
    }

    [Fact]
    public void MissingSystemHeaderIsReportedAsSuch()
    {
        var result = Parsing.Source("#include <stdio.h>\nstruct ops { void (*a)(void); };\n", "ops");

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticIds.MissingSystemHeader, error.Id);
        Assert.Contains("'stdio.h' file not found", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, error.Location!.Line);
    }

    [Fact]
    public void ConfigurationNamingAMissingOpSuggestsTheClosest()
    {
        var config = new OpsConfig(null, new Dictionary<string, OpConfig> { ["irq.save_fI"] = new() { Native = PvGen.Model.Config.PerTarget<string>.Every("9c 58") } });

        var result = Parsing.Source("struct irq { void (*save_fl)(void); };\nstruct ops { struct irq irq; };\n", "ops", config: config);

        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticIds.UnknownOpInConfig, error.Id);
        Assert.Contains("did you mean 'irq.save_fl'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnparseableCalleeSaveSignatureIsAnErrorNamingTheOp()
    {
        var config = new OpsConfig(null, new Dictionary<string, OpConfig> { ["save_fl"] = new() { Signature = "unsigned lnog (void)" } });

        var result = Parsing.Source("struct paravirt_callee_save { void *func; };\nstruct ops { struct paravirt_callee_save save_fl; };\n", "ops", config: config);

        Assert.Null(result.Model);
        var error = Assert.Single(result.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal(DiagnosticIds.BadSignature, error.Id);
        Assert.Contains("'save_fl'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CliMissingHeaderExitsTwo()
    {
        var run = Tool.Pvgen(["parse", "no/such/header.h", "--struct", "ops"], Repo.TempDir("cli"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("[PVG0001]", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void CliClangErrorExitsTwoAndWritesNothing()
    {
        string dir = Repo.TempDir("cli");
        File.WriteAllText(Path.Combine(dir, "bad.h"), "struct ops { void (*a)(void); int x y; };\n");

        var run = Tool.Pvgen(["parse", "bad.h", "--struct", "ops", "--format", "json", "-o", "model.json"], dir);

        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"(?m)^bad\.h:1:\d+: error: .+\[PVG0101\]$", run.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "model.json")));
    }

    [Theory]
    [InlineData("--target", "arm64", "--target does not take 'arm64'; use one of: x86_64, i386")]
    [InlineData("--format", "xml", "xml")]
    [InlineData("--no-such-flag", "1", "--no-such-flag")]
    public void CliRejectsBadOptionsWithExitTwo(string flag, string value, string expected)
    {
        var run = Tool.Pvgen(["parse", Repo.Example("toy", "toy_ops.h"), "--struct", "toy_ops", flag, value]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void CliConfigTypoIsNamedWithASuggestion()
    {
        string dir = Repo.TempDir("cli");
        File.WriteAllText(Path.Combine(dir, "pvgen.json"), """{ "header": "x.h", "struc": "ops" }""");

        var run = Tool.Pvgen(["parse"], dir);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("'struc' (did you mean 'struct'?)", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("[PVG0002]", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void CliMalformedConfigGivesLineAndColumn()
    {
        string dir = Repo.TempDir("cli");
        File.WriteAllText(Path.Combine(dir, "pvgen.json"), "{\n  \"header\": \"x.h\",\n  \"struct\": ops\n}\n");

        var run = Tool.Pvgen(["parse"], dir);

        Assert.Equal(2, run.ExitCode);
        Assert.Matches(@"pvgen\.json:3:\d+: error: .*\[PVG0002\]", run.Stderr);
    }
}
