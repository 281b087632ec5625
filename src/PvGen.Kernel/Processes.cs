using System.Diagnostics;
using System.Text;

namespace PvGen.Kernel;

/// <summary>What a program printed (stdout and stderr merged in the order it wrote them) and how it ended.</summary>
public sealed record ProcessOutput(int ExitCode, IReadOnlyList<string> Lines)
{
    public string Text => string.Join('\n', Lines);

    /// <summary>The last lines, for an error message.</summary>
    public string Tail(int count = 12) => string.Join('\n', Lines.Skip(Math.Max(0, Lines.Count - count)));
}

/// <summary>Runs the external tools of a kernel build (make, tar, scripts/config) with their output merged into one stream.</summary>
public static class Processes
{
    /// <summary>
    /// Runs <paramref name="program"/> with stdout and stderr sent to one pipe (through /bin/sh, "exec ... 2>&amp;1"), so a
    /// warning follows the Kbuild line of the object that caused it; every line is also handed to <paramref name="onLine"/>.
    /// </summary>
    /// <param name="input">Copied to the program's stdin (then closed), with <paramref name="onInput"/> told the bytes so far.</param>
    public static ProcessOutput Run(string program, IReadOnlyList<string> args, string? workingDirectory = null, Action<string>? onLine = null,
        Stream? input = null, Action<long>? onInput = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" \"$@\" 2>&1");
        info.ArgumentList.Add(program);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["LC_ALL"] = "C";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var lines = new List<string>();
        var reader = Task.Run(() =>
        {
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                lock (lines)
                {
                    lines.Add(line);
                }

                onLine?.Invoke(line);
            }
        });
        if (input is not null)
        {
            var buffer = new byte[1 << 20];
            long total = 0;
            int read;
            try
            {
                while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
                {
                    process.StandardInput.BaseStream.Write(buffer, 0, read);
                    total += read;
                    onInput?.Invoke(total);
                }
            }
            catch (IOException)
            {
                // The program stopped reading (it failed); its exit code and output say why.
            }
            finally
            {
                try
                {
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                }
            }
        }

        if (!process.WaitForExit(timeout ?? TimeSpan.FromHours(2)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            reader.Wait();
            lines.Add($"pvgen: {program} did not finish in {(timeout ?? TimeSpan.FromHours(2)).TotalSeconds:0} s and was stopped");
            return new ProcessOutput(-1, lines);
        }

        reader.Wait();
        process.WaitForExit();
        return new ProcessOutput(process.ExitCode, lines);
    }

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? Which(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : null;
        }

        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static string Sha256(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
