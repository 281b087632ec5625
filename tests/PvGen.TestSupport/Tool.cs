using System.Diagnostics;

namespace PvGen.TestSupport;

/// <summary>The outcome of running a real program.</summary>
public sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs real tools (gcc, clang, objdump, readelf, pvgen) and captures their output.</summary>
public static class Tool
{
    /// <param name="environment">Variables set for the program only (on top of this process's).</param>
    public static ToolResult Run(string program, IEnumerable<string> args, string? workingDirectory = null, int timeoutSeconds = 300, IReadOnlyDictionary<string, string>? environment = null)
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

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish in {timeoutSeconds} s");
        }

        return new ToolResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? Find(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':'))
        {
            string candidate = Path.Combine(dir, program);
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The C compilers present here: gcc always, clang when installed (CI installs clang-19).</summary>
    public static IReadOnlyList<string> Compilers()
    {
        var found = new List<string>();
        if (Find("gcc") is { } gcc)
        {
            found.Add(gcc);
        }

        if ((Find("clang-19") ?? Find("clang")) is { } clang)
        {
            found.Add(clang);
        }

        return found;
    }

    /// <summary>Compiler flags that select a target: kernel-like, non-PIC, freestanding.</summary>
    public static string[] TargetFlags(string arch) => arch switch
    {
        "x86_64" => ["-m64", "-mcmodel=kernel", "-fno-pie", "-ffreestanding"],
        "i386" => ["-m32", "-mregparm=3", "-fno-pie", "-ffreestanding"],
        _ => throw new ArgumentException($"unknown arch {arch}"),
    };

    /// <summary>Runs the built pvgen CLI (from the solution's build output) as a new process, like a user would.</summary>
    /// <param name="timeoutSeconds">Kill it (and fail with <see cref="TimeoutException"/>) after this long: a hang is a finding.</param>
    public static ToolResult Pvgen(IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, int timeoutSeconds = 300)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "pvgen.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"pvgen.dll not next to the tests ({dll}); reference src/PvGen.Cli from the test project");
        }

        return Run("dotnet", [dll, .. args], workingDirectory, timeoutSeconds, environment);
    }
}
