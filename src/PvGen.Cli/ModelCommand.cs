using System.CommandLine;
using PvGen.Generation;
using PvGen.Model;

namespace PvGen.Cli;

/// <summary><c>pvgen model</c>: the exact object the templates see, as JSON (for template authors).</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var options = new GenerateCommand.Options();
        var command = new Command("model", """
            Print the object the generate templates see, as JSON: every variable a template may use
            (ops, their wrappers, register bindings, settings). Same inputs as pvgen generate.

            Example:
              pvgen model --config examples/toy/pvgen.json -o toy.template-model.json
            """);
        options.AddTo(command);
        command.SetAction(result => Cli.Run(() =>
        {
            string? file = result.GetValue(options.Output);
            string outputDirectory = file is null ? Environment.CurrentDirectory : Path.GetDirectoryName(Path.GetFullPath(file))!;
            var diagnostics = new List<Diagnostic>();
            try
            {
                var request = options.Resolve(result, outputDirectory, diagnostics);
                var plan = TemplateModelBuilder.Build(request, diagnostics);
                DiagnosticPrinter.Print(diagnostics);
                string json = plan.Root.ToJson();
                if (file is null)
                {
                    Console.Out.Write(json);
                }
                else
                {
                    Cli.Write(file, json);
                }

                return ExitCodes.Ok;
            }
            catch (GenerationException e)
            {
                DiagnosticPrinter.Print([.. diagnostics, e.Diagnostic]);
                return ExitCodes.InputError;
            }
            catch (GenerateCommand.ParseFailed)
            {
                DiagnosticPrinter.Print(diagnostics);
                return ExitCodes.InputError;
            }
        }));
        return command;
    }
}
