using System.CommandLine;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.Model.IO;
using PvGen.Model.Json;
using Spectre.Console;

namespace PvGen.Cli;

/// <summary>What every verb shares: invocation, error mapping to exit codes, consoles, output files.</summary>
internal static class Cli
{
    public static int Invoke(RootCommand root, string[] args)
    {
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                Console.Error.WriteLine($"pvgen: error: {error.Message} [{DiagnosticIds.BadOption}]");
            }

            Console.Error.WriteLine("Try 'pvgen --help' or 'pvgen <verb> --help'.");
            return ExitCodes.InputError;
        }

        return result.Invoke();
    }

    /// <summary>Runs a verb body, turning input problems into one diagnostic and exit code 2.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (CliException e)
        {
            DiagnosticPrinter.Print([e.Diagnostic]);
            return ExitCodes.InputError;
        }
        catch (ConfigException e)
        {
            DiagnosticPrinter.Print([e.Diagnostic]);
            return ExitCodes.InputError;
        }
        catch (ModelJsonException e)
        {
            DiagnosticPrinter.Print([e.Diagnostic]);
            return ExitCodes.InputError;
        }
        catch (PvGen.Kernel.KernelException e)
        {
            DiagnosticPrinter.Print([e.Diagnostic]);
            return ExitCodes.InputError;
        }
    }

    /// <summary>Reads a pvgen.model/1 file named on the command line: a missing file is PVG0001, bad JSON PVG0004 (both exit 2).</summary>
    public static OpsModel LoadModel(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException(new Diagnostic(DiagnosticIds.FileNotFound, Severity.Error, $"model file '{path}' not found", null));
        }

        return ModelJson.Deserialize(File.ReadAllText(path), path);
    }

    public static void Write(string path, string content)
    {
        try
        {
            AtomicFile.WriteIfChanged(path, content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(new Diagnostic(DiagnosticIds.OutputNotWritable, Severity.Error, $"cannot write '{path}': {e.Message}", null));
        }
    }

    public static IAnsiConsole StdoutConsole()
    {
        if (!Console.IsOutputRedirected)
        {
            return AnsiConsole.Console;
        }

        // Redirected: no colours, and wide enough that rows never wrap for the tools reading them.
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(Console.Out),
            Interactive = InteractionSupport.No,
        }).WithWidth(240);
    }

    public static IAnsiConsole TextConsole(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Out = new AnsiConsoleOutput(writer),
        Interactive = InteractionSupport.No,
    }).WithWidth(240);

    private static IAnsiConsole WithWidth(this IAnsiConsole console, int width)
    {
        console.Profile.Width = width;
        return console;
    }
}
