using System.Globalization;
using System.Net;
using System.Text;

namespace PvGen.Comparison.Reports;

/// <summary>A self-contained HTML page: inline CSS and inline SVG bar charts, no scripts, no network.</summary>
public static class HtmlReport
{
    private const string MacroColour = "#2b6cb0";
    private const string RelocColour = "#dd6b20";

    public static string Render(DiffReport report)
    {
        var ok = report.Builds.Where(DiffRunner.Comparable).ToList();
        var plainBuilt = report.Builds.Where(b => b.Error is null && b.PlainError is null).ToList();
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine($"<title>pvgen diff: {E(report.Struct)}</title>");
        html.AppendLine("""
            <style>
            body { font-family: system-ui, sans-serif; margin: 24px; color: #1a202c; background: #fff; }
            h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #cbd5e0; }
            table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
            th, td { border: 1px solid #cbd5e0; padding: 3px 8px; text-align: right; }
            th { background: #edf2f7; } td.l, th.l { text-align: left; }
            ul.headline li { margin: 4px 0; }
            .legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: middle; }
            .failed { color: #c53030; white-space: pre-wrap; }
            code { font-size: 12px; }
            </style>
            """);
        html.AppendLine("</head><body>");
        html.AppendLine($"<h1>pvgen diff: macro vs reloc approach for <code>{E(report.Struct)}</code> (<code>{E(report.Symbol)}</code>)</h1>");
        html.AppendLine($"<p>Corpus: {string.Join(", ", report.Corpus.Select(c => $"<code>{E(c)}</code>"))}</p>");
        html.AppendLine("<ul class=\"headline\">");
        foreach (string line in Headline.Lines(report))
        {
            html.AppendLine($"<li>{E(line)}</li>");
        }

        html.AppendLine("</ul>");
        html.AppendLine($"<p class=\"legend\"><span style=\"background:{MacroColour}\"></span>macro style<span style=\"background:{RelocColour}\"></span>plain style (reloc approach)</p>");

        html.AppendLine("<h2>Sites found per build</h2>");
        html.AppendLine(Chart(ok.Select(b => (b.Id, (double)b.Macro.Sites, (double)b.Reloc.Sites)).ToList(), "sites"));
        html.AppendLine("<h2>Code size per build (bytes)</h2>");
        html.AppendLine(Chart(ok.Select(b => (b.Id, (double)b.RegisterEnvironment.MacroBytes, (double)b.RegisterEnvironment.PlainBytes)).ToList(), "bytes"));
        html.AppendLine("<h2>Register saves, restores and spills per build (instructions)</h2>");
        html.AppendLine(Chart(ok.Select(b => (b.Id, (double)b.RegisterEnvironment.MacroSaveInstructions, (double)b.RegisterEnvironment.PlainSaveInstructions)).ToList(), "instructions"));

        html.AppendLine("<h2>Builds</h2><table><tr><th class=\"l\">build</th><th>macro sites</th><th>reloc sites</th><th>tail jumps</th><th>refs</th><th>lost</th><th class=\"l\">lengths macro</th><th class=\"l\">lengths reloc</th><th>&lt;5 B m/r</th><th>code m/p</th><th>saves m/p</th><th class=\"l\">reloc types</th><th class=\"l\">link</th><th class=\"l\">patched behaviour m/p</th></tr>");
        foreach (var b in report.Builds)
        {
            html.AppendLine(b.Error is null ? BuildRow(b) : $"<tr><td class=\"l\">{E(b.Id)}</td><td class=\"l failed\" colspan=\"13\">failed: {E(b.Error)}</td></tr>");

        }

        html.AppendLine("</table>");
        foreach (var b in report.Builds.Where(b => b.MacroError is not null || b.PlainError is not null))
        {
            html.AppendLine($"<p class=\"failed\">{E(b.Id)}: {E(b.MacroError is null ? "" : "macro style did not build: " + b.MacroError)} {E(b.PlainError is null ? "" : "plain style did not build: " + b.PlainError)}</p>");
        }

        var behaving = report.Builds.Where(b => b.Behaviour is not null).ToList();
        if (behaving.Count > 0)
        {
            html.AppendLine("<h2>Patched behaviour (pvgen prove)</h2><table><tr><th class=\"l\">build</th><th class=\"l\">format</th><th class=\"l\">style</th><th class=\"l\">verdict</th><th>records</th><th>patched</th><th>refused</th><th>reached</th><th>not reached</th><th class=\"l\">left indirect</th><th class=\"l\">first difference</th></tr>");
            foreach (var b in behaving)
            {
                foreach (var (style, v) in new[] { ("macro", b.Behaviour!.Macro), ("plain + annotate", b.Behaviour.Plain) })
                {
                    if (v is not null)
                    {
                        string verdict = v.Verdict == "proved" ? E(v.Verdict) : $"<span class=\"failed\">{E(v.Verdict)}</span>";
                        html.AppendLine($"<tr><td class=\"l\">{E(b.Id)}</td><td class=\"l\">{E(b.Behaviour.Format)}</td><td class=\"l\">{E(style)}</td><td class=\"l\">{verdict}</td><td>{v.Records}</td><td>{v.Patched}</td><td>{v.Refused}</td>"
                            + $"<td>{v.SitesExecuted}</td><td>{v.PatchedNotReached}</td><td class=\"l\">{E(Headline.Reasons(v.LeftIndirect))}</td><td class=\"l\">{E(v.Difference ?? "-")}</td></tr>");
                    }
                }
            }

            html.AppendLine("</table>");
        }

        if (report.Kernel is { } kernel)
        {
            html.AppendLine($"<h2>Kernel objects: linux {E(kernel.Version)}</h2><p>Source <code>{E(kernel.Source)}</code>, configuration <code>{E(kernel.Config)}</code>, CC <code>{E(kernel.Compiler)}</code>.</p>");
            html.AppendLine("<table><tr>" + string.Concat(Headline.KernelColumns.Select((c, i) => $"<th{(i is 0 or 6 ? " class=\"l\"" : string.Empty)}>{E(c)}</th>")) + "</tr>");
            foreach (var row in Headline.KernelRows(kernel))
            {
                html.AppendLine("<tr>" + string.Concat(row.Select((c, i) => $"<td{(i is 0 or 6 ? " class=\"l\"" : c == "NO" ? " class=\"failed\"" : string.Empty)}>{E(c)}</td>")) + "</tr>");
            }

            html.AppendLine("</table>");
        }

        foreach (var b in report.Builds.Where(b => b.Marker is not null))
        {
            html.AppendLine($"<h2>Three styles: {E(b.Id)}</h2><table><tr><th class=\"l\">measure</th><th>macro</th><th>plain (reloc)</th><th>marker</th></tr>");
            foreach (var (measure, macro, plain, marker) in Headline.ThreeStyles(b))
            {
                html.AppendLine($"<tr><td class=\"l\">{E(measure)}</td><td>{E(macro)}</td><td>{E(plain)}</td><td>{E(marker)}</td></tr>");
            }

            html.AppendLine("</table>");
            if (b.Marker!.Error is { } markerError)
            {
                html.AppendLine($"<p class=\"failed\">marker style did not build: {E(markerError)}</p>");
            }

            foreach (var u in b.Marker.Sites.Where(s => s.Unpaired is not null))
            {
                html.AppendLine($"<p class=\"failed\">unpaired marker {E(u.File)} <code>{E(u.Function)}</code> {E(u.Section)}+0x{u.Offset:x} ({E(u.Op ?? "-")}): {E(u.Unpaired!)}</p>");
            }
        }

        html.AppendLine("<h2>Sites lost by the reloc approach</h2><table><tr><th class=\"l\">build</th><th class=\"l\">file</th><th class=\"l\">function</th><th class=\"l\">address</th><th>length</th><th class=\"l\">kind</th><th class=\"l\">op</th><th class=\"l\">why</th></tr>");
        foreach (var b in plainBuilt)
        {
            foreach (var s in b.Lost)
            {
                html.AppendLine($"<tr><td class=\"l\">{E(b.Id)}</td><td class=\"l\">{E(s.File)}</td><td class=\"l\"><code>{E(s.Function)}+0x{s.FunctionOffset:x}</code></td><td class=\"l\">{E(s.Section)}+0x{s.Offset:x}</td><td>{s.Length}</td><td class=\"l\">{E(s.Kind)}</td><td class=\"l\">{E(SiteRecord.OpText(s))}</td><td class=\"l\">{E(s.Reason ?? "")}</td></tr>");
            }
        }

        html.AppendLine("</table>");
        html.AppendLine("<h2>Verdict per op (all builds)</h2><table><tr><th class=\"l\">op</th><th>macro</th><th>reloc</th><th class=\"l\">verdict</th></tr>");
        foreach (var op in report.Ops)
        {
            html.AppendLine($"<tr><td class=\"l\"><code>{E(op.Op)}</code></td><td>{op.Macro}</td><td>{op.Reloc}</td><td class=\"l\">{E(op.Verdict)}</td></tr>");
        }

        html.AppendLine("</table>");
        html.AppendLine($"<p><small>Schema {E(report.Schema)}; generated by pvgen diff.</small></p>");
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    /// <summary>Horizontal paired bars, one pair per build: macro on top, plain below.</summary>
    private static string Chart(IReadOnlyList<(string Label, double Macro, double Plain)> rows, string unit)
    {
        const int labelWidth = 200, barWidth = 700, pair = 30;
        double max = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => Math.Max(r.Macro, r.Plain)));
        int height = Math.Max(1, rows.Count) * pair + 10;
        var svg = new StringBuilder();
        svg.AppendLine(Inv($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{labelWidth + barWidth + 90}\" height=\"{height}\" role=\"img\" aria-label=\"{E(unit)} per build\">"));
        for (int i = 0; i < rows.Count; i++)
        {
            var (label, macro, plain) = rows[i];
            int y = i * pair + 4;
            svg.AppendLine(Inv($"<text x=\"{labelWidth - 6}\" y=\"{y + 17}\" text-anchor=\"end\" font-size=\"12\" font-family=\"monospace\">{E(label)}</text>"));
            Bar(svg, labelWidth, y, macro / max * barWidth, MacroColour, macro);
            Bar(svg, labelWidth, y + 12, plain / max * barWidth, RelocColour, plain);
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Bar(StringBuilder svg, int x, int y, double width, string colour, double value)
    {
        svg.AppendLine(Inv($"<rect x=\"{x}\" y=\"{y}\" width=\"{Math.Max(1, width):0.#}\" height=\"11\" fill=\"{colour}\"/>"));
        svg.AppendLine(Inv($"<text x=\"{x + Math.Max(1, width) + 4:0.#}\" y=\"{y + 10}\" font-size=\"10\">{value:0}</text>"));
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string BuildRow(BuildResult b)
    {
        var e = b.RegisterEnvironment;
        return $"<tr><td class=\"l\">{E(b.Id)}</td><td>{Headline.Count(b.Macro.Sites, b.MacroError)}</td><td>{Headline.Count(b.Reloc.Sites, b.PlainError)}</td><td>{b.Reloc.Jumps}</td><td>{b.Reloc.References}</td><td>{b.Lost.Count}</td>"
            + $"<td class=\"l\">{E(Headline.Lengths(b.Macro.Lengths))}</td><td class=\"l\">{E(Headline.Lengths(b.Reloc.Lengths))}</td><td>{b.Macro.TooShortForCall}/{b.Reloc.TooShortForCall}</td>"
            + $"<td>{e.MacroBytes}/{e.PlainBytes}</td><td>{e.MacroSaveInstructions}/{e.PlainSaveInstructions}</td><td class=\"l\">{E(Headline.Types(b.RelocTypes))}</td><td class=\"l\">{E(Headline.Link(b.Link))}</td><td class=\"l\">{E(Headline.Behaviour(b.Behaviour))}</td></tr>";
    }
}
