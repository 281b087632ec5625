using PvGen.Proving;
using PvGen.Proving.Reports;
using Spectre.Console;

namespace PvGen.Output;

/// <summary>`pvgen prove --format table`: the headline, one row per program, each program's findings, and every site left indirect.</summary>
public static class ProveTable
{
    public static void Write(IAnsiConsole console, ProveReport proof)
    {
        console.MarkupLine($"[bold]pvgen prove[/]: {Markup.Escape(proof.Struct)} ({Markup.Escape(proof.Symbol)}), workload: the exerciser{(proof.Corpus.Count > 0 ? " and " + Markup.Escape(string.Join(" ", proof.Corpus)) : string.Empty)}");
        foreach (string line in ProveText.Headline(proof))
        {
            console.WriteLine("  " + line);
        }

        var builds = new Table().Border(TableBorder.Rounded).Title("programs");
        foreach (string column in new[] { "build", "verdict", "records", "patched (call/jmp/native)", "refused", "reached", "not reached", "direct events", "left indirect", "events" })
        {
            builds.AddColumn(column);
        }

        foreach (var b in proof.Builds)
        {
            string verdict = b.Verdict == ProveVerdicts.Proved ? "[green]proved[/]" : $"[red]{Markup.Escape(b.Verdict)}[/]";
            builds.AddRow(Markup.Escape(b.Id), verdict, $"{b.Records}", $"{b.Patched} ({b.PatchedCalls}/{b.PatchedJumps}/{b.PatchedNative})", $"{b.Refused}", $"{b.SitesExecuted}",
                $"{b.PatchedNotReached}", $"{b.DirectExecutions}", $"{b.LeftIndirect.Count()}", $"{b.EventsUnpatched}/{b.EventsPatched}");
        }

        console.Write(builds);
        foreach (var b in proof.Builds.Where(b => b.Findings.Count > 0))
        {
            console.MarkupLine($"[red]{Markup.Escape(b.Id)}[/]:");
            foreach (string finding in b.Findings.Take(10))
            {
                console.WriteLine("  " + finding);
            }
        }

        var indirect = proof.Builds.SelectMany(b => b.LeftIndirect.Select(s => (b.Id, Site: s))).ToList();
        if (indirect.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"sites left indirect ({indirect.Count})");
            foreach (string column in new[] { "build", "function", "address", "kind", "op", "ran", "why" })
            {
                table.AddColumn(column);
            }

            foreach (var (id, s) in indirect)
            {
                table.AddRow(Markup.Escape(id), Markup.Escape(s.Function), Markup.Escape($"{s.Section}+0x{s.Offset:x}"), s.Kind, Markup.Escape(s.Op ?? "-"), $"{s.Executions}", Markup.Escape(s.Reason ?? ""));
            }

            console.Write(table);
        }

        if (proof.SkippedFunctions.Count > 0)
        {
            console.WriteLine("  corpus functions not called: " + string.Join("; ", proof.SkippedFunctions.Select(s => $"{s.File}: {s.Function} ({s.Reason})")));
        }
    }
}
