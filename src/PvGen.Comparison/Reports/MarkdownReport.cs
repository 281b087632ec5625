using System.Text;

namespace PvGen.Comparison.Reports;

/// <summary>The diff as Markdown: headline, per-build table, lost sites, functions, ops.</summary>
public static class MarkdownReport
{
    public static string Render(DiffReport report)
    {
        var md = new StringBuilder();
        md.AppendLine($"# pvgen diff: macro vs reloc approach for `{report.Struct}` (`{report.Symbol}`)").AppendLine();
        md.AppendLine("Corpus: " + string.Join(", ", report.Corpus.Select(c => $"`{c}`"))).AppendLine();
        foreach (string line in Headline.Lines(report))
        {
            md.AppendLine("- " + line);
        }

        md.AppendLine().AppendLine("## Builds").AppendLine();
        md.AppendLine("| build | macro sites | reloc sites (jmp) | refs | lost | lengths macro | lengths reloc | <5 B m/r | code bytes m/p | saves m/p | reloc types | link: refs surviving | patched behaviour m/p |");
        md.AppendLine("|---|---:|---:|---:|---:|---|---|---|---|---|---|---|---|");
        foreach (var b in report.Builds)
        {
            md.AppendLine(b.Error is null ? BuildRow(b) : $"| {b.Id} | failed: {Escape(b.Error)} |||||||||||||");
        }

        foreach (var b in report.Builds.Where(b => b.MacroError is not null || b.PlainError is not null))
        {
            md.AppendLine().Append($"- {b.Id}: ").Append(b.MacroError is null ? string.Empty : $"macro style did not build: {Escape(b.MacroError)} ")
                .AppendLine(b.PlainError is null ? string.Empty : $"plain style did not build: {Escape(b.PlainError)}");
        }

        var behaving = report.Builds.Where(b => b.Behaviour is not null).ToList();
        if (behaving.Count > 0)
        {
            md.AppendLine().AppendLine("## Patched behaviour (pvgen prove)").AppendLine();
            md.AppendLine("| build | format | style | verdict | records | patched | refused | reached | not reached | left indirect | first difference |");
            md.AppendLine("|---|---|---|---|---:|---:|---:|---:|---:|---|---|");
            foreach (var b in behaving)
            {
                foreach (var (style, v) in new[] { ("macro", b.Behaviour!.Macro), ("plain + annotate", b.Behaviour.Plain) })
                {
                    if (v is not null)
                    {
                        md.AppendLine($"| {b.Id} | {b.Behaviour.Format} | {style} | {v.Verdict} | {v.Records} | {v.Patched} | {v.Refused} | {v.SitesExecuted} | {v.PatchedNotReached} | {Escape(Headline.Reasons(v.LeftIndirect))} | {Escape(v.Difference ?? "-")} |");
                    }
                }
            }
        }

        if (report.Kernel is { } kernel)
        {
            md.AppendLine().AppendLine($"## Kernel objects: linux {kernel.Version}").AppendLine();
            md.AppendLine($"Source `{kernel.Source}`, configuration `{kernel.Config}`, CC `{kernel.Compiler}`.").AppendLine();
            md.AppendLine("| " + string.Join(" | ", Headline.KernelColumns) + " |");
            md.AppendLine("|---|---:|---:|---|---|---|---|");
            foreach (var row in Headline.KernelRows(kernel))
            {
                md.AppendLine("| " + string.Join(" | ", row.Select(Escape)) + " |");
            }

            foreach (var o in kernel.Objects)
            {
                foreach (string text in o.Differences.Select(d => "difference: " + d).Concat(o.MacroNewWarnings.Select(w => "macro drop-in warning: " + w))
                    .Concat(o.PlainNewWarnings.Select(w => "plain drop-in warning: " + w))
                    .Concat(new[] { o.KernelError, o.MacroError, o.PlainError }.OfType<string>().Select(e => "error: " + e)))
                {
                    md.AppendLine($"- `{o.Object}`: {Escape(text)}");
                }
            }
        }

        foreach (var b in report.Builds.Where(b => b.Marker is not null))
        {
            md.AppendLine().AppendLine($"## Three styles: {b.Id}").AppendLine();
            md.AppendLine("| measure | macro | plain (reloc) | marker |");
            md.AppendLine("|---|---|---|---|");
            foreach (var (measure, macro, plain, marker) in Headline.ThreeStyles(b))
            {
                md.AppendLine($"| {measure} | {macro} | {plain} | {marker} |");
            }

            if (b.Marker!.Error is { } markerError)
            {
                md.AppendLine().AppendLine($"- marker style did not build: {Escape(markerError)}");
            }

            foreach (var u in b.Marker.Sites.Where(s => s.Unpaired is not null))
            {
                md.AppendLine().AppendLine($"- unpaired marker {u.File} `{u.Function}` {u.Section}+0x{u.Offset:x} ({u.Op ?? "-"}): {Escape(u.Unpaired!)}");
            }
        }

        Table(md, "Sites lost by the reloc approach", "| build | file | function | address | length | kind | op | why |", "|---|---|---|---|---:|---|---|---|",
            report.Builds.SelectMany(b => b.Lost.Select(s =>
                $"| {b.Id} | {s.File} | `{s.Function}+0x{s.FunctionOffset:x}` | {s.Section}+0x{s.Offset:x} | {s.Length} | {s.Kind} | {SiteRecord.OpText(s)} | {s.Reason} |")));
        Table(md, "Register environment per function",
            "| build | file | function | bytes macro | bytes plain | saves macro | saves plain | net bytes | net saves |", "|---|---|---|---:|---:|---:|---:|---:|---:|",
            report.Builds.SelectMany(b => b.Functions.Select(f =>
                $"| {b.Id} | {f.File} | `{f.Function}` | {f.MacroSize} | {f.PlainSize} | {f.MacroSaveInstructions} | {f.PlainSaveInstructions} | {Headline.Signed(f.PlainSize - f.MacroSize)} | {Headline.Signed(f.PlainSaveInstructions - f.MacroSaveInstructions)} |")));
        Table(md, "Verdict per op (all builds)", "| op | macro sites | reloc sites | verdict |", "|---|---:|---:|---|",
            report.Ops.Select(op => $"| `{op.Op}` | {op.Macro} | {op.Reloc} | {op.Verdict} |"));
        return md.ToString();
    }

