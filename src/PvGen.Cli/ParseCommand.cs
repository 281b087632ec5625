using System.CommandLine;
using PvGen.Clang;
using PvGen.Model;
using PvGen.Model.IO;
using PvGen.Model.Json;
using Spectre.Console;

namespace PvGen.Cli;

/// <summary><c>pvgen parse</c>: header to typed model, as a table or as pvgen.model/1 JSON.</summary>
internal static class ParseCommand
{
    public static Command Create()
    {
        var inputs = new InputOptions();
        var format = new Option<string>("--format", "-f") { Description = "table (for people) or json (the pvgen.model/1 contract).", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var output = new Option<string?>("--output", "-o") { Description = "Write to FILE (atomically, only when the content changes) instead of stdout." };

        var command = new Command("parse", """
            Parse the header that declares an ops table into a typed model: one op per function-pointer
            member (through nested groups), with its offset, slot, C signature and flags.

            Examples:
              pvgen parse examples/toy/toy_ops.h --struct toy_ops
              pvgen parse --config examples/linux-5.10-x86_64/pvgen.json --format json -o pv_ops.pvgen.json
              pvgen parse arch/x86/include/asm/paravirt_types.h --struct paravirt_patch_template \
                  --kernel-tree /usr/src/linux-headers-6.1.0-common --kernel-build /usr/src/linux-headers-6.1.0-amd64
            """);
        inputs.AddTo(command);
        command.Options.Add(format);
        command.Options.Add(output);
        command.SetAction(result => Cli.Run(() =>
        {
            var request = inputs.Resolve(result);
            var parsed = HeaderParser.Parse(request);
            DiagnosticPrinter.Print(parsed.Diagnostics);
            if (!parsed.Succeeded)
            {
                return ExitCodes.InputError;
            }

            var model = parsed.Model!;
            string? path = result.GetValue(output);
            if (result.GetValue(format) == "json")
            {
                string json = ModelJson.Serialize(model);
                if (path is null)
                {
                    Console.Out.Write(json);
                }
                else
                {
                    Cli.Write(path, json);
                }
            }
            else if (path is null)
            {
                RenderTable(model, Cli.StdoutConsole());
            }
            else
            {
                var writer = new StringWriter();
                RenderTable(model, Cli.TextConsole(writer));
                Cli.Write(path, writer.ToString());
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    internal static void RenderTable(OpsModel model, IAnsiConsole console)
    {
        console.MarkupLineInterpolated($"[bold]struct {model.Struct}[/]  table [bold]{model.TableSymbol ?? "(no symbol)"}[/]  target {model.Target.Arch}  size {model.StructSize} bytes  {model.Ops.Count} ops, {model.Data.Count} data members");
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn(new TableColumn("slot").RightAligned())
            .AddColumn(new TableColumn("offset").RightAligned())
            .AddColumn("op")
            .AddColumn("signature")
            .AddColumn("flags");
        foreach (var op in model.Ops)
        {
            table.AddRow(
                new Text(op.Slot.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Text($"0x{op.Offset:x}"),
                new Text(op.Path),
                new Text(Signatures.Of(op)),
                new Text(Signatures.Flags(op)));
        }

        console.Write(table);
        if (model.Data.Count > 0)
        {
            console.MarkupLine("[bold]data members[/] (occupy offsets, not ops):");
            foreach (var member in model.Data)
            {
                console.WriteLine($"  0x{member.Offset:x}  {member.Type} {member.Path} ({member.Size} bytes)");
            }
        }
    }
}

/// <summary>How ops print for people.</summary>
internal static class Signatures
{
    public static string Of(Op op) => op.SignatureKnown || !op.CalleeSave
        ? $"{op.ReturnType.Spelling} ({(op.Params.Count == 0 ? "void" : string.Join(", ", op.Params.Select(p => Declaration(p.Type.Spelling, p.Name))))})"
        : "(signature not configured)";

    /// <summary>"pte_t *" and "ptep" print as "pte_t *ptep", the way C is written.</summary>
    public static string Declaration(string type, string name) => type.EndsWith('*') ? type + name : $"{type} {name}";

    public static string Flags(Op op)
    {
        var flags = new List<string>();
        if (op.CalleeSave)
        {
            flags.Add("callee-save");
        }

        if (!op.SignatureKnown)
        {
            flags.Add("signature-unknown");
        }

        return string.Join(",", flags);
    }
}
