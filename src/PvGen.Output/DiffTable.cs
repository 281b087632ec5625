using PvGen.Comparison;
using PvGen.Comparison.Reports;
using Spectre.Console;

namespace PvGen.Output;

/// <summary>`pvgen diff --format table`: headline, one row per build, lost sites, and ops the approaches disagree on.</summary>
public static class DiffTable
{
    public static void Write(IAnsiConsole console, DiffReport report)
    {
        console.MarkupLine($"[bold]pvgen diff[/]: macro vs reloc approach for {Markup.Escape(report.Struct)} ({Markup.Escape(report.Symbol)}), corpus: {Markup.Escape(string.Join(" ", report.Corpus))}");
        foreach (string line in Headline.Lines(report))
        {
            console.WriteLine("  " + line);
        }

        var builds = new Table().Border(TableBorder.Rounded).Title("builds");
        foreach (string column in new[] { "build", "macro", "reloc (jmp)", "refs", "lost", "lengths macro", "lengths reloc", "<5B m/r", "code m/p", "saves m/p", "reloc types", "link: refs kept", "behaviour m/p" })
        {
            builds.AddColumn(column);
        }

        foreach (var b in report.Builds)
        {
            if (b.Error is not null)
            {
                builds.AddRow(Markup.Escape(b.Id), "[red]failed[/]", Markup.Escape(b.Error), "", "", "", "", "", "", "", "", "", "");
                continue;
            }

            var e = b.RegisterEnvironment;
            builds.AddRow(Markup.Escape(b.Id), Headline.Count(b.Macro.Sites, b.MacroError), $"{Headline.Count(b.Reloc.Sites, b.PlainError)} ({b.Reloc.Jumps})", $"{b.Reloc.References}", $"{b.Lost.Count}",
                Markup.Escape(Headline.Lengths(b.Macro.Lengths)), Markup.Escape(Headline.Lengths(b.Reloc.Lengths)), $"{b.Macro.TooShortForCall}/{b.Reloc.TooShortForCall}",
                $"{e.MacroBytes}/{e.PlainBytes} ({Headline.Signed(e.NetBytes)})", $"{e.MacroSaveInstructions}/{e.PlainSaveInstructions} ({Headline.Signed(e.NetSaveInstructions)})",
                Markup.Escape(Headline.Types(b.RelocTypes)), Markup.Escape(Headline.Link(b.Link)), Markup.Escape(Headline.Behaviour(b.Behaviour)));
        }

        console.Write(builds);
        foreach (var b in report.Builds.Where(b => b.MacroError is not null || b.PlainError is not null))
        {
            console.WriteLine($"  {b.Id}: " + (b.MacroError is null ? string.Empty : $"macro style did not build: {b.MacroError} ") + (b.PlainError is null ? string.Empty : $"plain style did not build: {b.PlainError}"));
        }

        foreach (var b in report.Builds.Where(b => b.Behaviour is not null))
        {
            foreach (var (style, v) in new[] { ("macro", b.Behaviour!.Macro), ("plain + annotate", b.Behaviour.Plain) })
            {
                if (v is { Difference: { } difference })
                {
                    console.WriteLine($"  {b.Id} {style} ({b.Behaviour.Format}): {v.Verdict}: {difference}");
                }
            }
        }

        if (report.Kernel is { } kernel)
        {
            var objects = new Table().Border(TableBorder.Rounded).Title($"kernel objects: linux {Markup.Escape(kernel.Version)}");
            foreach (string column in Headline.KernelColumns)
            {
                objects.AddColumn(Markup.Escape(column));
            }

            foreach (var row in Headline.KernelRows(kernel))
            {
                objects.AddRow(row.Select(c => c == "NO" ? "[red]NO[/]" : Markup.Escape(c)).ToArray());
            }

            console.Write(objects);
            foreach (var o in kernel.Objects)
            {
                foreach (string text in o.Differences.Concat(o.MacroNewWarnings.Select(w => "macro drop-in: " + w)).Concat(o.PlainNewWarnings.Select(w => "plain drop-in: " + w))
                    .Concat(new[] { o.KernelError, o.MacroError, o.PlainError }.OfType<string>()))
                {
                    console.WriteLine($"  {o.Object}: {text}");
                }
            }
        }

        foreach (var b in report.Builds.Where(b => b.Marker is not null))
        {
            var three = new Table().Border(TableBorder.Rounded).Title($"three styles: {Markup.Escape(b.Id)}");
            three.AddColumn("measure").AddColumn("macro").AddColumn("plain (reloc)").AddColumn("marker");
            foreach (var (measure, macro, plain, marker) in Headline.ThreeStyles(b))
            {
                three.AddRow(Markup.Escape(measure), Markup.Escape(macro), Markup.Escape(plain), Markup.Escape(marker));
            }

            console.Write(three);
            if (b.Marker!.Error is { } markerError)
            {
                console.WriteLine($"  {b.Id}: marker style did not build: {markerError}");
            }

            foreach (var u in b.Marker.Sites.Where(s => s.Unpaired is not null))
            {
                console.WriteLine($"  {b.Id}: unpaired marker {u.File} {u.Function} {u.Section}+0x{u.Offset:x} ({u.Op ?? "-"}): {u.Unpaired}");
            }
        }

        var lost = report.Builds.SelectMany(b => b.Lost.Select(s => (b.Id, Site: s))).ToList();
        if (lost.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"sites lost by the reloc approach ({lost.Count})");
            foreach (string column in new[] { "build", "file", "function", "address", "len", "kind", "op", "why" })
            {
                table.AddColumn(column);
            }

            foreach (var (id, s) in lost)
            {
                table.AddRow(Markup.Escape(id), Markup.Escape(s.File), Markup.Escape($"{s.Function}+0x{s.FunctionOffset:x}"), Markup.Escape($"{s.Section}+0x{s.Offset:x}"),
                    $"{s.Length}", s.Kind, Markup.Escape(SiteRecord.OpText(s)), Markup.Escape(s.Reason ?? ""));
            }

            console.Write(table);
        }

        var ops = new Table().Border(TableBorder.Rounded).Title("verdict per op (all builds)");
        ops.AddColumn("op").AddColumn("macro").AddColumn("reloc").AddColumn("verdict");
        foreach (var op in report.Ops)
        {
            ops.AddRow(Markup.Escape(op.Op), $"{op.Macro}", $"{op.Reloc}", op.Misses + op.Extra == 0 ? op.Verdict : $"[yellow]{Markup.Escape(op.Verdict)}[/]");
        }

        console.Write(ops);
    }
}
