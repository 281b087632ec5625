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
