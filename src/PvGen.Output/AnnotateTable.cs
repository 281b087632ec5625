using PvGen.Binary.Annotating;
using Spectre.Console;

namespace PvGen.Output;

/// <summary>`pvgen annotate --report table`: one row per object, then every reference left without a record and why.</summary>
public static class AnnotateTable
{
    public static void Write(IAnsiConsole console, IReadOnlyList<AnnotatedObject> results, bool written)
    {
        var table = new Table().Border(TableBorder.Simple).AddColumn("object").AddColumn("format").AddColumn("records").AddColumn("calls").AddColumn("jumps").AddColumn("unpatched");
        foreach (var r in results)
        {
            table.AddRow(Markup.Escape(r.Path), r.Format?.Name ?? "-", r.Error is null ? $"{r.Plan.Records.Count}" : "[red]failed[/]",
                $"{r.Plan.Records.Count(p => p.Kind == PatchKind.Call)}", $"{r.Plan.Records.Count(p => p.Kind == PatchKind.Jump)}", $"{r.Plan.Unpatchable.Count}");
        }

        console.Write(table);
        var unpatched = results.SelectMany(r => r.Plan.Unpatchable.Select(u => (r.Path, Site: u))).ToList();
        if (unpatched.Count > 0)
        {
            var list = new Table().Border(TableBorder.Simple).Title("references left without a record").AddColumn("object").AddColumn("function").AddColumn("address").AddColumn("len").AddColumn("op").AddColumn("why");
            foreach (var (path, u) in unpatched)
            {
                list.AddRow(Markup.Escape(Path.GetFileName(path)), Markup.Escape(u.Function), Markup.Escape($"{u.Section}+0x{u.Offset:x}"), $"{u.Length}", Markup.Escape(u.Op ?? $"offset {u.TargetOffset}"), Markup.Escape(u.Explanation));
            }

            console.Write(list);
        }

        console.MarkupLine(written ? "[green]written[/]" : "[red]nothing written[/]");
    }
}
