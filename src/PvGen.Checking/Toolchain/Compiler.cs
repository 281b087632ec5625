using System.Diagnostics;
using System.Text.RegularExpressions;
using PvGen.Model;

namespace PvGen.Checking.Toolchain;

/// <summary>A C compiler found on this machine.</summary>
/// <param name="Family">"gcc" or "clang": which diagnostic wording to expect.</param>
public sealed record Compiler(string Family, string Path, string Version)
{
    public string Name => System.IO.Path.GetFileName(Path);

    public override string ToString() => $"{Name} {Version}";
}

/// <summary>One message of a compiler, parsed from its gcc-style stderr.</summary>
public sealed record CompilerMessage(string File, int Line, int Column, string Severity, string Text);

/// <summary>What a compile produced.</summary>
/// <param name="Command">The program and its arguments, for a message when the compiler printed nothing.</param>
public sealed record CompileResult(int ExitCode, string Stderr, IReadOnlyList<CompilerMessage> Messages, string? ObjectPath, IReadOnlyList<string> Command)
{
    public bool Succeeded => ExitCode == 0;

    public IEnumerable<CompilerMessage> Errors => Messages.Where(m => m.Severity is "error" or "fatal error");

    /// <summary>The compiler's own lines (see <see cref="CompilerOutput.Lines"/>), to follow a message of ours that ends in ':'.</summary>
    public string Output => CompilerOutput.Lines(ExitCode, Stderr, Command);
}

/// <summary>
/// How a tool's output reaches the user: its own lines, each on a line of its own indented under our located message
/// (never flattened onto one line, where "In function" context and notes lose their meaning); and when it printed nothing,
/// its exit status and the command, so the message is never empty.
/// </summary>
public static class CompilerOutput
{
    /// <summary>Lines shown at most: the first errors matter, a cascade after them does not.</summary>
    public const int MaxLines = 30;

    /// <summary>"\n  line" for each non-blank line of <paramref name="stderr"/> (at most <see cref="MaxLines"/>), or "\n  PROGRAM exited with status N and printed nothing: COMMAND".</summary>
    public static string Lines(int exitCode, string stderr, IReadOnlyList<string> command)
    {
        var lines = stderr.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count == 0)
        {
            string program = command.Count > 0 ? System.IO.Path.GetFileName(command[0]) : "the compiler";
            return $"\n  {program} exited with status {exitCode} and printed nothing: {CommandLine(command)}";
        }

        var shown = lines.Take(MaxLines).Select(l => "\n  " + l);
        string more = lines.Count > MaxLines ? $"\n  ({lines.Count - MaxLines} more lines)" : string.Empty;
        return string.Concat(shown) + more;
    }

    /// <summary>The command as a shell would take it back (arguments with spaces or quotes quoted).</summary>
    public static string CommandLine(IEnumerable<string> command) =>
        string.Join(' ', command.Select(a => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=+,:@%".Contains(c)) ? a : "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
}

/// <summary>Which flags a build uses besides the sources.</summary>
public sealed record BuildFlavour(Target Target, string Optimization = "O2", bool Pic = false)
{
    public override string ToString() => $"{Target.Arch} -{Optimization}{(Pic ? " -fpic" : string.Empty)}";
}

/// <summary>Finds compilers and runs them: the only place that starts gcc or clang.</summary>
public static partial class CompilerDriver
{
    /// <summary>Kernel-like code generation for a target: freestanding, no PIE, the kernel's code model and ABI.</summary>
    public static IReadOnlyList<string> TargetFlags(Target target, bool pic) => (target.PointerSize, pic) switch
    {
        (8, false) => ["-m64", "-mcmodel=kernel", "-fno-pie", "-ffreestanding", "-fno-stack-protector"],
        (8, true) => ["-m64", "-fpic", "-ffreestanding", "-fno-stack-protector"],
        (_, false) => ["-m32", "-mregparm=3", "-fno-pie", "-ffreestanding", "-fno-stack-protector"],
        (_, true) => ["-m32", "-mregparm=3", "-fpic", "-ffreestanding", "-fno-stack-protector"],
    };

    /// <summary>gcc, and clang (clang-19 preferred) when installed; or exactly the ones asked for (names or paths).</summary>
    public static IReadOnlyList<Compiler> Discover(IEnumerable<string>? requested = null)
    {
        var names = requested?.ToList() ?? ["gcc", "clang"];
        var found = new List<Compiler>();
        foreach (string name in names)
        {
            string? path = name.Contains('/', StringComparison.Ordinal) ? (File.Exists(name) ? name : null)
                : name == "clang" ? Which("clang-19") ?? Which("clang") : Which(name);
            if (path is null)
            {
                if (requested is not null)
                {
                    throw new FileNotFoundException($"compiler '{name}' not found on PATH");
                }

                continue;
            }

            string banner = Run(path, ["--version"], null, 30).Stdout.Split('\n')[0];
            string family = banner.Contains("clang", StringComparison.OrdinalIgnoreCase) ? "clang" : "gcc";
            found.Add(new Compiler(family, path, VersionPattern().Match(banner).Value));
        }

        return found;
    }

    /// <summary>Compiles sources to one object (or checks syntax only when <paramref name="output"/> is null).</summary>
    public static CompileResult Compile(Compiler compiler, BuildFlavour flavour, IEnumerable<string> sources, string? output, IEnumerable<string>? extraFlags = null, string? workingDirectory = null)
    {
        var args = new List<string> { "-std=gnu11", "-" + flavour.Optimization, "-fno-asynchronous-unwind-tables", "-fdiagnostics-color=never" };
        args.AddRange(TargetFlags(flavour.Target, flavour.Pic));
        args.AddRange(compiler.Family == "gcc" ? ["-fmax-errors=0", "-fdiagnostics-plain-output"] : ["-ferror-limit=0", "-fno-caret-diagnostics"]);
        args.AddRange(extraFlags ?? []);
        if (output is null)
        {
            args.Add("-fsyntax-only");
        }
        else
        {
            args.AddRange(["-c", "-o", output]);
        }

        args.AddRange(sources);
        var run = Run(compiler.Path, args, workingDirectory, 600);
        string? produced = output is not null && run.ExitCode == 0 && File.Exists(output) ? output : null;
        return new CompileResult(run.ExitCode, run.Stderr, ParseMessages(run.Stderr), produced, [compiler.Path, .. args]);
    }

    /// <summary>Parses "file:line:col: severity: text" lines (both gcc and clang print them).</summary>
    public static IReadOnlyList<CompilerMessage> ParseMessages(string stderr)
    {
        var messages = new List<CompilerMessage>();
        foreach (Match m in MessagePattern().Matches(stderr))
        {
            messages.Add(new CompilerMessage(m.Groups["file"].Value, int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(m.Groups["col"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["sev"].Value, m.Groups["text"].Value.TrimEnd('\r')));
        }

        return messages;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string program, IEnumerable<string> args, string? workingDirectory, int timeoutSeconds)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Untranslated, uncoloured diagnostics: we parse them.
        info.Environment["LC_ALL"] = "C";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish within {timeoutSeconds} s");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Where(dir => dir.Length > 0)
            .Select(dir => System.IO.Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    [GeneratedRegex(@"\d+\.\d+(\.\d+)?")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^(?<file>[^:\n]+):(?<line>\d+):(?<col>\d+): (?<sev>fatal error|error|warning|note): (?<text>.*)$", RegexOptions.Multiline)]
    private static partial Regex MessagePattern();
}
