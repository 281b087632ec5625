using Spectre.Console;

namespace PvGen.Cli;

/// <summary>A status line on stderr while long work runs, only when stderr is a terminal.</summary>
internal static class Progress
{
    public static T Run<T>(string title, Func<Action<string>, T> work)
    {
        if (Console.IsErrorRedirected)
        {
            return work(_ => { });
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Status().Start(title, context => work(step => context.Status($"{title}: {Markup.Escape(step)}")));
    }
}

/// <summary>
/// Progress of a kernel run on stderr: a live bar per long step (extract, prepare, each object) on a terminal; otherwise
/// one line per step, so CI logs show where the time went. Notes (what the run changed) are always printed.
/// </summary>
internal static class KernelProgressDisplay
{
    public static T Run<T>(Func<Action<PvGen.Kernel.KernelProgress>, T> work)
    {
        if (Console.IsErrorRedirected)
        {
            string last = string.Empty;
            long lastPercent = -1;
            var gate = new object();
            return work(p =>
            {
                lock (gate)
                {
                    long percent = p.Total > 0 ? p.Done * 100 / p.Total : -1;
                    string line = p.Step == "note" ? $"pvgen: note: {p.Detail}" : $"pvgen: {p.Step}: {p.Detail}";
                    bool bytes = p.Step == "extract";
                    if (bytes ? percent / 10 != lastPercent / 10 || line != last : line != last)
                    {
                        Console.Error.WriteLine(p.Total > 0 && bytes ? $"{line} ({percent}%)" : p.Total > 0 ? $"{line} ({p.Done}/{p.Total})" : line);
                        last = line;
                        lastPercent = percent;
                    }
                }
            });
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var gate = new object();
                result = work(p =>
                {
                    lock (gate)
                    {
                        if (p.Step == "note")
                        {
                            console.MarkupLine($"[grey]note:[/] {Markup.Escape(p.Detail)}");
                            return;
                        }

                        // One bar per step and tree ("build: macro", "prepare: plain", "extract").
                        string key = p.Step + (p.Detail.IndexOf(':') is int colon and > 0 ? ":" + p.Detail[..colon] : string.Empty);
                        if (!tasks.TryGetValue(key, out var task))
                        {
                            task = context.AddTask(Markup.Escape($"{p.Step} {p.Detail}"), maxValue: Math.Max(1, p.Total));
                            tasks[key] = task;
                        }

                        task.Description = Markup.Escape($"{p.Step} {p.Detail}");
                        if (p.Total > 0)
                        {
                            task.MaxValue = p.Total;
                            task.Value = p.Done;
                        }
                        else
                        {
                            task.IsIndeterminate = true;
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
