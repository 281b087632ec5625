using System.CommandLine;
using PvGen.Cli;
using PvGen.Model;

var root = new RootCommand("""
    pvgen: generate, check and measure paravirt ops call sites from the header that declares the ops table.

    Pipeline: parse the header (libclang) -> generate wrappers (macro or plain style) -> check them
    (compile and decode) -> scan objects for the sites the reloc approach would find -> diff both.
    Every option with a pvgen.json key may also be set in pvgen.json (--config FILE, else ./pvgen.json).
    Exit codes: 0 ok, 1 findings, 2 usage or input error.
    """);
CommandLine.AddVerbs(root, VerbActions.For);
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"pvgen: error: {error.Message} [{DiagnosticIds.BadOption}]");
    }

    Console.Error.WriteLine("Try 'pvgen --help' or 'pvgen <verb> --help'.");
    return ExitCodes.InputError;
}

return parsed.Invoke();
