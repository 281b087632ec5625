using System.Globalization;
using PvGen.Binary;
using PvGen.Binary.Output;
using PvGen.Model;
using PvGen.Project.Workflows;
using Spectre.Console;

namespace PvGen.Output;

/// <summary>Runs a scan job and writes its report as it goes (JSON and site tables are streamed: a kernel tree never sits in memory).</summary>
public static class ScanReport
{
    /// <returns>How many objects could not be scanned (each already reported, with a summary line when there are any).</returns>
    public static int Run(ScanJob job)
    {
        string format = job.Report.Format;
        bool toTerminal = job.Report.Path is null && !Console.IsOutputRedirected;
        bool progress = !Console.IsErrorRedirected && (format == "table" || !toTerminal) && job.Files.Count > 1;
        int failed = progress
            ? Progress.Bar($"scanning {job.Files.Count.ToString(CultureInfo.InvariantCulture)} files", job.Files.Count, tick => Write(job, () => tick(null)))
            : Write(job, null);
        if (failed > 0)
        {
            Console.Error.WriteLine($"pvgen scan: {failed.ToString(CultureInfo.InvariantCulture)} objects could not be read completely ({job.Files.Count.ToString(CultureInfo.InvariantCulture)} files scanned) [{DiagnosticIds.ScanObjectFailed}]");
        }

        return failed;
    }

    private static int Write(ScanJob job, Action? tick)
    {
        int failed = 0;
        IEnumerable<ScannedObject> scanned = ObjectScanner.ScanAll(job.Files, job.Options, job.Jobs, tick).Select(o =>
        {
            if (o.Error is not null)
            {
                failed++;
                Console.Error.WriteLine(Diagnostic.Format(o.Path, Severity.Error, o.Error, DiagnosticIds.ScanObjectFailed));
            }

            return o;
        });
        switch (job.Report.Format)
        {
            case "table":
                var collected = Collect(scanned);
                Consoles.Write(job.Report.Path, console => Render(collected, job.Options.Symbol, job.ModelName, console));
                break;
            case "json":
                Consoles.Stream(job.Report.Path, stream =>
                {
                    using var json = new ScanJsonWriter(stream, job.Options.Symbol, job.ModelName, p => p);
                    foreach (var o in scanned)
                    {
                        json.Write(o);
                    }

                    json.Finish();
                });
                break;
            default:
                Consoles.Stream(job.Report.Path, stream =>
                {
                    using var text = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
                    var table = new SiteTableWriter(text, job.Options.Symbol, assembler: job.Report.Format == "asm");
                    foreach (var o in scanned)
                    {
                        table.Write(o, o.Path);
                    }

                    table.Finish();
                });
                break;
        }

        return failed;
    }

    private sealed record Collected(List<ScannedObject> Interesting, ScanSummary Summary);

    /// <summary>Keeps only objects with sites, records or errors (the rest are counted).</summary>
    private static Collected Collect(IEnumerable<ScannedObject> scanned)
    {
        var summary = new ScanSummary();
        var interesting = new List<ScannedObject>();
        foreach (var o in scanned)
        {
            summary.Add(o);
            if (o.Sites.Count > 0 || o.Annotations.Count > 0 || o.Markers.Count > 0 || o.Error is not null)
            {
                interesting.Add(o);
            }
        }

        return new Collected(interesting, summary);
    }

