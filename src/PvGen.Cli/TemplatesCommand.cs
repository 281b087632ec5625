using System.CommandLine;
using PvGen.Generation;

namespace PvGen.Cli;

/// <summary><c>pvgen templates export DIR</c>: the default templates and a manifest of their hashes, to copy and override.</summary>
internal static class TemplatesCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("dir") { Description = "Directory to write the templates into." };
        var export = new Command("export", """
            Write the default templates and templates.manifest.json (their SHA-256) into DIR. Edit any of them and pass
            --templates DIR to pvgen generate: files present there replace the defaults, the rest come from the tool.
            When a default changes in a later pvgen, generate warns about overrides exported from the older one.
            """);
        export.Arguments.Add(directory);
        export.SetAction(result => Cli.Run(() =>
        {
            string dir = result.GetValue(directory)!;
            int written = 0;
            var files = DefaultTemplates.Export();
            foreach (var (path, content) in files)
            {
                string target = Path.Combine(dir, path);
                try
                {
                    written += Model.IO.AtomicFile.WriteIfChanged(target, content) ? 1 : 0;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new CliException(new Model.Diagnostic(Model.DiagnosticIds.OutputNotWritable, Model.Severity.Error, $"cannot write '{target}': {e.Message}", null));
                }
            }

            Console.Out.WriteLine($"{dir}: {files.Count} files ({written} written)");
            foreach (var (path, _) in files)
            {
                Console.Out.WriteLine($"  {path}");
            }

            return ExitCodes.Ok;
        }));
        var command = new Command("templates", "Work with the generate templates (export the defaults to override them).");
        command.Subcommands.Add(export);
        return command;
    }
}