    private static string BuildRow(BuildResult b)
    {
        var e = b.RegisterEnvironment;
        return $"| {b.Id} | {Headline.Count(b.Macro.Sites, b.MacroError)} | {Headline.Count(b.Reloc.Sites, b.PlainError)} ({b.Reloc.Jumps}) | {b.Reloc.References} | {b.Lost.Count} | {Headline.Lengths(b.Macro.Lengths)} | {Headline.Lengths(b.Reloc.Lengths)} "
            + $"| {b.Macro.TooShortForCall}/{b.Reloc.TooShortForCall} | {e.MacroBytes}/{e.PlainBytes} ({Headline.Signed(e.NetBytes)}) | {e.MacroSaveInstructions}/{e.PlainSaveInstructions} ({Headline.Signed(e.NetSaveInstructions)}) "
            + $"| {Headline.Types(b.RelocTypes)} | {Escape(Headline.Link(b.Link))} | {Headline.Behaviour(b.Behaviour)} |";
    }

    /// <summary>A section with one table: its heading, header row, alignment row and rows.</summary>
    private static void Table(StringBuilder md, string heading, string header, string alignment, IEnumerable<string> rows)
    {
        md.AppendLine().AppendLine($"## {heading}").AppendLine();
        md.AppendLine(header).AppendLine(alignment);
        foreach (string row in rows)
        {
            md.AppendLine(row);
        }
    }

    // A tool's own lines stay lines inside a table cell.
    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal);
}
