using PvGen.Binary;
using PvGen.Checking;
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
            .AddColumn(new TableColumn("table refs").RightAligned()).AddColumn(new TableColumn("records").RightAligned()).AddColumn(new TableColumn("findings").RightAligned());
        foreach (var build in report.Builds)
        {
            builds.AddRow(build.Compiler, build.Style, "-" + build.Optimization, build.Compiled ? "yes" : "[red]no[/]",
                $"{build.Sites}", build.Style == "macro" ? $"{build.Records}" : "-", build.Findings.Count == 0 ? "0" : $"[red]{build.Findings.Count}[/]");
        }

        console.Write(builds);
        foreach (var (style, safety) in report.TypeSafety)
        {
            int probes = safety.Ops.Sum(o => o.Probes);
            console.MarkupLineInterpolated($"type safety ({safety.Compiler.Name}, {style}): {safety.TypeSafeCount} of {safety.Ops.Count} ops type-safe, {safety.Ops.Sum(o => o.Rejected)} of {probes} wrongly typed calls rejected as expected");
        }

        console.MarkupLine(report.Passed ? "[green]check passed[/]" : "[red]check failed[/]");
    }

    public static void Objects(IReadOnlyList<(ScannedObject Object, IReadOnlyList<Finding> Findings)> results, IAnsiConsole console)
    {
        int findings = results.Sum(r => r.Findings.Count);
        var table = new Table().Border(TableBorder.Simple).AddColumn("objects").AddColumn("with records").AddColumn("records").AddColumn("sites").AddColumn("findings");
        table.AddRow($"{results.Count}", $"{results.Count(r => r.Object.Annotations.Count > 0)}", $"{results.Sum(r => r.Object.Annotations.Count)}",
            $"{results.Sum(r => r.Object.Sites.Count)}", $"{findings}");
        console.Write(table);
        console.MarkupLine(findings == 0 ? "[green]every record verified[/]" : $"[red]{findings} findings[/]");
    }
}