    private static void Render(Collected collected, string symbol, string? modelName, IAnsiConsole console)
    {
        var s = collected.Summary;
        static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
        console.MarkupLineInterpolated($"[bold]{symbol}[/]{(modelName is null ? string.Empty : $" ({modelName})")}: {N(s.Objects)} objects, {N(s.ObjectsWithSites)} with sites, {N(s.Errors)} failed");
        if (s.ObjectsFromOperands > 0)
        {
            console.WriteLine($"{N(s.ObjectsFromOperands)} linked objects without relocations: their sites were found from decoded operands that resolve into {symbol} (.symtab)");
        }

        if (collected.Interesting.Count > 0)
        {
            var files = new Table().Border(TableBorder.Simple).AddColumn("object").AddColumn("machine").AddColumn("format");
            foreach (var column in new[] { "call", "jmp", "load", "address", "other", "records", "natives", "unannotated", "orphan" })
            {
                files.AddColumn(new TableColumn(column).RightAligned());
            }

            files.AddColumn("error");
            foreach (var o in collected.Interesting)
            {
                int Count(SiteKind kind) => o.Sites.Count(site => site.Kind == kind);
                files.AddRow(
                    new Text(o.Path), new Text(o.Machine ?? "?"), new Text(o.Annotations.Count > 0 ? o.AnnotationFormat?.Name ?? "-" : "-"),
                    new Text(N(Count(SiteKind.Call))), new Text(N(Count(SiteKind.Jmp))), new Text(N(Count(SiteKind.Load))),
                    new Text(N(Count(SiteKind.Address))), new Text(N(Count(SiteKind.Other))),
                    new Text(N(o.Annotations.Count)), new Text(N(o.Annotations.Sum(a => a.Natives.Count))), new Text(o.Annotations.Count > 0 ? N(o.UnannotatedCalls.Count()) : "-"),
                    new Text(N(o.OrphanAnnotations.Count())), new Text(o.Error ?? string.Empty));
            }

            console.Write(files);
        }

        if (s.ByOp.Count > 0)
        {
            var ops = new Table().Border(TableBorder.Simple).AddColumn("op");
            foreach (var column in new[] { "call", "jmp", "load", "address", "other", "total" })
            {
                ops.AddColumn(new TableColumn(column).RightAligned());
            }

            foreach (var (op, count) in s.ByOp)
            {
                ops.AddRow(new Text(op), new Text(N(count.Call)), new Text(N(count.Jmp)), new Text(N(count.Load)), new Text(N(count.Address)), new Text(N(count.Other)), new Text(N(count.Total)));
            }

            console.Write(ops);
        }

        var markers = collected.Interesting.SelectMany(o => o.Markers.Select(m => (o.Path, Marker: m))).ToList();
        if (markers.Count > 0)
        {
            var table = new Table().Border(TableBorder.Simple).AddColumn("object").AddColumn("marker").AddColumn("op").AddColumn("site").AddColumn("kind")
                .AddColumn(new TableColumn("distance").RightAligned()).AddColumn(new TableColumn("insns").RightAligned()).AddColumn("unpaired");
            foreach (var (path, m) in markers)
            {
                table.AddRow(new Text(path), new Text($"{m.Section}+0x{m.Offset:x}"), new Text(m.Op ?? $"slot {m.Slot}"),
                    new Text(m.SiteOffset is { } site ? $"{m.Section}+0x{site:x}" : "-"), new Text(m.SiteKind is { } kind ? ScanJsonWriter.KindName(kind) : "-"),
                    new Text(m.Distance is { } d ? $"{d} B" : "-"), new Text(m.InstructionsBetween is { } n ? N(n) : "-"), new Text(m.Unpaired ?? string.Empty));
            }

            console.Write(table);
            string distances = string.Join(", ", s.MarkerDistances.Select(d => $"{d.Key} B x{N(d.Value)}"));
            console.WriteLine($"markers: {N(s.Markers)}, {N(s.MarkersPaired)} paired with their call or jmp, {N(s.MarkersUnpaired)} unpaired; marker-to-site distance: {(distances.Length == 0 ? "-" : distances)}");
        }

        string kinds = string.Join(", ", s.ByKind.Select(k => $"{ScanJsonWriter.KindName(k.Key)} {N(k.Value)}"));
        console.WriteLine($"total: {N(s.Sites)} sites ({kinds}); {N(s.Feeds)} fed calls; {N(s.Annotations)} records, {N(s.AnnotatedSites)} sites annotated, {N(s.UnannotatedCalls)} calls without a record, {N(s.OrphanAnnotations)} records without a site");
        if (s.AltEntries > 0)
        {
            string formats = string.Join(", ", s.ByRecordFormat.Select(f => $"{f.Key} {N(f.Value)}"));
            console.WriteLine($"records by format (objects): {formats}; {N(s.DirectCallAnnotations)} DIRECT_CALL records, {N(s.NativeAlternatives)} native alternatives at pv sites; "
                + $"{N(s.AltEntries)} .altinstructions entries, {N(s.OtherAlternatives)} of them CPU-feature alternatives (not pv sites)");
        }
    }
}
