using PvGen.Model;
using PvGen.Model.IO;
using Spectre.Console;

namespace PvGen.Output;

/// <summary>Where output goes: the terminal (with colour), a redirected stream (plain and wide), or a file (atomically).</summary>
public static class Consoles
{
    public static IAnsiConsole Stdout()
    {
        if (!Console.IsOutputRedirected)
        {
            return AnsiConsole.Console;
        }

        // Redirected: no colours, and wide enough that rows never wrap for the tools reading them.
        return Text(Console.Out);
    }

    public static IAnsiConsole Stderr() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>A plain console into a writer: no colours, no interaction, 240 columns.</summary>
    public static IAnsiConsole Text(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 240;
        return console;
    }

    /// <summary>Text to standard output, or to FILE (atomically, only when it changes).</summary>
    public static void Write(string? path, string text)
    {
        if (path is null)
        {
            Console.Out.Write(text);
        }
        else
        {
            AtomicFile.WriteIfChanged(path, text);
        }
    }

    /// <summary>A table rendered to standard output, or as plain text into FILE.</summary>
    public static void Write(string? path, Action<IAnsiConsole> render)
    {
        if (path is null)
        {
            render(Stdout());
            return;
        }

        var writer = new StringWriter();
        render(Text(writer));
        AtomicFile.WriteIfChanged(path, writer.ToString());
    }

    /// <summary>A stream to standard output, or into FILE (atomically, only when it changes): for reports too big to hold.</summary>
    public static void Stream(string? path, Action<Stream> write)
    {
        if (path is null)
        {
            using var stdout = Console.OpenStandardOutput();
            using var buffered = new BufferedStream(stdout, 1 << 16);
            write(buffered);
            return;
        }

        AtomicFile.WriteIfChanged(path, write);
    }

    /// <summary>Diagnostics to standard error in the gcc form editors and CI understand.</summary>
    public static void Print(IEnumerable<Diagnostic> diagnostics)
    {
        foreach (var diagnostic in diagnostics)
        {
            Console.Error.WriteLine(diagnostic.ToString());
        }
    }
}

/// <summary>A status line or a progress bar on stderr while long work runs, only when stderr is a terminal.</summary>
public static class Progress
{
    public static T Status<T>(string title, Func<Action<string>, T> work)
    {
        if (Console.IsErrorRedirected)
        {
            return work(_ => { });
        }

        return Consoles.Stderr().Status().Start(title, context => work(step => context.Status($"{title}: {Markup.Escape(step)}")));
    }

    /// <summary>A bar of <paramref name="total"/> steps; <paramref name="work"/> reports each finished step with a description.</summary>
    public static T Bar<T>(string title, int total, Func<Action<string?>, T> work)
    {
        if (Console.IsErrorRedirected || total <= 1)
        {
            return work(_ => { });
        }

        T result = default!;
        Consoles.Stderr().Progress().AutoClear(true).HideCompleted(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: total);
                result = work(step =>
                {
                    if (step is not null)
                    {
                        task.Description = Markup.Escape(step);
                    }

                    task.Increment(1);
                });
            });
        return result;
    }
}

/// <summary>
/// Progress of a kernel run on stderr: a live bar per long step and tree (extract, prepare, each object) on a terminal;
/// otherwise one line per step, so CI logs show where the time went. Notes (what the run changed) are always printed.
/// </summary>
public static class KernelProgressDisplay
{
    public static T Run<T>(Func<Action<PvGen.Kernel.KernelProgress>, T> work)
    {
        var gate = new object();
        if (Console.IsErrorRedirected)
        {
            string last = string.Empty;
            long lastDecile = -1;
            return work(p =>
            {
                lock (gate)
                {
                    string line = p.Step == "note" ? $"pvgen: note: {p.Detail}" : $"pvgen: {p.Step}: {p.Detail}";
                    long decile = p.Total > 0 ? p.Done * 10 / p.Total : -1;
                    bool bytes = p.Step == "extract";
                    if (bytes ? decile != lastDecile || line != last : line != last)
                    {
                        Console.Error.WriteLine(p.Total <= 0 ? line : bytes ? $"{line} ({decile * 10}%)" : $"{line} ({p.Done}/{p.Total})");
                        last = line;
                        lastDecile = decile;
                    }
                }
            });
        }

        var console = Consoles.Stderr();
        T result = default!;
        console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                result = work(p =>
                {
                    lock (gate)
                    {
                        if (p.Step == "note")
                        {
                            console.MarkupLine($"[grey]note:[/] {Markup.Escape(p.Detail)}");
                            return;
                        }

                        // One bar per step and tree: "build kernel: mm/memory.o", "prepare macro: ...".
                        string key = p.Step + (p.Detail.IndexOf(':') is int colon and > 0 ? ":" + p.Detail[..colon] : string.Empty);
                        if (!tasks.TryGetValue(key, out var task))
                        {
                            task = context.AddTask(Markup.Escape($"{p.Step} {p.Detail}"), maxValue: Math.Max(1, p.Total));
                            tasks[key] = task;
                        }

                        task.Description = Markup.Escape($"{p.Step} {p.Detail}");
                        task.IsIndeterminate = p.Total <= 0;
                        if (p.Total > 0)
                        {
                            task.MaxValue = p.Total;
                            task.Value = p.Done;
                        }
                    }
                });
                foreach (var task in tasks.Values)
                {
                    task.IsIndeterminate = false;
                    task.Value = task.MaxValue;
                }
            });
        return result;
    }
}
