using PvGen.Checking;
using PvGen.Checking.Annotations;
using PvGen.Checking.Reports;
using PvGen.Model;
using Spectre.Console;

namespace PvGen.Output;

/// <summary>`pvgen check --format table`: builds, type safety and the verdict for people.</summary>
public static class CheckTables
{
    public static void Generated(CheckReport report, IAnsiConsole console)
    {
        var model = report.Output.Model;
        console.MarkupLineInterpolated($"[bold]{report.Output.BaseName}[/]: struct {model.Struct}, {model.Target.Arch}, {report.Output.Ops.Count} ops, {report.Output.AnnotatedWrappers} annotated in macro style");
        var builds = new Table().Border(TableBorder.Simple)
            .AddColumn("compiler").AddColumn("style").AddColumn("opt").AddColumn("compiled")
            .AddColumn(new TableColumn("table refs").RightAligned()).AddColumn(new TableColumn("records").RightAligned()).AddColumn("format").AddColumn(new TableColumn("findings").RightAligned());
        foreach (var build in report.Builds)
        {
            builds.AddRow(build.Compiler, build.Style, "-" + build.Optimization, build.Compiled ? "yes" : "[red]no[/]",
                $"{build.Sites}", build.Style != "plain" ? $"{build.Records}" : "-", build.Format ?? "-", build.Findings.Count == 0 ? "0" : $"[red]{build.Findings.Count}[/]");
        }

        console.Write(builds);
        Coverage(CheckRunner.Total(report.Builds.SelectMany(b => b.Coverage ?? [])), console);
        foreach (var (style, safety) in report.TypeSafety)
        {
            int probes = safety.Ops.Sum(o => o.Probes);
            console.MarkupLineInterpolated($"type safety ({safety.Compiler.Name}, {style}): {safety.TypeSafeCount} of {safety.Ops.Count} ops type-safe, {safety.Ops.Sum(o => o.Rejected)} of {probes} wrongly typed calls rejected as expected");
        }

        console.MarkupLine(report.Passed ? "[green]check passed[/]" : "[red]check failed[/]");
    }

    public static void Objects(IReadOnlyList<ObjectCheck> results, IAnsiConsole console, Finding? nothingVerified = null)
    {
        // Notes (references that are no call) are counted apart: they are not failures.
        int findings = results.Sum(r => r.Findings.Count(f => f.Severity != Severity.Note));
        var formats = CheckJson.RecordFormatsOf(results);
        var table = new Table().Border(TableBorder.Simple).AddColumn("objects").AddColumn("with records").AddColumn("formats").AddColumn("records").AddColumn("natives").AddColumn("sites")
            .AddColumn("non-call refs").AddColumn("findings");
        table.AddRow($"{results.Count}", $"{results.Count(r => r.Object.Annotations.Count > 0)}", Markup.Escape(formats.Count == 0 ? "-" : string.Join(", ", formats.Select(f => $"{f.Format} {f.Objects}"))),
            $"{results.Sum(r => r.Object.Annotations.Count)}", $"{results.Sum(r => r.Object.Annotations.Sum(a => a.Natives.Count))}", $"{results.Sum(r => r.Object.Sites.Count)}",
            $"{results.Sum(r => r.NonCallReferences)}", $"{findings}");
        console.Write(table);
        Coverage(CheckRunner.Total(results.SelectMany(r => r.Coverage)), console);
        console.MarkupLine(nothingVerified is not null ? "[yellow]nothing verified: no record and no call through the table[/]"
            : findings == 0 ? "[green]every record verified[/]" : $"[red]{findings} findings[/]");
    }

    /// <summary>Per check and format: records verified and failed, or why the check does not apply ("n/a"), never a silent pass.</summary>
    private static void Coverage(IReadOnlyList<CheckCoverage> coverage, IAnsiConsole console)
    {
        if (coverage.Count == 0)
        {
            return;
        }

        var table = new Table().Border(TableBorder.Simple).AddColumn("check").AddColumn("format").AddColumn(new TableColumn("verified").RightAligned())
            .AddColumn(new TableColumn("failed").RightAligned()).AddColumn("finding it looks for");
        foreach (var c in coverage)
        {
            string title = DiagnosticIds.Titles.GetValueOrDefault(c.Id, c.Id);
            table.AddRow(c.Id, c.Format, c.NotApplicable is null ? $"{c.Checked}" : "n/a", c.NotApplicable is null ? $"{c.Failed}" : "-",
                Markup.Escape(c.NotApplicable is null ? title : $"{title} (n/a: {c.NotApplicable})"));
        }

        console.Write(table);
    }
}
