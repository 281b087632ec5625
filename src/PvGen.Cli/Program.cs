using System.CommandLine;
using PvGen.Cli;

var root = new RootCommand("""
    pvgen: generate, check and measure paravirt ops call sites from the header that declares the ops table.

    Pipeline: parse the header (libclang) -> generate wrappers (macro or plain style) -> check them
    (compile and decode) -> scan objects for the sites the reloc approach would find -> diff both.
    Exit codes: 0 ok, 1 findings, 2 usage or input error.
    """);
root.Subcommands.Add(ParseCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(ModelCommand.Create());
root.Subcommands.Add(TemplatesCommand.Create());
root.Subcommands.Add(ScanCommand.Create());
root.Subcommands.Add(CheckCommand.Create());
root.Subcommands.Add(DiffCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
return Cli.Invoke(root, args);
