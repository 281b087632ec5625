using System.Globalization;
using PvGen.Model;
using Spectre.Console;

namespace PvGen.Output;

/// <summary>`pvgen parse --format table`: the model for people.</summary>
public static class ParseTable
{
    public static void Render(OpsModel model, IAnsiConsole console)
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
                new Text(op.Slot.ToString(CultureInfo.InvariantCulture)),
                new Text($"0x{op.Offset:x}"),
                new Text(op.Path),
                new Text(Signature(op)),
                new Text(Flags(op)));
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

    private static string Signature(Op op) => op.SignatureKnown || !op.CalleeSave
        ? $"{op.ReturnType.Spelling} ({(op.Params.Count == 0 ? "void" : string.Join(", ", op.Params.Select(p => Declaration(p.Type.Spelling, p.Name))))})"
        : "(signature not configured)";

    /// <summary>"pte_t *" and "ptep" print as "pte_t *ptep", the way C is written.</summary>
    private static string Declaration(string type, string name) => type.EndsWith('*') ? type + name : $"{type} {name}";

    private static string Flags(Op op) => string.Join(",", new[] { op.CalleeSave ? "callee-save" : null, op.SignatureKnown ? null : "signature-unknown" }.OfType<string>());
}
